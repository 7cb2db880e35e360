"""`python -m bot.cli …` runs the `hoofdzaak` command (as the script does: bot/collector.py)."""

from bot.cli import entry

entry()
