"""People who talk to the bot."""

from __future__ import annotations

import logging
import secrets
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import Role, values
from bot.services.shared.replies import Person
from bot.storage.models import Invite, User
from bot.storage.users import InviteRepo, UserRepo

log = logging.getLogger(__name__)

SEEN_REFRESH = timedelta(minutes=5)
CACHE_MAX = 10_000


@dataclass
class SeenCache:
    """Telegram id → (user row id, names, when last written): spares a write per message."""

    rows: dict[int, tuple[int, tuple[str | None, ...], datetime]] = field(default_factory=dict)

    def fresh(self, person: Person, now: datetime) -> int | None:
        cached = self.rows.get(person.telegram_id)
        names = (person.first_name, person.last_name, person.username)
        if cached and cached[1] == names and now - cached[2] < SEEN_REFRESH:
            return cached[0]
        return None

    def remember(self, person: Person, user_id: int, now: datetime) -> None:
        if len(self.rows) >= CACHE_MAX:
            self.rows.clear()
        self.rows[person.telegram_id] = (
            user_id,
            (person.first_name, person.last_name, person.username),
            now,
        )

    def forget(self, telegram_id: int) -> None:
        self.rows.pop(telegram_id, None)


async def record_seen(
    session: AsyncSession, person: Person, now: datetime, cache: SeenCache | None = None
) -> int:
    """The user's row id; creates the user or refreshes names and last-seen time (at most
    every few minutes). The caller's service commits."""
    if cache is not None:
        user_id = cache.fresh(person, now)
        if user_id is not None:
            return user_id
    user = await UserRepo(session).seen(
        person.telegram_id, person.first_name, person.last_name, person.username, now
    )
    if cache is not None:
        cache.remember(person, user.id, now)
    return user.id


# -- roles and invites -------------------------------------------------------------------------

ROLES = values(Role)
CODE_BYTES = 16  # secrets.token_urlsafe(16): 22 characters of A-Za-z0-9_- (deep-link safe)
WRONG_CODE_LIMIT = 5  # wrong codes per person …
WRONG_CODE_WINDOW = timedelta(minutes=15)  # … in this window, then locked out until it passes


class UserInputError(ValueError):
    """Bad input for a user or invite operation; the message says what."""


# … and for everyone together: more wrong codes than this in the window means someone is
# guessing with many accounts; until the window passes, no code is taken from anyone.
WRONG_CODE_GLOBAL_LIMIT = 200


@dataclass
class CodeAttempts:
    """Wrong invite codes per Telegram id and in all (in memory: a restart forgives, which
    is fine). Codes are 128-bit, so guessing is hopeless anyway; the limits keep a guesser
    from costing lookups, and only failures inside the window are kept, so memory stays
    bounded by the global limit."""

    failures: dict[int, list[datetime]] = field(default_factory=dict)
    everyone: deque[datetime] = field(default_factory=deque)

    def _prune(self, now: datetime) -> None:
        while self.everyone and now - self.everyone[0] >= WRONG_CODE_WINDOW:
            self.everyone.popleft()
        if not self.everyone:
            self.failures.clear()
        elif len(self.failures) > len(self.everyone):
            self.failures = {
                telegram_id: recent
                for telegram_id, times in self.failures.items()
                if (recent := [t for t in times if now - t < WRONG_CODE_WINDOW])
            }

    def locked(self, telegram_id: int, now: datetime) -> bool:
        self._prune(now)
        if len(self.everyone) >= WRONG_CODE_GLOBAL_LIMIT:
            return True
        recent = [t for t in self.failures.get(telegram_id, []) if now - t < WRONG_CODE_WINDOW]
        if recent:
            self.failures[telegram_id] = recent
        else:
            self.failures.pop(telegram_id, None)
        return len(recent) >= WRONG_CODE_LIMIT

    def failed(self, telegram_id: int, now: datetime) -> None:
        self.failures.setdefault(telegram_id, []).append(now)
        self.everyone.append(now)
        if len(self.everyone) == WRONG_CODE_GLOBAL_LIMIT:
            log.warning(
                "invite codes: %d wrong codes within %s; no code is taken until it passes",
                WRONG_CODE_GLOBAL_LIMIT,
                WRONG_CODE_WINDOW,
            )


def _check_role_region(role: str, region: str | None, regions: set[str]) -> None:
    if role not in ROLES:
        raise UserInputError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    if role in (Role.COACH, Role.REGIO) and region is None:
        raise UserInputError(f"role {role} needs a region (--region AMxx)")
    if region is not None and region not in regions:
        raise UserInputError(f"unknown region {region!r}")


async def create_invite(
    session: AsyncSession,
    regions: set[str],
    role: str,
    region: str | None,
    uses: int,
    days: int,
    now: datetime,
    created_by: int | None = None,
) -> Invite:
    """A new invite code; commits."""
    region = region.upper() if region else None
    _check_role_region(role, region, regions)
    if not 1 <= uses <= 1000:
        raise UserInputError("uses must be between 1 and 1000")
    if not 1 <= days <= 365:
        raise UserInputError("days must be between 1 and 365")
    invite = Invite(
        code=secrets.token_urlsafe(CODE_BYTES),
        role=role,
        region=region,
        uses_left=uses,
        expires_at=now + timedelta(days=days),
        revoked=False,
        created_by=created_by,
        created_at=now,
    )
    InviteRepo(session).add(invite)
    await session.commit()
    return invite


class Joined(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"
    LOCKED = "locked"


async def redeem_invite(
    session: AsyncSession,
    person: Person,
    code: str,
    now: datetime,
    attempts: CodeAttempts,
) -> tuple[Joined, User | None]:
    """Join with an invite code: the person gets its role and region; commits."""
    if attempts.locked(person.telegram_id, now):
        return Joined.LOCKED, None
    invite = await InviteRepo(session).by_code(code.strip()[:64])
    if invite is None:
        attempts.failed(person.telegram_id, now)
        return Joined.UNKNOWN, None
    if invite.revoked:
        return Joined.REVOKED, None
    if invite.expires_at <= now:
        return Joined.EXPIRED, None
    if invite.uses_left <= 0:
        return Joined.USED_UP, None
    user = await UserRepo(session).seen(
        person.telegram_id, person.first_name, person.last_name, person.username, now
    )
    user.role, user.region, user.active = invite.role, invite.region, True
    invite.uses_left -= 1
    await session.commit()
    return Joined.OK, user


async def revoke_invite(session: AsyncSession, code: str) -> bool:
    invite = await InviteRepo(session).by_code(code)
    if invite is None:
        return False
    invite.revoked = True
    await session.commit()
    return True


def effective_role(user: User | None, telegram_id: int, admins: tuple[int, ...]) -> str | None:
    """The role that counts: ids in HOOFDZAAK_ADMINS are always programma."""
    if telegram_id in admins:
        return Role.PROGRAMME
    if user is None or not user.active:
        return None
    return user.role


async def list_users(session: AsyncSession) -> Sequence[User]:
    return await UserRepo(session).all()


async def set_user(
    session: AsyncSession,
    regions: set[str],
    telegram_id: int,
    role: str | None,
    region: str | None,
) -> User:
    user = await UserRepo(session).by_telegram_id(telegram_id)
    if user is None:
        raise UserInputError(f"no user with Telegram id {telegram_id} (they must /start first)")
    new_role = role or user.role
    new_region = region.upper() if region else user.region
    if new_role is None:
        raise UserInputError("give --role")
    _check_role_region(new_role, new_region, regions)
    user.role, user.region, user.active = new_role, new_region, True
    user.blocked_at = None
    await session.commit()
    return user


async def mark_blocked(session: AsyncSession, telegram_id: int, now: datetime) -> bool:
    """They blocked the bot: inactive (no announcements, no digest) until they come back.

    True when a registered user changed. The caller's service commits."""
    user = await UserRepo(session).by_telegram_id(telegram_id)
    if user is None or user.blocked_at is not None:
        return False
    if not user.active:  # deactivated by the programme team: leave it that way
        return False
    user.active, user.blocked_at = False, now
    return True


async def mark_unblocked(session: AsyncSession, telegram_id: int) -> bool:
    """They unblocked (or restarted) the bot: active again if blocking made them inactive."""
    user = await UserRepo(session).by_telegram_id(telegram_id)
    if user is None or user.blocked_at is None:
        return False
    user.active, user.blocked_at = True, None
    return True


async def deactivate(session: AsyncSession, telegram_id: int) -> User:
    user = await UserRepo(session).by_telegram_id(telegram_id)
    if user is None:
        raise UserInputError(f"no user with Telegram id {telegram_id}")
    user.active, user.blocked_at = False, None
    await session.commit()
    return user
