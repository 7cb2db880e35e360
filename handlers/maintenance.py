"""Nightly housekeeping on the job queue: retention (docs/privacy.md)."""

from __future__ import annotations

import logging
from datetime import time

from bot.config import TIMEZONE
from bot.services import Services
from bot.services.people import privacy
from handlers.common import App, BotContext

log = logging.getLogger(__name__)

RETENTION_AT = time(3, 30, tzinfo=TIMEZONE)  # a quiet hour, Europe/Amsterdam


async def run_retention(services: Services) -> privacy.RetentionReport:
    async with services.db.session() as session:
        report = await privacy.apply_retention(
            session, privacy.policy_from(services.settings), services.clock()
        )
    log.info("retention: %s", report.as_dict())
    return report


async def _retention_job(context: BotContext) -> None:
    await run_retention(context.services)


def schedule(app: App) -> None:
    if app.job_queue is None:
        return
    for job in app.job_queue.get_jobs_by_name("retention"):
        job.schedule_removal()
    app.job_queue.run_daily(_retention_job, time=RETENTION_AT, name="retention")
