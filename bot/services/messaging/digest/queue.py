"""Queueing the week's digests, exactly once per user per week; `hoofdzaak digest send` and
`preview`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import AnnouncementStatus, DeliveryStatus, Role
from bot.services import Services
from bot.services.messaging.digest.compose import (
    Digest,
    Recipient,
    eligible,
    gather,
    recipient,
    render,
    skip_reason,
)
from bot.services.messaging.digest.week import Week
from bot.storage.digest import DigestRepo
from bot.storage.users import UserRepo


async def queue(
    services: Services,
    session: AsyncSession,
    week: Week,
    recipients: Sequence[Recipient],
    now: datetime,
) -> set[int]:
    """Render and insert a pending delivery for each recipient who has none for this week,
    then hand the week to the sender (status `sending`). Returns the users.id queued now.

    Reads first and ends that transaction, then writes in one short transaction that starts
    with a write (so two runs on one SQLite file wait for each other instead of failing).
    """
    targets = [r for r in recipients if r.user_id is not None and r.telegram_id is not None]
    if not targets:
        return set()
    data = await gather(services, session, week, now, targets)
    rendered = [(r, render(services, data, r)) for r in targets]
    await session.rollback()  # end the read transaction; nothing was written

    repo = DigestRepo(session)
    announcement = await repo.ensure_week_announcement(
        week.key, services.renderer.text("digest_title", week=week.label), now
    )
    if announcement.status == AnnouncementStatus.CANCELLED:
        await session.commit()
        return set()
    rows = [
        {
            "announcement_id": announcement.id,
            "user_id": r.user_id,
            "chat_id": r.telegram_id,
            "text": d.text,
            "reply_markup": d.markup_json(),
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "updated_at": now,
        }
        for r, d in rendered
    ]
    inserted = await repo.add_deliveries(rows)
    if inserted:
        await repo.start_sending(announcement.id, announcement.started_at or now)
    await session.commit()
    return inserted


async def enqueue_due(services: Services, session: AsyncSession, now: datetime) -> int:
    """Queue this week's digest for everyone whose moment has come (09:00 on their weekday,
    this ISO week) and who has none yet. Safe to run any number of times, also concurrently:
    it never queues a second digest for anyone in a week. Returns how many it queued."""
    week = Week.of(now)
    repo = DigestRepo(session)
    if await repo.reopen_stranded():
        await session.commit()
    due = [r for r in await eligible(services, session) if now >= week.due(r.weekday)]
    if not due:
        await session.rollback()
        return 0
    announcement = await repo.week_announcement(week.key)
    if announcement is not None:
        if announcement.status == AnnouncementStatus.CANCELLED:
            await session.rollback()
            return 0
        have = await repo.had_digest(announcement.id)
        due = [r for r in due if r.user_id not in have]
    if not due:
        await session.rollback()
        return 0
    return len(await queue(services, session, week, due, now))


# -- `hoofdzaak digest send` and `preview` -------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    user: Recipient | None
    telegram_id: int
    role: str | None
    region: str | None
    result: str  # queued | already | skipped
    reason: str | None = None  # skipped: demo | inactive | off


@dataclass(frozen=True)
class SendReport:
    week: Week
    dry_run: bool
    outcomes: list[Outcome]

    def count(self, result: str) -> int:
        return sum(o.result == result for o in self.outcomes)


async def send_week(
    services: Services, session: AsyncSession, week: Week, now: datetime, dry_run: bool
) -> SendReport:
    """Queue the week's digest for every eligible user, whatever their weekday (never twice).
    With `dry_run` nothing is written: the report says who would get it."""
    admins = services.settings.admins
    repo = DigestRepo(session)
    announcement = await repo.week_announcement(week.key)
    have = await repo.had_digest(announcement.id) if announcement is not None else set()
    outcomes: list[Outcome] = []
    todo: list[Recipient] = []
    for user in await repo.staff(admins):
        who = recipient(user, admins)
        reason = skip_reason(user, admins)
        role = who.role if who else user.role
        if reason is not None:
            outcomes.append(Outcome(who, user.telegram_id, role, user.region, "skipped", reason))
        elif who is not None and user.id in have:
            outcomes.append(Outcome(who, user.telegram_id, role, who.region, "already"))
        elif who is not None:
            todo.append(who)
    if dry_run:
        await session.rollback()
        queued = {r.user_id for r in todo if r.user_id is not None}
    else:
        queued = await queue(services, session, week, todo, now)
    for who in todo:
        result = "queued" if who.user_id in queued else "already"
        outcomes.append(Outcome(who, who.telegram_id or 0, who.role, who.region, result))
    outcomes.sort(key=lambda o: (o.result, o.telegram_id))
    return SendReport(week, dry_run, outcomes)


@dataclass(frozen=True)
class Preview:
    digest: Digest
    recipient: Recipient
    note: str  # what is shown (English, for the operator)


async def preview_user(
    services: Services, session: AsyncSession, telegram_id: int, week: Week, now: datetime
) -> Preview | str:
    """The digest this user gets (or got) for the week; a reason (str) when there is none."""
    user = await UserRepo(session).by_telegram_id(telegram_id)
    if user is None:
        return f"no user with Telegram id {telegram_id}"
    who = recipient(user, services.settings.admins)
    if who is None:
        return f"user {telegram_id} has no role (or is inactive): no digest"
    data = await gather(services, session, week, now, [who])
    reason = skip_reason(user, services.settings.admins)
    note = f"user {telegram_id} ({who.role}{', ' + who.region if who.region else ''})"
    if reason == "off":
        note += "; note: this user turned the digest off"
    elif reason == "demo":
        note += "; note: a demo user, who is never sent anything"
    return Preview(render(services, data, who), who, note)


async def preview_sample(
    services: Services,
    session: AsyncSession,
    role: str,
    region: str | None,
    week: Week,
    now: datetime,
) -> Preview:
    """A sample for a role (and region): a real user of that role and region when there is
    one (for a coach: the one with the most running trajectories), else an empty sample."""
    admins = services.settings.admins
    repo = DigestRepo(session)
    candidates = [
        who
        for who in (recipient(u, admins) for u in await repo.staff(admins))
        if who is not None
        and who.role == role
        and (role == Role.PROGRAMME or who.region == region)
    ]
    if role == Role.COACH and candidates:
        ids = {c.user_id for c in candidates if c.user_id is not None}
        rows = await repo.coach_trajectories(ids, date.max, date.max)
        candidates.sort(key=lambda c: (-len(rows.get(c.user_id or 0, [])), c.telegram_id or 0))
    if candidates:
        who = candidates[0]
        note = (
            f"sample: the digest of user {who.telegram_id} ({who.name or 'no name'}), "
            f"{role}{', ' + who.region if who.region else ''}"
        )
    else:
        who = Recipient(None, None, role, region if role != Role.PROGRAMME else None, None, 0)
        place = f" in {region}" if region and role != Role.PROGRAMME else ""
        note = f"sample: no {role} user{place}" + (
            "; an empty sample for that role"
            + (" (no trajectories of their own)" if role == Role.COACH else "")
        )
    if role != Role.PROGRAMME and who.user_id is None:
        note += "; announcements: none (only those a user received are listed)"
    data = await gather(services, session, week, now, [who])
    return Preview(render(services, data, who), who, note)
