"""`python -m bot ...`: see bot/cli.py for the subcommands."""

from bot.cli import main

raise SystemExit(main())
