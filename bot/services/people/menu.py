"""Which commands each role has: Telegram's command menu and /help both come from here."""

from __future__ import annotations

from bot.domain import Role
from bot.services import Services

ALL = ("", Role.COACH, Role.REGIO, Role.PROGRAMME)  # "" = not registered
STAFF = (Role.COACH, Role.REGIO, Role.PROGRAMME)
LEADS = (Role.REGIO, Role.PROGRAMME)
TEAM = (Role.PROGRAMME,)

# (command, roles that may use it), in menu order. The checks come from the knowledge base.
COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("start", ALL),
    ("faq", ALL),
    ("@checks", ALL),
    ("registreer", STAFF),
    ("mijntrajecten", STAFF),
    ("regio", STAFF),
    ("landelijk", LEADS),
    ("export", LEADS),
    ("uitnodigen", LEADS),
    ("bericht", LEADS),
    ("berichten", LEADS),
    ("gebruikers", TEAM),
    ("regios", TEAM),
    ("onbeantwoord", TEAM),
    ("checkstats", TEAM),
    ("instellingen", STAFF),
    ("stop", STAFF),
    ("ik", ALL),
    ("help", ALL),
)


def commands_for(services: Services, role: str | None) -> list[tuple[str, str]]:
    """(command, Dutch description) for a role (None: not registered)."""
    out: list[tuple[str, str]] = []
    for name, roles in COMMANDS:
        if (role or "") not in roles:
            continue
        names = [c.command for c in services.kb.checks.values()] if name == "@checks" else [name]
        out += [(n, services.renderer.text(f"cmd_{n}")) for n in names]
    return out
