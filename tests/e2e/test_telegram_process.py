"""The bot as an operator runs it: `python -m bot run` in its own process, killed and restarted."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import urllib.error
import urllib.request

from bot.storage import Storage

from ..support.bot_harness import TITLE, Participant, bot_process

THICK = "I would look at the assessment, because it shows what was learned, for example a project brief."


def answers(db) -> list[tuple[str, str]]:
    store = Storage(db)
    try:
        rows = store.db.execute("select node_id, answer from reflections order by id").fetchall()
        return [tuple(r) for r in rows]
    finally:
        store.close()


async def test_kill_9_mid_dialogue_then_restart_loses_and_repeats_nothing(fake, tmp_path):
    db, log = tmp_path / "bot.db", tmp_path / "bot.log"
    first = bot_process(fake, db, log)
    try:
        alice = Participant(fake, fake.user("Alice"))
        await alice.command("/start")
        await alice.press("Yes, keep my answers")
        await alice.press(TITLE)
        await alice.press("3")
        await alice.expect("Step 2 of 12", timeout=30)
        await alice.write("First: " + THICK)
        await alice.expect("What would convince you")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert answers(db) == [("q-value", "First: " + THICK)]

    await alice.write("Second, written while the bot was down: " + THICK)
    second = bot_process(fake, db, log)
    try:
        await alice.expect("Pick a role", timeout=30)
        await alice.press("The university issuing it")
        await alice.expect("You run the micro-credential programme")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0, "SIGTERM stops the bot cleanly"
    assert answers(db) == [
        ("q-value", "First: " + THICK),
        ("q-evidence", "Second, written while the bot was down: " + THICK),
    ]
    text = log.read_text()
    assert "event=stopped" in text
    assert fake.token not in text and fake.token.split(":")[1] not in text, "the token never reaches the logs"
    assert THICK not in text and "Lena" not in text, "no message texts in the logs"
    assert "event=answer" in text


def post_update(port: int, update: dict, secret: str) -> int:
    """POST an update to the bot's webhook as Telegram does; the HTTP status."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/telegram",
        data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


async def test_webhook_mode_with_a_secret_token(fake, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "ELENCHUS_WEBHOOK_URL": "https://bot.example.org/hooks",
        "ELENCHUS_WEBHOOK_SECRET": "s3cret-Token_1",
        "ELENCHUS_LISTEN": "127.0.0.1",
        "ELENCHUS_PORT": str(port),
    }
    proc = bot_process(fake, tmp_path / "bot.db", tmp_path / "bot.log", env)
    try:
        hook = await fake.wait_for_async(lambda: fake.calls("setWebhook"), timeout=30, what="setWebhook")
        assert hook[-1].params["url"] == "https://bot.example.org/hooks/telegram"
        assert hook[-1].params["secret_token"] == "s3cret-Token_1"
        alice = fake.user("Alice")
        update = {
            "update_id": 777,
            "message": {
                "message_id": 1,
                "date": 1,
                "chat": {"id": alice.id, "type": "private", "first_name": "Alice"},
                "from": {"id": alice.id, "is_bot": False, "first_name": "Alice", "language_code": "en"},
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }

        async def posted(secret: str) -> int:
            return await asyncio.to_thread(post_update, port, update, secret)

        status = 0
        for _ in range(100):  # the webhook server starts after setWebhook; wait for it to accept
            try:
                status = await posted("wrong")
                break
            except OSError:
                await asyncio.sleep(0.1)
        assert status == 403, "a call without the secret token is refused"
        assert await posted("s3cret-Token_1") == 200
        await fake.wait_for_message_async(alice.id, "/portfolio", timeout=15)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def test_a_refused_token_is_reported_without_showing_it(fake, tmp_path):
    import os
    import subprocess
    import sys

    from ..support.content import ROOT

    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "424242:a-wrong-token-value",
        "TELEGRAM_API_URL": fake.base_url,
        "ELENCHUS_DB": str(tmp_path / "x.db"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "Telegram refused TELEGRAM_BOT_TOKEN" in result.stderr
    assert "a-wrong-token-value" not in result.stdout + result.stderr
    fake.clear_violations()  # the wrong token was refused on purpose


def test_webhook_mode_without_a_secret_refuses_to_start(tmp_path):
    from ..support.cli import run_cli

    result = run_cli(
        "run",
        env={
            "TELEGRAM_BOT_TOKEN": "1:x",
            "ELENCHUS_WEBHOOK_URL": "https://bot.example.org",
            "ELENCHUS_DB": str(tmp_path / "x.db"),
        },
    )
    assert result.returncode == 2 and "needs a secret token" in result.stderr
