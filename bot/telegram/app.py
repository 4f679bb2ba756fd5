"""Building and running the python-telegram-bot Application: polling or webhook, rate limits,
retries, per-chat ordering, command menus and logging that never shows texts or the token."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import BotCommand, BotCommandScopeAllPrivateChats, Update
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, BaseUpdateProcessor, TypeHandler

from ..app.services import Services
from ..config import Settings
from ..content.prompts import Prompts
from .facilitators import FacilitatorHandlers
from .groups import GroupHandlers
from .participant import ParticipantHandlers
from .plumbing import Shell

log = logging.getLogger("elenchus.telegram")

NETWORK_RETRIES = 5
COMMANDS = {
    "menu": "commands.menu",
    "resume": "commands.resume",
    "portfolio": "commands.portfolio",
    "mydata": "commands.mydata",
    "forget": "commands.forget",
    "privacy": "commands.privacy",
    "language": "commands.language",
    "help": "commands.help",
}
"""The command menu in private chats: command -> prompt key of its description."""


class RetryingRateLimiter(AIORateLimiter):
    """Telegram's flood limits (AIORateLimiter, which also waits out 429 RetryAfter), plus
    retries with backoff for transient network errors and 5xx answers.

    BadRequest is a NetworkError in python-telegram-bot but is final, so it is never retried.
    """

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):  # type: ignore[override]
        delay = 0.25
        for attempt in range(NETWORK_RETRIES + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest:
                raise
            except NetworkError as exc:
                if attempt == NETWORK_RETRIES:
                    raise
                log.warning("event=retry method=%s attempt=%d error=%s", endpoint, attempt + 1, type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 4.0)
        raise AssertionError("unreachable")


class PerChatOrder(BaseUpdateProcessor):
    """Updates of different chats run concurrently; those of one chat run one after another.

    So one participant flooding the bot only queues their own messages, and each participant's
    answers are handled in the order they were sent.
    """

    def __init__(self, max_concurrent_updates: int = 4096):
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}
        """chat -> (its lock, how many updates hold or wait for it)."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _order_key(update)
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]  # nobody else waits: a later update may start a new lock
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        self._locks.clear()


def _order_key(update: object) -> int:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return 0


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
        ApplicationBuilder()
        .token(settings.token)
        .rate_limiter(
            RetryingRateLimiter(
                overall_max_rate=settings.rate[0],
                overall_time_period=settings.rate[1],
                group_max_rate=settings.group_rate[0],
                group_time_period=settings.group_rate[1],
                max_retries=5,
            )
        )
        .concurrent_updates(PerChatOrder())
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
    GroupHandlers(shell, settings.group_ack_seconds).register(application)
    ParticipantHandlers(shell).register(application)
    application.add_handler(TypeHandler(Update, shell.mark_done), group=1)
    application.add_error_handler(shell.on_error)
    application.bot_data["shell"] = shell
    return application


async def _post_init(application: Application) -> None:
    shell: Shell = application.bot_data["shell"]
    me = await application.bot.get_me()
    log.info("event=started bot=@%s", me.username)
    await set_commands(application, shell.prompts)
    application.bot_data["retention"] = asyncio.get_running_loop().create_task(_retention(shell))


async def _post_stop(application: Application) -> None:
    task = application.bot_data.pop("retention", None)
    if task is not None:
        task.cancel()


RETENTION_INTERVAL = 6 * 3600


async def _retention(shell: Shell) -> None:
    """Keep the promise of the consent text: forget participants inactive beyond the retention period."""
    while True:
        try:
            removed = shell.services.rights.purge_inactive(shell.settings.retention_days)
            if removed:
                log.info("event=retention_purge participants=%d", removed)
        except Exception as exc:  # a failed purge must not stop the bot; it runs again later
            log.error("event=retention_failed error=%s", type(exc).__name__)
        await asyncio.sleep(RETENTION_INTERVAL)


async def set_commands(application: Application, prompts: Prompts) -> None:
    """The command menu in private chats, per language. A failure here never stops the bot."""
    for locale in prompts.locales:
        commands = [BotCommand(name, prompts.t(key, locale)) for name, key in COMMANDS.items()]

        try:
            await application.bot.set_my_commands(
                commands, scope=BotCommandScopeAllPrivateChats(), language_code=None if locale == "en" else locale
            )
        except TelegramError as exc:
            log.warning("event=set_commands_failed locale=%s error=%s", locale, type(exc).__name__)


def run(settings: Settings, services: Services, prompts: Prompts) -> None:
    """Run until SIGINT or SIGTERM: long polling by default, a webhook when a public URL is set."""
    application = build_application(settings, services, prompts)
    allowed = Update.ALL_TYPES
    if settings.webhook_url:
        from .webhook import LimitedUpdater  # PTB's webhook server reads a whole body before it checks anything

        application.updater = LimitedUpdater(application.bot, application.update_queue, settings.webhook_max_bytes)
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
