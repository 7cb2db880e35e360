"""The garbage collector while the `hoofdzaak` command starts and exits.

Starting allocates a few hundred thousand objects that live as long as the process (modules,
the knowledge base, the matcher's index) and frees few of them. With the collector on, every
full collection during start-up walks all of them again: about a fifth of `hoofdzaak chat`'s
time to its first answer (0.2 s); and the interpreter's exit walks them once more (0.4 s).

So the command (`bot.cli.entry`) starts with the collector off. Once the bot is up (`chat`,
`run`) or a command has built what it works with (`query`, `ask`, `kb eval`), `started()`
freezes what start-up built (`gc.freeze`: kept, never walked again) and turns the collector on
for everything after; a short command that never calls it ends with the collector still off.
At exit everything is frozen. Code that did not start through the command (the tests, the
benchmarks) keeps the collector as it was: `started()` only undoes `off()`.
"""

from __future__ import annotations

import gc


def off() -> None:
    """Start-up begins: no collections until `started()`."""
    gc.disable()


def started() -> None:
    """Start-up is done: what it built is frozen, the collector runs again."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def exiting() -> None:
    """The process ends: the interpreter's last collections skip everything there is."""
    gc.freeze()
