"""Announcements and their deliveries.

`AnnouncementRepo`: writing them, finding recipients, listing. `DeliveryRepo`: the sender's
steps, one short statement each, every state change conditional, so two processes never both
claim a row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import AnnouncementKind, AnnouncementStatus, DeliveryStatus
from bot.storage.models import Announcement, Delivery, RegionYear, User


def rowcount(result: object) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


@dataclass(frozen=True)
class PendingRow:
    """A delivery ready to go out."""

    delivery_id: int
    announcement_id: int
    user_id: int
    chat_id: int
    attempts: int
    text: str | None  # its own text (a digest), else the announcement's
    reply_markup: str | None  # JSON


@dataclass(frozen=True)
class AnnouncementMedia:
    text: str
    kind: str | None  # photo | document
    file_id: str | None  # Telegram's, once uploaded
    path: str | None  # a local file (CLI --file)

    @property
    def needs_upload(self) -> bool:
        return self.kind is not None and self.file_id is None and self.path is not None


_SENDING = AnnouncementStatus.SENDING


def _sending_ids() -> Any:
    return select(Announcement.id).where(Announcement.status == _SENDING)


class AnnouncementRepo:
    """The caller commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, announcement_id: int) -> Announcement | None:
        return await self.session.get(Announcement, announcement_id)

    async def regions_in(self, year: int, divisions: Sequence[str]) -> set[str]:
        """The regions that play in these divisions in that year."""
        rows = await self.session.execute(
            select(RegionYear.region_code).where(
                RegionYear.year == year, RegionYear.division.in_(list(divisions))
            )
        )
        return {code for (code,) in rows.tuples()}

    async def active_users(self) -> list[User]:
        """Everyone who may receive something: active and not demo."""
        rows = await self.session.execute(
            select(User).where(User.active.is_(True), User.demo.is_(False)).order_by(User.id)
        )
        return list(rows.scalars())

    async def add(
        self, announcement: Announcement, recipients: Sequence[tuple[int, int]], now: datetime
    ) -> None:
        """The announcement and a pending delivery per (users.id, chat id)."""
        self.session.add(announcement)
        await self.session.flush()
        await self.session.execute(
            insert(Delivery),
            [
                {
                    "announcement_id": announcement.id,
                    "user_id": user_id,
                    "chat_id": chat_id,
                    "status": DeliveryStatus.PENDING,
                    "attempts": 0,
                    "updated_at": now,
                }
                for user_id, chat_id in recipients
            ],
        )

    async def planned(self, created_by: int | None) -> list[Announcement]:
        """Scheduled announcements, soonest first (of one author, or of everyone: None)."""
        rows = await self.session.execute(
            self._announcements(created_by)
            .where(Announcement.status == AnnouncementStatus.SCHEDULED)
            .order_by(Announcement.scheduled_at)
        )
        return list(rows.scalars())

    async def latest(self, created_by: int | None, limit: int) -> list[Announcement]:
        """The most recent that went out or were cancelled."""
        finished = (
            AnnouncementStatus.SENDING,
            AnnouncementStatus.DONE,
            AnnouncementStatus.CANCELLED,
        )
        rows = await self.session.execute(
            self._announcements(created_by)
            .where(Announcement.status.in_(finished))
            .order_by(Announcement.id.desc())
            .limit(limit)
        )
        return list(rows.scalars())

    @staticmethod
    def _announcements(created_by: int | None) -> Any:
        query = select(Announcement).where(Announcement.kind == AnnouncementKind.ANNOUNCEMENT)
        if created_by is not None:
            query = query.where(Announcement.created_by == created_by)
        return query


class DeliveryRepo:
    """The sender's queries. The caller commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def recover(self, now: datetime, reason: str) -> int:
        """Rows left `sending` by a crash become `uncertain`."""
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.UNCERTAIN, last_error=reason, updated_at=now)
        )
        return rowcount(result)

    async def activate_due(self, now: datetime) -> int:
        """Scheduled announcements whose time has come start sending."""
        result = await self.session.execute(
            update(Announcement)
            .where(
                Announcement.status == AnnouncementStatus.SCHEDULED,
                Announcement.scheduled_at <= now,
            )
            .values(status=_SENDING, started_at=now)
        )
        return rowcount(result)

    async def skip_inactive(self, now: datetime, reason: str) -> None:
        """Pending deliveries of sending announcements to inactive users: failed."""
        await self.session.execute(
            update(Delivery)
            .where(
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.announcement_id.in_(_sending_ids()),
                Delivery.user_id.in_(select(User.id).where(User.active.is_(False))),
            )
            .values(status=DeliveryStatus.FAILED, last_error=reason, updated_at=now)
        )

    async def pending(self, now: datetime, limit: int) -> list[PendingRow]:
        rows = await self.session.execute(
            select(
                Delivery.id,
                Delivery.announcement_id,
                Delivery.user_id,
                Delivery.chat_id,
                Delivery.attempts,
                Delivery.text,
                Delivery.reply_markup,
            )
            .join(Announcement, Announcement.id == Delivery.announcement_id)
            .where(
                Announcement.status == _SENDING,
                Delivery.status == DeliveryStatus.PENDING,
                or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
            )
            .order_by(Delivery.id)
            .limit(limit)
        )
        return [PendingRow(*row) for row in rows.tuples()]

    async def media(self, ids: set[int]) -> dict[int, AnnouncementMedia]:
        if not ids:
            return {}
        rows = await self.session.execute(
            select(
                Announcement.id,
                Announcement.text,
                Announcement.media_kind,
                Announcement.media_file_id,
                Announcement.media_path,
            ).where(Announcement.id.in_(ids))
        )
        return {r[0]: AnnouncementMedia(r[1], r[2], r[3], r[4]) for r in rows.tuples()}

    async def claim(self, delivery_id: int, now: datetime) -> bool:
        """pending → sending, attempts + 1; only while its announcement is still sending."""
        result = await self.session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.announcement_id.in_(_sending_ids()),
            )
            .values(status=DeliveryStatus.SENDING, attempts=Delivery.attempts + 1, updated_at=now)
        )
        return rowcount(result) == 1

    async def record(self, delivery_id: int, user_id: int, now: datetime, **values: Any) -> None:
        """The outcome of one send; a block makes the user inactive until they come back
        (someone the programme team switched off already stays off)."""
        await self.session.execute(
            update(Delivery).where(Delivery.id == delivery_id).values(updated_at=now, **values)
        )
        if values.get("status") == DeliveryStatus.BLOCKED:
            await self.session.execute(
                update(User)
                .where(User.id == user_id, User.active.is_(True))
                .values(active=False, blocked_at=now)
            )

    async def next_retry(self, tz: Any) -> datetime | None:
        """When the earliest pending row waiting for its backoff is due."""
        when = await self.session.scalar(
            select(func.min(Delivery.not_before))
            .join(Announcement, Announcement.id == Delivery.announcement_id)
            .where(Announcement.status == _SENDING, Delivery.status == DeliveryStatus.PENDING)
        )
        if when is None:
            return None
        if not isinstance(when, datetime):  # SQLite's MIN() gives the stored text back
            when = datetime.fromisoformat(str(when))
        return when if when.tzinfo is not None else when.replace(tzinfo=tz)

    async def sending(self) -> list[Announcement]:
        rows = await self.session.execute(
            select(Announcement).where(Announcement.status == _SENDING)
        )
        return list(rows.scalars().all())

    async def counts(self, announcement_id: int) -> dict[str, int]:
        rows = await self.session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.announcement_id == announcement_id)
            .group_by(Delivery.status)
        )
        return {str(status): int(n) for status, n in rows.tuples()}

    async def set_file_id(self, announcement_id: int, file_id: str) -> None:
        """Telegram's id of the uploaded file, so the other recipients get it without upload."""
        await self.session.execute(
            update(Announcement)
            .where(Announcement.id == announcement_id, Announcement.media_file_id.is_(None))
            .values(media_file_id=file_id)
        )

    async def set_progress_message(self, announcement_id: int, message_id: int) -> None:
        await self.session.execute(
            update(Announcement)
            .where(Announcement.id == announcement_id)
            .values(progress_message_id=message_id)
        )

    async def finish(self, announcement_id: int, now: datetime) -> bool:
        """Close a sending announcement, in the same statement as the check that nothing is
        pending or in flight (rows queued meanwhile, a digest's, keep it open)."""
        result = await self.session.execute(
            update(Announcement)
            .where(
                Announcement.id == announcement_id,
                Announcement.status == _SENDING,
                ~select(Delivery.id)
                .where(
                    Delivery.announcement_id == announcement_id,
                    Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
                )
                .exists(),
            )
            .values(status=AnnouncementStatus.DONE, finished_at=now)
        )
        return rowcount(result) == 1

    async def resend_uncertain(self, announcement_id: int, now: datetime) -> int:
        """The uncertain deliveries of an announcement go out again (and only those)."""
        result = await self.session.execute(
            update(Delivery)
            .where(
                Delivery.announcement_id == announcement_id,
                Delivery.status == DeliveryStatus.UNCERTAIN,
            )
            .values(status=DeliveryStatus.PENDING, not_before=None, updated_at=now)
        )
        n = rowcount(result)
        if n:
            await self.session.execute(
                update(Announcement)
                .where(
                    Announcement.id == announcement_id,
                    Announcement.status.in_((AnnouncementStatus.DONE, _SENDING)),
                )
                .values(status=_SENDING, finished_at=None)
            )
        return n
