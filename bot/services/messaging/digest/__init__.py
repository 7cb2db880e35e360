"""The weekly digest: one short personal message per registered user per ISO week.

When: 09:00 Europe/Amsterdam on the user's weekday (`User.digest_weekday`, Monday by default)
of the current ISO week; a run after that moment (the daily 09:00 job, or the catch-up run at
start-up) queues everyone who is due and has no digest of this week yet. Exactly once: the
week is one `announcements` row (kind `digest`, key `digest:2026-W48`) and every recipient
one `deliveries` row, unique per (announcement, user) in the database. The text is rendered
when it is queued and stored on the delivery row; the delivery engine sends the pending rows
of every `sending` announcement (see docs/digest.md).

What it says depends on the role: a coach's own trajectories (with buttons `mt:d:<id>` that
open a trajectory that needs an update), a region's progress and unanswered questions, the
national figures for the programme team, and for everyone the announcements of the week.
The reporting period is the 7 days up to the moment the digest is made.

/instellingen: the digest on or off and its weekday; callback data `set:d:on|off`,
`set:w:<0-6>`, checked again on every press.

The parts: week.py (the ISO week and when a digest is due), compose.py (who gets one and
what it says), queue.py (exactly once per user per week; `hoofdzaak digest send` and
`preview`), settings.py (/instellingen).
"""
