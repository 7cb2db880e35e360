"""The domain's fixed values, one definition each: used by the models (with check
constraints in the database), the services, the menus and the CLI's choices.

A `StrEnum` member equals its text ("programma" == Role.PROGRAMME), so rows read from the
database and values typed on the command line compare without conversion.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    COACH = "coach"  # job coach: registers and follows up trajectories
    REGIO = "regio"  # regional staff: their region's figures and trajectories
    PROGRAMME = "programma"  # the programme team: everything


class TrajectoryStatus(StrEnum):
    RUNNING = "lopend"
    PLACED = "geplaatst"
    ENDED = "beeindigd"


class AnnouncementKind(StrEnum):
    ANNOUNCEMENT = "announcement"
    DIGEST = "digest"


class AnnouncementStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting to go out
    SENDING = "sending"  # claimed: the API call is under way
    SENT = "sent"
    FAILED = "failed"  # Telegram refused it (400), or it could not be sent
    BLOCKED = "blocked"  # the person blocked the bot (403)
    UNCERTAIN = "uncertain"  # in flight at a crash or a timeout: may or may not have arrived


class LearnedStatus(StrEnum):
    PROPOSED = "proposed"  # picked by a user after a 👎: waits for the programme team
    CONFIRMED = "confirmed"  # linked or confirmed by the programme team: the bot uses it
    EXPORTED = "exported"  # written into the knowledge base's YAML, waiting for the release


class Triage(StrEnum):
    """What the programme team did with an unanswered question in /onbeantwoord."""

    LINKED = "linked"  # linked to an entry: a learned phrasing
    NEW_TOPIC = "new_topic"  # kept as a candidate for a new entry
    IGNORED = "ignored"


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The texts of an enum's members, in definition order."""
    return tuple(member.value for member in enum)
