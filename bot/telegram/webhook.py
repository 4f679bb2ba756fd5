"""The webhook server, with its limits checked on the request's headers, before a body is read.

python-telegram-bot's own webhook handler (telegram/ext/_utils/webhookhandler.py) lets tornado
read the whole body into memory, up to tornado's default of 100 MB, and only then looks at the
secret token: anyone who can reach the port could make the bot hold 100 MB per request. Here the
handler streams its body (`tornado.web.stream_request_body`), so `prepare()` runs on the headers
alone and refuses a request without the right secret (403), with a body over the limit (413) or
of unknown length (411, Telegram always sends Content-Length) before one byte of it is read. A
refused request's connection is closed. tornado's own limits stand behind the handler's.

`LimitedUpdater` is python-telegram-bot's Updater with this server in place of its own; the
rest (setWebhook with the secret, stopping, the update queue) stays the library's.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from http import HTTPStatus
from pathlib import Path
from typing import Any

import tornado.web
from telegram import Bot, Update
from telegram.ext import ExtBot, Updater
from tornado.httpserver import HTTPServer
from tornado.httputil import HTTPHeaders

from .inbox import InboxGate

log = logging.getLogger("elenchus.telegram")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_HEADER_BYTES = 64 * 1024
"""All of a request's headers together; Telegram's are a few hundred bytes."""


def refusal(headers: HTTPHeaders, secret: str, max_bytes: int) -> HTTPStatus | None:
    """Why a webhook request must be refused, judged on its headers alone; None to accept it.

    The secret comes first, so that a stranger learns nothing else about the server.
    """
    given = headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return HTTPStatus.FORBIDDEN
    if "Transfer-Encoding" in headers or "Content-Length" not in headers:
        return HTTPStatus.LENGTH_REQUIRED
    length = headers["Content-Length"].strip()
    if not (length.isascii() and length.isdigit()):
        return HTTPStatus.BAD_REQUEST
    if int(length) > max_bytes:
        return HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    if headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/json":
        return HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    return None


@tornado.web.stream_request_body
class WebhookHandler(tornado.web.RequestHandler):
    """One webhook call from Telegram: an update, put on the Application's update queue."""

    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(
        self, bot: Bot, update_queue: asyncio.Queue, secret: str, max_bytes: int, gate: InboxGate | None = None
    ) -> None:
        self.gate = gate
        """The durable inbox: the update is stored before the 200 tells Telegram it arrived."""
        self.bot = bot
        self.update_queue = update_queue
        self.secret = secret
        self.max_bytes = max_bytes
        self.chunks = bytearray()

    def prepare(self) -> None:
        """Runs when the headers have arrived and before the body is read (stream_request_body)."""
        status = refusal(self.request.headers, self.secret, self.max_bytes)
        if status is not None:
            log.info("event=webhook_refused status=%d", status)
            raise tornado.web.HTTPError(status)

    def data_received(self, chunk: bytes) -> None:
        """No more than Content-Length arrives, checked in prepare() (and by the server)."""
        self.chunks += chunk

    async def post(self) -> None:
        try:
            raw = json.loads(self.chunks)
            taken = self.gate.take(raw) if self.gate is not None else raw
            update = Update.de_json(taken, self.bot) if taken and set(taken) != {"update_id"} else None
        except Exception as exc:  # whatever the body was, it is not an update: say so, log no data
            log.warning("event=webhook_bad_update error=%s", type(exc).__name__)
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
        if update is not None:
            if isinstance(self.bot, ExtBot):
                self.bot.insert_callback_data(update)  # as python-telegram-bot's handler does
            await self.update_queue.put(update)
        self.set_status(HTTPStatus.OK)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Refusals are logged in prepare(); tornado's default would log the caller's address."""


class WebhookApp(tornado.web.Application):
    """The one route of the webhook, and no access log (it would show callers' addresses)."""

    def __init__(
        self,
        path: str,
        bot: Bot,
        update_queue: asyncio.Queue,
        secret: str,
        max_bytes: int,
        gate: InboxGate | None = None,
    ):
        shared = {"bot": bot, "update_queue": update_queue, "secret": secret, "max_bytes": max_bytes, "gate": gate}
        super().__init__([(rf"{path}/?", WebhookHandler, shared)])

    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        pass


class WebhookServer:
    """tornado's HTTP server with limits of its own, as the Updater drives it: serve, shut down."""

    def __init__(self, listen: str, port: int, app: WebhookApp, max_bytes: int):
        # Libraries log warnings and errors only (docs/deployment.md, "Logs"); at INFO tornado
        # would add a line with the caller's address to each refusal its own limits repeat.
        logging.getLogger("tornado").setLevel(logging.WARNING)
        self.listen = listen
        self.port = port
        self.http = HTTPServer(
            app,
            max_header_size=MAX_HEADER_BYTES,
            max_body_size=max_bytes,
            max_buffer_size=max_bytes + MAX_HEADER_BYTES,
        )

    async def serve_forever(self, ready: asyncio.Event | None = None) -> None:
        self.http.listen(self.port, address=self.listen)
        if ready is not None:
            ready.set()

    async def shutdown(self) -> None:
        self.http.stop()
        await self.http.close_all_connections()


class LimitedUpdater(Updater):
    """python-telegram-bot's Updater, serving its webhook with WebhookServer (behind a proxy
    that terminates HTTPS: no certificate, key or unix socket of its own)."""

    def __init__(self, bot: Bot, update_queue: asyncio.Queue, max_bytes: int, gate: InboxGate | None = None):
        super().__init__(bot=bot, update_queue=update_queue)
        self.max_bytes = max_bytes
        self.gate = gate

    async def _start_webhook(  # type: ignore[override]
        self,
        listen: str,
        port: int,
        url_path: str,
        bootstrap_retries: int,
        allowed_updates: Any,
        cert: str | Path | None = None,
        key: str | Path | None = None,
        drop_pending_updates: bool | None = None,
        webhook_url: str | None = None,
        ready: asyncio.Event | None = None,
        ip_address: str | None = None,
        max_connections: int = 40,
        secret_token: str | None = None,
        unix: Any = None,
    ) -> None:
        """What the library's _start_webhook does, with this module's server."""
        if cert or key or unix:
            raise RuntimeError("the webhook runs behind a proxy: no certificate, key or unix socket")
        if not secret_token:
            raise RuntimeError("the webhook needs a secret token")
        path = "/" + url_path.lstrip("/")
        app = WebhookApp(path, self.bot, self.update_queue, secret_token, self.max_bytes, self.gate)
        self._httpd = WebhookServer(listen, port, app, self.max_bytes)  # type: ignore[assignment]
        await self._bootstrap(
            max_retries=bootstrap_retries,
            drop_pending_updates=drop_pending_updates,
            webhook_url=webhook_url,
            allowed_updates=allowed_updates,
            ip_address=ip_address,
            max_connections=max_connections,
            secret_token=secret_token,
        )
        await self._httpd.serve_forever(ready=ready)
