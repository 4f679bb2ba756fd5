"""Building and running the python-telegram-bot Application: polling or webhook, rate limits,
retries, per-chat ordering, command menus and logging that never shows texts or the token."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, Defaults, TypeHandler

from ..app.services import Services
from ..config import Settings
from ..content.prompts import Prompts
from . import menus
from .badge import BadgeHandlers
from .facilitators import FacilitatorHandlers
from .feedback import FeedbackHandlers
from .groups import GroupHandlers
from .inbox import InboxGate, InboxRequest
from .pacing import ElenchusApplication, ElenchusBuilder, PerChatOrder, RetryingRateLimiter
from .participant import ParticipantHandlers
from .plumbing import Shell
from .reminders import ReminderHandlers

log = logging.getLogger("elenchus.telegram")

COMMANDS = menus.COMMANDS


class RedactToken(logging.Filter):
    """Belt and braces: whatever a library logs, the bot token never reaches the log."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token and self.token in record.getMessage():
            record.msg = record.getMessage().replace(self.token, "<token>")
            record.args = ()
        if record.exc_info:  # tracebacks quote URLs and error messages that may hold the token
            record.exc_text = logging.Formatter().formatException(record.exc_info).replace(self.token, "<token>")
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "<token>")
        return True


def setup_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s", force=True)
    for noisy in ("httpx", "httpcore", "telegram", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if settings.token:
        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactToken(settings.token))


def build_application(settings: Settings, services: Services, prompts: Prompts) -> Application:
    assert settings.token, "a bot token is needed"
    builder = (
        ElenchusBuilder()
        .token(settings.token)
        .defaults(Defaults(parse_mode=ParseMode.HTML))  # every text the bot sends is HTML (render.py)
        .rate_limiter(
            RetryingRateLimiter(
                overall_max_rate=settings.rate[0],
                overall_time_period=settings.rate[1],
                group_max_rate=settings.group_rate[0],
                group_time_period=settings.group_rate[1],
                max_retries=5,
            )
        )
        .application_class(ElenchusApplication)
        .concurrent_updates(PerChatOrder())
        .get_updates_request(InboxRequest(services.inbox, connection_pool_size=1))
        .post_init(_post_init)
        .post_stop(_post_stop)
    )
    if settings.api_url:
        builder = builder.base_url(settings.api_url)
    if settings.file_url:
        builder = builder.base_file_url(settings.file_url)
    application = builder.build()
    shell = Shell(services, prompts, settings)
    application.add_handler(TypeHandler(Update, shell.skip_duplicates), group=-1)
    FacilitatorHandlers(shell).register(application)  # before the participants' catch-all handlers
    feedback = FeedbackHandlers(shell)
    feedback.register(application)  # its awaited texts (comments, replies) before the participants' answers
    GroupHandlers(shell, settings.group_ack_seconds).register(application)
    BadgeHandlers(shell).register(application)
    reminders = ReminderHandlers(shell)
    reminders.register(application)  # its buttons before the participants' catch-all
    participants = ParticipantHandlers(shell, feedback, reminders)
    participants.register(application)
    feedback.fallback = participants.text
    application.add_handler(TypeHandler(Update, shell.mark_done), group=1)
    application.add_error_handler(shell.on_error)
    application.bot_data["shell"] = shell
    return application


async def _post_init(application: Application) -> None:
    shell: Shell = application.bot_data["shell"]
    me = await application.bot.get_me()
    log.info("event=started bot=@%s", me.username)
    await set_commands(application, shell.prompts, shell.services.cohorts.staff_chats())
    await _recover(application, shell)
    job = application.job_queue.run_repeating(_retention, interval=RETENTION_INTERVAL, name="retention")
    await job.run(application)  # once now (APScheduler cannot start a repeating job at once), then every interval


async def _recover(application: Application, shell: Shell) -> None:
    """After a crash: send the replies still owed (the outbox), then handle the updates that were
    received but not handled (the inbox), before any new update."""
    owed = 0
    for chat in sorted({item.chat for item in shell.services.outbox.pending()}):
        if chat.startswith("-"):
            shell.kick(application.bot, chat)  # a group: paced by its rate limit, in the background
        else:
            owed += await shell.flush(application.bot, chat)
    replayed = 0
    for payload in shell.services.inbox.pending():
        update = Update.de_json(payload, application.bot)
        if update.callback_query is not None:
            shell.replayed_queries.add(update.callback_query.id)
        await application.update_queue.put(update)
        replayed += 1
    if owed or replayed:
        log.info("event=recovered replies_sent=%d updates_replayed=%d", owed, replayed)


async def _post_stop(application: Application) -> None:
    await application.bot_data["shell"].stop_drains()


RETENTION_INTERVAL = 6 * 3600


async def _retention(context) -> None:
    """Keep the promise of the consent text: forget participants inactive beyond the retention
    period; and forget the ids of updates handled long enough ago that Telegram cannot redeliver
    them (a JobQueue job, at start and every RETENTION_INTERVAL)."""
    shell: Shell = context.application.bot_data["shell"]
    try:
        removed = shell.services.rights.purge_inactive(shell.settings.retention_days)
        if removed:
            log.info("event=retention_purge participants=%d", removed)
        pruned = shell.services.inbox.prune()
        if pruned:
            log.info("event=handled_updates_pruned updates=%d", pruned)
    except Exception as exc:  # a failed purge must not stop the bot; it runs again later
        log.error("event=retention_failed error=%s", type(exc).__name__)


async def set_commands(application: Application, prompts: Prompts, staff: Iterable[tuple[int, bool]] = ()) -> None:
    """The command menus per scope and language (bot/telegram/menus.py); `staff`: the private chats of
    facilitators and administrators, (chat id, is administrator). A failure never stops the bot."""
    await menus.set_public_menus(application.bot, prompts)
    for chat_id, admin in staff:
        await menus.set_staff_menu(application.bot, prompts, chat_id, admin=admin)


def run(settings: Settings, services: Services, prompts: Prompts) -> None:
    """Run until SIGINT or SIGTERM: long polling by default, a webhook when a public URL is set."""
    application = build_application(settings, services, prompts)
    allowed = Update.ALL_TYPES
    if settings.webhook_url:
        from .webhook import LimitedUpdater  # PTB's webhook server reads a whole body before it checks anything

        gate = InboxGate(services.inbox)
        application.updater = LimitedUpdater(
            application.bot, application.update_queue, settings.webhook_max_bytes, gate
        )
        path = settings.webhook_path.strip("/")
        application.run_webhook(
            listen=settings.listen,
            port=settings.port,
            url_path=path,
            webhook_url=f"{settings.webhook_url.rstrip('/')}/{path}",
            secret_token=settings.webhook_secret,
            allowed_updates=allowed,
        )
    else:
        application.run_polling(allowed_updates=allowed)
    log.info("event=stopped")
