"""What a form keeps between two steps: its draft, a typed model.

The forms (/registreer, the follow-up forms of /mijntrajecten, /bericht) each have their own
model, a subclass of `Draft`: registration.RegistrationDraft, followup.FollowupDraft and
compose.AnnounceDraft. Handlers keep a draft as JSON in the conversation's user data, which
is written to the database at every step (bot/persistence.py), so a restart loses nothing.

A stored draft that does not fit its model (written by an older version of the bot, or
damaged) is not used half: `load` gives None and the user starts that form again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError

IDLE = timedelta(minutes=30)  # a form nobody touched for this long is dropped


class Draft(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    step: str
    touched: datetime | None = None  # the last answer or press

    def touch(self, now: datetime) -> None:
        self.touched = now

    def idle(self, now: datetime) -> bool:
        """Untouched for longer than IDLE (30 minutes)."""
        return self.touched is not None and now - self.touched > IDLE

    def dump(self) -> dict[str, Any]:
        """The JSON the conversation's user data keeps."""
        return self.model_dump(mode="json")

    @classmethod
    def load(cls, data: object) -> Self | None:
        """The draft kept in user data; None if there is none or it does not fit the model.
        Always a new object: a step that fails half-way leaves the kept draft as it was."""
        if not isinstance(data, dict):
            return None
        try:
            return cls.model_validate(data)
        except ValidationError:
            return None
