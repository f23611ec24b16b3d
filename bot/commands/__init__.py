"""Subcommands of `python -m bot`, one module per area; each has `register(subparsers)`."""
