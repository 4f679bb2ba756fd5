"""Use cases: the only code that reads or writes storage. Shells call these."""
