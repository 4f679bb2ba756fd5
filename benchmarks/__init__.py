"""Performance benchmarks of Elenchus (see benchmarks/README.md). Run them with `python -m benchmarks`."""
