"""The `hoofdzaak` command. Reports take --json; errors go to stderr with a non-zero exit
(2 for bad usage). One module per command group; what they share is in runtime.py."""

from __future__ import annotations

from bot.cli import (  # noqa: F401 - importing a module adds its commands
    announce,
    checks,
    db,
    demo,
    digest,
    export,
    kb,
    learned,
    regions,
    running,
    stats,
    users,
)
from bot.cli.root import main

__all__ = ["entry", "main"]


def entry() -> None:
    """The `hoofdzaak` script: the command group with the collector off while it starts
    (bot/collector.py)."""
    from bot import collector

    collector.off()
    try:
        main()
    finally:
        collector.exiting()
