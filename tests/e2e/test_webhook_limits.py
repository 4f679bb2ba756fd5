"""The webhook refuses strangers and oversized bodies before it reads them (security review,
finding 7): the real bot in webhook mode, as its own process, sent raw HTTP on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import select
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from ..support.bot_harness import bot_process

SECRET = "s3cret-Token_1"
MiB = 1024 * 1024
BIG = 50 * MiB
"""Each attack's body: 50 times the default limit; the test streams it, it never holds it."""
GROWTH_LIMIT_KB = 8 * 1024
"""How much the bot's memory may grow across all attacks: a few MB, never one body's worth."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (the highest it has ever been) of a process, in kB."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0])
    return fields


def body_of(total: int, piece: int = MiB) -> Iterator[bytes]:
    """`total` bytes in pieces of one (reused) MiB, so the test holds one piece at a time."""
    chunk = b"x" * piece
    while total > 0:
        yield chunk[: min(piece, total)]
        total -= piece


def chunked(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """The same pieces with Transfer-Encoding: chunked framing."""
    for piece in pieces:
        yield b"%x\r\n" % len(piece) + piece + b"\r\n"
    yield b"0\r\n\r\n"


def post_raw(port: int, headers: dict[str, str], body: Iterator[bytes], timeout: float = 60.0) -> tuple[int, int]:
    """POST to the webhook over a plain socket, sending the body only while the server has not
    answered yet (as a client whose request was refused would). (HTTP status, body bytes sent);
    status 0 if the server closed the connection without an answer."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(f"POST /telegram HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode())
        sent = 0
        for piece in body:
            if select.select([conn], [], [], 0)[0]:
                break  # answered (or closed) before the whole body was sent
            try:
                conn.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        return _status(conn), sent


def _status(conn: socket.socket) -> int:
    answer = b""
    try:
        while b"\r\n" not in answer:
            data = conn.recv(4096)
            if not data:
                break
            answer += data
    except (ConnectionResetError, TimeoutError):
        pass  # closed without an answer, or no answer in time
    line = answer.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) >= 2 and line[0].startswith(b"HTTP/") else 0


def wait_until_listening(port: int, timeout: float = 30.0) -> None:
    """The webhook server starts listening right after setWebhook; wait until it accepts."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"the webhook server did not listen on port {port} within {timeout} s") from None
            select.select([], [], [], 0.05)  # a short pause between connection attempts


def help_update(user) -> bytes:
    return json.dumps(
        {
            "update_id": 900 + user.id % 100,
            "message": {
                "message_id": 1,
                "date": 1,
                "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
                "from": {"id": user.id, "is_bot": False, "first_name": user.first_name, "language_code": "en"},
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
    ).encode()


def headers_for(length: int | None, secret: str | None = SECRET) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Connection": "close"}
    if length is not None:
        headers["Content-Length"] = str(length)
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return headers


@contextlib.contextmanager
def webhook_process(fake, tmp_path, **settings: str) -> Iterator[tuple[subprocess.Popen, int]]:
    """The bot as `python -m bot run` in webhook mode on a free local port: (process, port)."""
    port = free_port()
    env = {
        "ELENCHUS_WEBHOOK_URL": "https://bot.example.org/hooks",
        "ELENCHUS_WEBHOOK_SECRET": SECRET,
        "ELENCHUS_LISTEN": "127.0.0.1",
        "ELENCHUS_PORT": str(port),
        **settings,
    }
    proc = bot_process(fake, tmp_path / "bot.db", tmp_path / "bot.log", env)
    try:
        fake.wait_for(lambda: fake.calls("setWebhook"), timeout=30, what="setWebhook")
        wait_until_listening(port)
        yield proc, port
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, "SIGTERM stops the bot cleanly"


@pytest.fixture
def webhook_bot(fake, tmp_path):
    with webhook_process(fake, tmp_path) as bot:
        yield bot


def answer_help(fake, port: int, name: str) -> None:
    """A real update, with the secret: accepted, and the participant gets the help text."""
    user = fake.user(name)
    update = help_update(user)
    assert post_raw(port, headers_for(len(update)), iter([update]))[0] == 200
    fake.wait_for_message(user.id, "/portfolio", timeout=15)


def test_a_call_without_the_secret_is_refused_before_its_body_is_sent(fake, webhook_bot):
    _, port = webhook_bot
    for secret in (None, "wrong", SECRET + "x"):
        # Only the headers: a server that waited for the 50 MB body would never answer.
        status, _ = post_raw(port, headers_for(BIG, secret), iter([]), timeout=10)
        assert status == 403, f"secret {secret!r}: refused on the headers alone"
    answer_help(fake, port, "Alice")


def test_an_oversized_body_is_refused_before_it_is_read_and_memory_stays_flat(fake, webhook_bot):
    proc, port = webhook_bot
    answer_help(fake, port, "Alice")  # warm up: the first request loads what every request needs
    before = memory_kb(proc.pid)

    results = [post_raw(port, headers_for(BIG), body_of(BIG)) for _ in range(5)]
    unknown_length = post_raw(port, headers_for(None) | {"Transfer-Encoding": "chunked"}, chunked(body_of(BIG)))
    after = memory_kb(proc.pid)

    assert after["VmHWM"] - before["VmHWM"] < GROWTH_LIMIT_KB, f"peak memory grew: {before} -> {after} kB"
    assert after["VmRSS"] - before["VmRSS"] < GROWTH_LIMIT_KB, f"memory grew: {before} -> {after} kB"
    assert [status for status, _ in results] == [413] * 5, "a body over ELENCHUS_WEBHOOK_MAX_BYTES: 413"
    assert all(sent < BIG for _, sent in results), "the bot stops the upload instead of reading it to the end"
    assert unknown_length[0] == 411, "a body without Content-Length is refused: Telegram always sends one"
    assert unknown_length[1] < BIG
    answer_help(fake, port, "Bob")


def test_the_limit_is_the_setting(fake, tmp_path):
    with webhook_process(fake, tmp_path, ELENCHUS_WEBHOOK_MAX_BYTES="2000") as (_, port):
        alice = fake.user("Alice")
        update = json.loads(help_update(alice))
        update["message"]["from"]["last_name"] = "L" * 2000  # a well-formed update, just too large
        padded = json.dumps(update).encode()
        assert post_raw(port, headers_for(len(padded)), iter([padded]))[0] == 413
        answer_help(fake, port, "Bob")  # a normal update is far below 2000 bytes
        assert fake.messages(alice.id) == [], "the refused update was not handled"
