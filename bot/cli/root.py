"""The `hoofdzaak` command group; the command modules add themselves to it."""

from __future__ import annotations

import click

from bot import __version__
from bot.cli.runtime import Runtime


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hoofdzaak")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Hoofdzaak Werk assistant: the Telegram bot and its tools."""
    ctx.ensure_object(Runtime)
