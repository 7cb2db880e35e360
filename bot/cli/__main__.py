"""`python -m bot.cli …` runs the `hoofdzaak` command."""

from bot.cli import main

main()
