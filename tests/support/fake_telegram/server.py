"""HTTP side of the fake: routes /bot<token>/<method> and /file/bot<token>/<path>, decodes bodies.

The Bot API accepts parameters as a query string, application/x-www-form-urlencoded,
application/json or multipart/form-data (python-telegram-bot uses urlencoded, and multipart when
it uploads files). Whatever the encoding, the parameters reach BotApi as strings (JSON-encoded
for non-strings), plus the file parts.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .botapi import BotApi, Reply
from .spec import FilePart

__all__ = ["FakeServer", "parse_multipart"]

_PATH_RE = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z0-9_]+)/?$")
_FILE_PATH_RE = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")
_PARAM_RE = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_PERCENT_RE = re.compile(r"%([0-9A-F]{2})")


def parse_multipart(body: bytes, content_type: str) -> tuple[list[tuple[str, str]], dict[str, FilePart]]:
    """Split a multipart/form-data body into plain fields and file parts (parts with a filename).

    Written out instead of using the removed `cgi` module; it reads what httpx writes, whose
    header parameters follow the HTML5 form encoding ('"' as %22, control characters as %XX).
    """
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise ValueError("multipart body without boundary")
    delimiter = b"\r\n--" + match.group(1).encode("latin-1")
    fields: list[tuple[str, str]] = []
    files: dict[str, FilePart] = {}
    chunks = (b"\r\n" + body).split(delimiter)
    if len(chunks) < 2 or not chunks[-1].startswith(b"--"):
        raise ValueError("multipart body is not terminated by the closing boundary")
    for chunk in chunks[1:-1]:
        head, sep, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("multipart part without a blank line after its headers")
        disposition = _header(head, "content-disposition")
        params = {k.lower(): _unescape_param(v) for k, v in _PARAM_RE.findall(disposition)}
        if "name" not in params:
            raise ValueError("multipart part without a name")
        if "filename" in params:
            files[params["name"]] = FilePart(params["filename"], content)
        else:
            fields.append((params["name"], content.decode("utf-8")))
    return fields, files


def _header(head: bytes, name: str) -> str:
    for line in head.decode("utf-8").split("\r\n"):
        key, _, value = line.partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return ""


def _unescape_param(value: str) -> str:
    """Undo httpx's escaping of '"' (%22), control characters (%XX) and backslashes."""

    def replace(match: re.Match[str]) -> str:
        code = int(match.group(1), 16)
        return chr(code) if code == 0x22 or code < 0x20 else match.group(0)

    return _PERCENT_RE.sub(replace, value).replace("\\\\", "\\")


def _decode_body(content_type: str, body: bytes) -> tuple[list[tuple[str, str]], dict[str, FilePart]]:
    kind = content_type.split(";")[0].strip().lower()
    if not body:
        return [], {}
    if kind == "application/x-www-form-urlencoded":
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True), {}
    if kind == "multipart/form-data":
        return parse_multipart(body, content_type)
    if kind == "application/json":
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("a JSON body must be an object")
        return [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in data.items()], {}
    raise ValueError(f"unsupported Content-Type {content_type!r}")


def _to_form(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Parameters by name; a name given twice is an error (Telegram would take one silently)."""
    form: dict[str, str] = {}
    errors = []
    for name, value in pairs:
        if name in form:
            errors.append(f"parameter '{name}' is given more than once")
        form[name] = value
    return form, errors


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like api.telegram.org
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall
    server: FakeServer

    def log_message(self, format: str, *args: Any) -> None:  # the tests' output stays clean
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:

        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True  # the client died mid-request (e.g. SIGKILL): nothing arrived
            return

        file_match = _FILE_PATH_RE.match(url.path)
        if self.command == "GET" and file_match:
            self._serve_file(unquote(file_match["token"]), unquote(file_match["path"]))
            return
        match = _PATH_RE.match(url.path)
        if match is None:
            self._send_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        try:
            pairs, files = _decode_body(self.headers.get("Content-Type", ""), body)
        except (ValueError, UnicodeDecodeError) as error:
            pairs, files = [], {}
            form_errors = [f"{match['method']}: the request body cannot be decoded: {error}"]
        else:
            form_errors = []
        form, duplicate_errors = _to_form(parse_qsl(url.query, keep_blank_values=True) + pairs)
        form_errors += [f"{match['method']}: {e}" for e in duplicate_errors]
        reply = self.server.api.process(unquote(match["token"]), match["method"], form, files, form_errors)
        self._answer(reply)

    def _answer(self, reply: Reply) -> None:
        if reply.body is not None:
            self._send_json(reply.status, reply.body)
            return
        # kind "timeout": hang without answering, then drop the connection
        self.server.stopped.wait(reply.hold)
        self.close_connection = True

    def _serve_file(self, token: str, path: str) -> None:
        stored = self.server.api.file_by_path(token, path)
        if stored is None:
            self._send_json(404, {"ok": False, "error_code": 404, "description": "Not Found: file not found"})
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(stored)))
        self.end_headers()
        self.wfile.write(stored)

    def _send_json(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up on a long poll; nothing to answer
            self.close_connection = True


class FakeServer(ThreadingHTTPServer):
    """A threading HTTP server on 127.0.0.1 (never any other address) for one BotApi."""

    daemon_threads = True
    request_queue_size = 128  # many bots' connections at once (the default 5 made the kernel drop them)

    block_on_close = False

    def __init__(self, api: BotApi) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api = api
        self.stopped = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.01}, name="fake-telegram", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, wake long polls and hanging faults, and close open keep-alive connections."""
        self.stopped.set()
        self.api.shutdown()
        self.shutdown()
        with self._connections_lock:
            for connection in list(self._connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)
