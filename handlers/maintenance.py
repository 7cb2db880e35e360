"""Housekeeping on the job queue: retention every night (docs/privacy.md), and every minute
the learned phrasings brought in step with the database (docs/learning.md)."""

from __future__ import annotations

import logging
from datetime import time

from bot.config import TIMEZONE
from bot.services import Services
from bot.services.faq import learning
from bot.services.people import privacy
from handlers.common import App, BotContext

log = logging.getLogger(__name__)

RETENTION_AT = time(3, 30, tzinfo=TIMEZONE)  # a quiet hour, Europe/Amsterdam
LEARNED_EVERY = 60  # seconds between two syncs of the learned phrasings


async def run_retention(services: Services) -> privacy.RetentionReport:
    async with services.db.session() as session:
        report = await privacy.apply_retention(
            session, privacy.policy_from(services.settings), services.clock()
        )
    log.info("retention: %s", report.as_dict())
    return report


async def _retention_job(context: BotContext) -> None:
    await run_retention(context.services)


async def _learned_job(context: BotContext) -> None:
    result = await learning.sync_now(context.services)
    if result.added or result.removed or result.released:
        log.info("learned phrasings: %s", result)


def schedule(app: App) -> None:
    if app.job_queue is None:
        return
    for name in ("retention", "learned"):
        for job in app.job_queue.get_jobs_by_name(name):
            job.schedule_removal()
    app.job_queue.run_daily(_retention_job, time=RETENTION_AT, name="retention")
    app.job_queue.run_repeating(
        _learned_job, interval=LEARNED_EVERY, first=LEARNED_EVERY, name="learned"
    )
