"""The command line: `elenchus` and its subcommands, each a few lines over a module."""
