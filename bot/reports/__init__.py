"""Reports for facilitators: the cohort overview and its stance chart."""
