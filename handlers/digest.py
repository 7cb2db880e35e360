"""/instellingen (the digest on or off, and its weekday) and the digest's daily job.

The job queues this week's digests of everyone who is due
(bot.services.messaging.digest.queue.enqueue_due): every day at 09:00 Europe/Amsterdam, and once
shortly after start-up to catch up on a run the bot missed while it was down. The delivery
engine sends what was queued.
"""

from __future__ import annotations

import logging
from datetime import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    filters,
)

from bot.callbacks import Flow, pattern
from bot.config import TIMEZONE
from bot.services.messaging.digest import queue, settings, week
from handlers.common import BotContext, person, send, show, with_session

log = logging.getLogger(__name__)

JOB_DAILY = "digest-daily"
JOB_CATCH_UP = "digest-catch-up"
CATCH_UP_DELAY = 20  # seconds after start-up


@with_session
async def on_settings(update: Update, context: BotContext, session: AsyncSession) -> None:
    if update.effective_user is None:
        return
    await send(
        update, context, await settings.settings_command(context.services, session, person(update))
    )


@with_session
async def on_press(update: Update, context: BotContext, session: AsyncSession) -> None:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return
    result = await settings.settings_press(context.services, session, person(update), query.data)
    await show(update, context, result)


async def run_digest(context: BotContext) -> None:
    """The job: queue the digests that are due now."""
    services = context.services
    async with services.db.session() as session:
        queued = await queue.enqueue_due(services, session, services.clock())
    if queued:
        services.wake_sender()  # send now rather than at the sender's next poll
        log.info("digest: queued %d for week %s", queued, week.Week.of(services.clock()).label)


def schedule(app: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Every day at 09:00 Amsterdam (DST-correct), and a catch-up run shortly after start-up."""
    if app.job_queue is None:
        log.warning("no job queue: the weekly digest is not scheduled")
        return
    for job in app.job_queue.get_jobs_by_name(JOB_DAILY) + app.job_queue.get_jobs_by_name(
        JOB_CATCH_UP
    ):
        job.schedule_removal()
    app.job_queue.run_daily(run_digest, time(week.HOUR, 0, tzinfo=TIMEZONE), name=JOB_DAILY)
    app.job_queue.run_once(run_digest, CATCH_UP_DELAY, name=JOB_CATCH_UP)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("instellingen", on_settings, filters=private),
        CallbackQueryHandler(on_press, pattern=pattern(Flow.SETTINGS)),
    ]
