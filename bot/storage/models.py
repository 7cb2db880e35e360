"""Typed SQLAlchemy models. Every change ships an Alembic migration (migrations/versions)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from bot.domain import (
    AnnouncementKind,
    AnnouncementStatus,
    DeliveryStatus,
    LearnedStatus,
    Role,
    TrajectoryStatus,
    values,
)


def one_of(table: str, column: str, allowed: type[StrEnum]) -> CheckConstraint:
    """The column holds one of the enum's values (or NULL): migration 0010 adds these."""
    listed = ", ".join(f"'{v}'" for v in values(allowed))
    return CheckConstraint(f"{column} IN ({listed})", name=f"ck_{table}_{column}")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (no time zones) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (the bot's clock is aware)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime}  # noqa: RUF012


def table_of(model: type[Base]) -> Table:
    """The model's table, typed as one (bulk inserts and updates in Core)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class User(Base):
    """Someone who talked to the bot. No candidate data here: these are staff."""

    __tablename__ = "users"
    __table_args__ = (one_of("users", "role", Role),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True, index=True)
    first_name: Mapped[str | None] = mapped_column(String(128))
    last_name: Mapped[str | None] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(64))
    first_seen: Mapped[datetime] = mapped_column()
    last_seen: Mapped[datetime] = mapped_column()
    # coach | regio | programma; None: not registered (can still use the FAQ and the checks)
    role: Mapped[str | None] = mapped_column(String(16), default=None)
    region: Mapped[str | None] = mapped_column(
        ForeignKey("regions.code", name="fk_users_region_regions"), default=None
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # Rows made by `hoofdzaak demo seed`; `hoofdzaak demo clear` removes exactly these.
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # The weekly digest: on or off, and the weekday it arrives (0 = Monday … 6 = Sunday).
    digest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    digest_weekday: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set when they blocked the bot (403 or my_chat_member "kicked"): inactive until they
    # come back, then active again with their role. Not set when the programme team
    # deactivated someone, so that stays until the team changes it.
    blocked_at: Mapped[datetime | None] = mapped_column(default=None)


class QuestionLog(Base):
    """A free-text question, what the bot did with it and what the user thought of it."""

    __tablename__ = "question_log"
    __table_args__ = (Index("ix_question_log_outcome_asked", "outcome", "asked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    chat_type: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    # answer | suggest | unknown | smalltalk; a suggestion pressed later sets entry_id
    outcome: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    suggestions: Mapped[str | None] = mapped_column(String(256))  # comma-separated entry ids
    # None | up | down | none (pressed "Geen van deze")
    feedback: Mapped[str | None] = mapped_column(String(8))
    asked_at: Mapped[datetime] = mapped_column(index=True)
    # what the programme team did with it in /onbeantwoord (bot.domain.Triage), and when
    triage: Mapped[str | None] = mapped_column(String(16), default=None)
    triaged_at: Mapped[datetime | None] = mapped_column(default=None)


class LearnedPhrasing(Base):
    """A question linked to an entry in the chat: the bot answers it (and near variants)
    with the entry once confirmed, until `kb learned export` has written it into the YAML
    and that release is running (docs/learning.md)."""

    __tablename__ = "learned_phrasings"
    __table_args__ = (one_of("learned_phrasings", "status", LearnedStatus),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)  # the question as asked (BSNs redacted)
    entry_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_log.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)


class CheckLog(Base):
    """A finished guided check, anonymous: which check, which outcome, when, which region."""

    __tablename__ = "check_log"
    __table_args__ = (Index("ix_check_log_check_finished", "check_id", "finished_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_id: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(64))  # the outcome node, e.g. nee_poh
    verdict: Mapped[str] = mapped_column(String(8))  # ja | nee | uwv
    region: Mapped[str | None] = mapped_column(String(8))  # AMxx once users have regions
    chat_type: Mapped[str] = mapped_column(String(16))
    finished_at: Mapped[datetime] = mapped_column()


class Region(Base):
    """A labour market region (arbeidsmarktregio), seeded from knowledge/regions.yaml."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)  # AM01 … AM38
    name: Mapped[str] = mapped_column(String(80))
    centrumgemeente: Mapped[str] = mapped_column(String(80))


class RegionYear(Base):
    """Division and annual target of a region in one year: set by the programme team."""

    __tablename__ = "region_years"
    __table_args__ = (UniqueConstraint("region_code", "year", name="uq_region_years_region_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    year: Mapped[int] = mapped_column(Integer)
    division: Mapped[str | None] = mapped_column(String(32))
    target: Mapped[int | None] = mapped_column(Integer)
    # Rows made by `hoofdzaak demo seed`; `hoofdzaak demo clear` removes exactly these.
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())


class Invite(Base):
    """A code that lets someone join with a role (and region): /start <code> or a deep link."""

    __tablename__ = "invites"
    __table_args__ = (one_of("invites", "role", Role),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    uses_left: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column()
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column()


class Trajectory(Base):
    """One guided trajectory of one candidate. No names or BSN: the coach's own pseudonym."""

    __tablename__ = "trajectories"
    __table_args__ = (
        Index("ix_trajectories_region_start", "region", "start_date"),
        Index("ix_trajectories_coach_pseudonym", "coach_id", "pseudonym", "start_date"),
        UniqueConstraint("draft_token", name="uq_trajectories_draft_token"),
        one_of("trajectories", "status", TrajectoryStatus),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # HW-2026-00123
    region: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pseudonym: Mapped[str | None] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(32))  # ips | jobcoaching | wabz | reintegratie | …
    target_group: Mapped[str] = mapped_column(String(16))  # epa | cmd | onbekend
    initiator: Mapped[str] = mapped_column(String(16))  # uwv | gemeente | anders
    provider: Mapped[str] = mapped_column(String(32))  # ggz | gemeente | wsp | ribw | …
    benefit: Mapped[str] = mapped_column(String(32))  # geen | ww | wia | wajong | …
    treatment: Mapped[str] = mapped_column(String(16))  # basis | specialistisch
    start_date: Mapped[date] = mapped_column(Date)
    placement_date: Mapped[date | None] = mapped_column(Date)
    hours_per_week: Mapped[int | None] = mapped_column(Integer)
    contract: Mapped[str | None] = mapped_column(String(32))
    end_date: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # lopend | geplaatst | beeindigd
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    # Rows made by `hoofdzaak demo seed`; `hoofdzaak demo clear` removes exactly these.
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # The /registreer draft that made this row: a draft confirmed a second time (the bot
    # stopped after saving, before it could forget the draft) finds this row again.
    draft_token: Mapped[str | None] = mapped_column(String(32))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - optimistic locking


class TrajectoryEvent(Base):
    """Audit trail: who changed which field of a trajectory, when, from what to what."""

    __tablename__ = "trajectory_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trajectory_id: Mapped[int] = mapped_column(
        ForeignKey("trajectories.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    field: Mapped[str] = mapped_column(String(32))
    old: Mapped[str | None] = mapped_column(String(64))
    new: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column()


class BotState(Base):
    """Conversation state and per-user data of the bot (python-telegram-bot persistence).

    kind: `conversation:<name>` (key `<chat>:<user>`, data the state) or `user` (key the
    Telegram id, data a JSON object such as a half-finished registration).
    """

    __tablename__ = "bot_state"

    kind: Mapped[str] = mapped_column(String(48), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column()


class Announcement(Base):
    """One bulk sending: an announcement by the programme team, or one week's digests.

    kind `announcement`: one text (and optionally one photo or document) for an audience.
    kind `digest`: one row per ISO week (key `digest:2026-W48`); every recipient's text is
    personal and sits on their delivery row.
    status: draft → scheduled → sending → done; or cancelled. The sender sends every pending
    delivery of a `sending` announcement and sets `done` when none is left.
    """

    __tablename__ = "announcements"
    __table_args__ = (
        Index("ix_announcements_status_scheduled", "status", "scheduled_at"),
        one_of("announcements", "kind", AnnouncementKind),
        one_of("announcements", "status", AnnouncementStatus),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="announcement")
    key: Mapped[str | None] = mapped_column(String(32), unique=True)
    text: Mapped[str] = mapped_column(Text, default="")  # Telegram HTML
    media_kind: Mapped[str | None] = mapped_column(String(16))  # photo | document
    media_file_id: Mapped[str | None] = mapped_column(String(256))  # Telegram's, once known
    media_path: Mapped[str | None] = mapped_column(String(512))  # a local file (CLI --file)
    audience: Mapped[str] = mapped_column(Text, default="{}")  # JSON: what was chosen
    audience_label: Mapped[str] = mapped_column(String(256), default="")  # Dutch, for lists
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column()
    scheduled_at: Mapped[datetime | None] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    # The sender's progress message in the author's chat (edited while sending).
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)


class Delivery(Base):
    """One recipient of one announcement: at most one row per (announcement, user).

    status: pending → sending → sent | failed | blocked; a row found `sending` after a crash
    becomes `uncertain` (it may or may not have arrived) and is only sent again on request.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("announcement_id", "user_id", name="uq_deliveries_announcement_user"),
        Index("ix_deliveries_announcement_status", "announcement_id", "status"),
        one_of("deliveries", "status", DeliveryStatus),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)  # the user's Telegram id when queued
    text: Mapped[str | None] = mapped_column(
        Text
    )  # personal text (digest); else the announcement's
    reply_markup: Mapped[str | None] = mapped_column(Text)  # JSON inline keyboard, if any
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(256))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    not_before: Mapped[datetime | None] = mapped_column()  # backoff after a network error
    updated_at: Mapped[datetime] = mapped_column()
