"""The fake Telegram Bot API server: its spec checks, and python-telegram-bot working against it."""

from __future__ import annotations

import asyncio
import io
import json
import time

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.html import HtmlError, parse_html
from tests.fake_telegram.server import parse_multipart
from tests.fake_telegram.spec import load_spec

# python-telegram-bot 22.x warns about RetryAfter.retry_after becoming a timedelta whenever it builds one
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

KEYBOARD = {
    "inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}, {"text": "Docs", "url": "https://example.org"}]]
}


@pytest.fixture
def fake():
    with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake):
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as client:
        yield client


def post(fake: FakeTelegram, method: str, token: str | None = None, **params) -> httpx.Response:
    """A raw request, encoded like python-telegram-bot does (JSON for everything but strings)."""
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return httpx.post(f"{fake.base_url}{token or fake.token}/{method}", data=form, timeout=5)


# ---- the spec checker ---------------------------------------------------------------------------


def test_accepts_a_correct_send_message_with_html_and_an_inline_keyboard(fake):
    alice = fake.user()
    text = '<b>Bold</b>, <i>it</i> &amp; <a href="https://example.org/?a=1&amp;b=2">link</a> &lt;3 &#9731;'
    response = post(fake, "sendMessage", chat_id=alice.id, text=text, parse_mode="HTML", reply_markup=KEYBOARD)
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["text"] == "Bold, it & link <3 ☃"
    assert {"type": "bold", "offset": 0, "length": 4} in result["entities"]
    assert result["reply_markup"] == KEYBOARD
    fake.assert_no_violations()
    sent = fake.last_message(alice.id)
    assert (sent.text, sent.sent_text, sent.parse_mode, sent.reply_markup) == (result["text"], text, "HTML", KEYBOARD)


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        ("sendMessage", {"text": "no chat"}, "required parameter 'chat_id' is missing"),
        ("sendMessage", {"chat_id": "ALICE", "text": "hi", "colour": "red"}, "unknown parameter 'colour'"),
        (
            "sendMessage",
            {"chat_id": "ALICE", "text": "hi", "disable_notification": "yes"},
            "'disable_notification': expected Boolean",
        ),
        ("sendMessage", {"chat_id": "ALICE", "text": "x" * 4097}, "'text': must be 1-4096 characters, got 4097"),
        ("sendMessage", {"chat_id": "ALICE", "text": "   "}, "'text': must be 1-4096 characters, got 0"),
        (
            "sendMessage",
            {"chat_id": "ALICE", "text": "<b>open", "parse_mode": "HTML"},
            'Can\'t find end tag corresponding to start tag "b"',
        ),
        ("sendMessage", {"chat_id": "ALICE", "text": "1 < 2", "parse_mode": "HTML"}, "bare '<'"),
        (
            "sendMessage",
            {"chat_id": "ALICE", "text": "<div>x</div>", "parse_mode": "HTML"},
            'Unsupported start tag "div"',
        ),
        ("sendMessage", {"chat_id": "ALICE", "text": "Q & A", "parse_mode": "HTML"}, "bare '&'"),
        ("sendMessage", {"chat_id": "ALICE", "text": "hi", "parse_mode": "Markdown3"}, "unsupported parse mode"),
        ("sendMessage", {"chat_id": 777, "text": "hi"}, "chat not found"),
        (
            "sendMessage",
            {
                "chat_id": "ALICE",
                "text": "hi",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "é" * 33}]]},
            },
            "'reply_markup.inline_keyboard[0][0].callback_data': must be 1-64 bytes, got 66",
        ),
        (
            "sendMessage",
            {
                "chat_id": "ALICE",
                "text": "hi",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a", "url": "https://x.org"}]]},
            },
            "exactly one action field",
        ),
        (
            "sendMessage",
            {
                "chat_id": "ALICE",
                "text": "hi",
                "reply_markup": {"inline_keyboard": [[{"text": "", "callback_data": "a"}]]},
            },
            "text must not be empty",
        ),
        (
            "sendMessage",
            {
                "chat_id": "ALICE",
                "text": "hi",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": 5}]]},
            },
            "callback_data': expected String",
        ),
        (
            "sendMessage",
            {"chat_id": "ALICE", "text": "hi", "reply_markup": "not json"},
            "expected InlineKeyboardMarkup or ReplyKeyboardMarkup",
        ),
        ("setMyCommands", {"commands": [{"command": "Start", "description": "Go"}]}, "may contain only lowercase"),
        (
            "setMyCommands",
            {"commands": [{"command": "start", "description": "Go"}], "scope": {"type": "chat"}},
            "'scope.chat_id': required field of BotCommandScopeChat",
        ),
        (
            "setMyCommands",
            {"commands": [{"command": "start", "description": "Go"}], "scope": {"type": "galaxy"}},
            "BotCommandScope needs type one of",
        ),
        ("answerCallbackQuery", {"callback_query_id": "42", "text": "x" * 201}, "'text': must be 0-200 characters"),
        ("editMessageText", {"text": "where?"}, "pass either chat_id and message_id, or inline_message_id"),
    ],
)
def test_flags_requests_telegram_would_refuse(fake, method, params, expected):
    alice = fake.user()
    params = {k: alice.id if v == "ALICE" else v for k, v in params.items()}
    response = post(fake, method, **params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["ok"] is False and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: ")
    assert any(expected in v.message for v in fake.violations), fake.violations
    with pytest.raises(AssertionError, match="Telegram would refuse"):
        fake.assert_no_violations()


def test_unknown_method_is_404_and_a_wrong_token_401(fake):
    response = post(fake, "sendTelepathy", chat_id=1)
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
    assert post(fake, "getMe", token="654321:WRONG").status_code == 401
    assert [v.method for v in fake.violations] == ["sendTelepathy", "getMe"]


def test_html_entities_carry_utf16_offsets_and_pre_languages():
    text, entities = parse_html(
        '😀 <b>x</b> <pre><code class="language-python">print(1)</code></pre> <blockquote expandable>q</blockquote>'
    )
    assert text == "😀 x print(1) q"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 1},
        {"type": "pre", "language": "python", "offset": 5, "length": 8},
        {"type": "expandable_blockquote", "offset": 14, "length": 1},
    ]
    for bad in ["<b><i>x</b></i>", "</b>", "<code><b>x</b></code>", '<span class="x">s</span>', "<a>x</a>", "&#xD800;"]:
        with pytest.raises(HtmlError):
            parse_html(bad)


def test_multipart_parser_keeps_bytes_and_filenames_exact():
    request = httpx.Request(
        "POST",
        "http://127.0.0.1/",
        data={"chat_id": "1", "caption": "ä"},
        files={"document": ('a "b".txt', b"\r\n--x\x00\xff")},
    )
    body = request.read()
    fields, files = parse_multipart(body, request.headers["Content-Type"])
    assert fields == [("chat_id", "1"), ("caption", "ä")]
    assert files["document"].filename == 'a "b".txt'
    assert files["document"].content == b"\r\n--x\x00\xff"


def test_the_fakes_own_answers_match_the_spec(fake):
    """Every object the fake returns has what api.json requires, so it stands in for Telegram faithfully."""
    spec = load_spec()
    alice = fake.user(username="alice")
    group = fake.group("Seminar", supergroup=True)
    hi = fake.send_text(alice, "hi")
    fake.edit_text(alice, hi["message"]["message_id"], "hi again")
    fake.send_text(alice, "hello, group", chat=group)
    sent = post(fake, "sendMessage", chat_id=alice.id, text="<i>q</i>", parse_mode="HTML", reply_markup=KEYBOARD)
    fake.press(alice, sent.json()["result"]["message_id"], "Yes")
    fake.send_command(alice, "/start", payload="abc")
    fake.send_document(alice, "essay.pdf", b"%PDF")
    fake.send_photo(alice, caption="me")
    fake.send_voice(alice)
    fake.send_sticker(alice)
    fake.send_location(alice)
    poll = post(fake, "sendPoll", chat_id=alice.id, question="Q?", options=[{"text": "a"}, {"text": "b"}])
    poll_id = poll.json()["result"]["message_id"]
    answers = {
        "User": post(fake, "getMe").json()["result"],
        "Array of Update": post(fake, "getUpdates").json()["result"],
        "Message": poll.json()["result"],
        "Poll": post(fake, "stopPoll", chat_id=alice.id, message_id=poll_id).json()["result"],
        "ChatFullInfo": post(fake, "getChat", chat_id=alice.id).json()["result"],
    }
    for type_name, value in answers.items():
        assert spec.check_response_object(type_name, value) == [], type_name
    kinds = [next(k for k in u if k != "update_id") for u in answers["Array of Update"]]
    assert kinds == ["message", "edited_message", "message", "callback_query"] + ["message"] * 6
    updates = [Update.de_json(u, None) for u in answers["Array of Update"]]
    assert updates[1].edited_message.text == "hi again"
    assert updates[2].effective_chat.type == "supergroup" and updates[2].effective_user.id == alice.id
    assert updates[4].message.text == "/start abc" and updates[4].message.entities[0].type == "bot_command"
    assert updates[5].message.document.file_name == "essay.pdf"
    assert updates[6].message.photo[-1].width == 800 and updates[6].message.caption == "me"
    assert updates[7].message.voice.file_id.startswith("BQACAg")
    assert updates[8].message.sticker.emoji == "👍"
    assert updates[9].message.location.latitude == 52.52
    fake.assert_no_violations()


# ---- python-telegram-bot against the fake --------------------------------------------------------


async def test_a_real_bot_works_against_the_fake_without_violations(fake, bot):
    alice = fake.user("Alice", language_code="de")
    me = await bot.get_me()
    assert (me.username, me.is_bot, me.can_join_groups) == ("elenchus_test_bot", True, True)

    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Agree", callback_data="agree"),
                InlineKeyboardButton("Disagree", callback_data="disagree"),
            ]
        ]
    )
    message = await bot.send_message(
        alice.id, "Is <b>knowledge</b> justified true belief?", parse_mode="HTML", reply_markup=keyboard
    )
    assert message.text == "Is knowledge justified true belief?"
    assert fake.last_message(alice.id).button_labels == ["Agree", "Disagree"]

    await bot.edit_message_reply_markup(
        alice.id,
        message.message_id,
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Why?", callback_data="why")]]),
    )
    assert fake.messages(alice.id)[0].button_labels == ["Why?"]

    content = b"\x00\x01 transcript \xff\r\n--boundary"
    document = await bot.send_document(
        alice.id,
        InputFile(io.BytesIO(content), filename="transcript.txt"),
        caption="Your <i>transcript</i>",
        parse_mode="HTML",
    )
    assert document.document.file_name == "transcript.txt"
    assert fake.last_message(alice.id).document == ("transcript.txt", content)
    assert fake.last_message(alice.id).caption == "Your transcript"
    assert fake.calls("sendDocument")[0].files == {"document": ("transcript.txt", content)}
    downloaded = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == content

    await bot.set_my_commands(
        [BotCommand("start", "Begin a dialogue")], scope=BotCommandScopeChat(alice.id), language_code="de"
    )
    assert fake.commands({"type": "chat", "chat_id": alice.id}, "de") == [
        {"command": "start", "description": "Begin a dialogue"}
    ]

    text_update = fake.send_text(alice, "hello")
    press_update = fake.press(alice, message.message_id, "Why?")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [text_update["update_id"], press_update["update_id"]]
    assert updates[0].message.text == "hello" and updates[0].message.from_user.language_code == "de"
    query = updates[1].callback_query
    assert (query.data, query.message.message_id) == ("why", message.message_id)
    await bot.answer_callback_query(query.id, text="Noted")
    assert fake.callback_answers == [{"callback_query_id": query.id, "text": "Noted"}]

    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    fake.assert_no_violations()


async def test_edits_that_change_nothing_are_refused_but_are_not_violations(fake, bot):
    alice = fake.user()
    message = await bot.send_message(alice.id, "<b>Same</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("<b>Same</b>", alice.id, message.message_id, parse_mode="HTML")
    fake.assert_no_violations()
    edited = await bot.edit_message_text("Changed", alice.id, message.message_id)
    assert edited.text == "Changed" and fake.last_message(alice.id).edits == 1
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("Gone", alice.id, 999)
    await bot.delete_message(alice.id, message.message_id)
    assert fake.messages(alice.id)[0].deleted and fake.last_message(alice.id) is None
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(alice.id, message.message_id)
    assert [v.method for v in fake.violations] == ["editMessageText", "deleteMessage"]


async def test_press_needs_a_callback_button_on_the_current_message(fake, bot):
    alice = fake.user()
    message = await bot.send_message(
        alice.id, "Pick", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("One", callback_data="1")]])
    )
    with pytest.raises(AssertionError, match="no callback button 'Two'"):
        fake.press(alice, message.message_id, "Two")
    stale = fake.press_data(alice, message.message_id, "forged:data")
    assert stale["callback_query"]["data"] == "forged:data"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("not-a-query")


async def test_long_polling_wakes_as_soon_as_an_update_is_enqueued(fake, bot):
    alice = fake.user()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.wait_for_async(lambda: fake.waiting_polls == 1, timeout=5, what="getUpdates to be waiting")
    started = time.monotonic()
    fake.send_text(alice, "wake up")
    updates = await asyncio.wait_for(poll, 3)
    assert time.monotonic() - started < 3
    assert [u.message.text for u in updates] == ["wake up"]


async def test_get_updates_confirms_by_offset_and_honours_limit_and_allowed_updates(fake, bot):
    alice = fake.user()
    first = fake.send_text(alice, "one")
    fake.send_text(alice, "two")
    message = await bot.send_message(
        alice.id, "Pick", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    )
    fake.press(alice, message.message_id, "A")
    assert [u.message.text for u in await bot.get_updates(limit=1, allowed_updates=["message"])] == ["one"]
    assert [u.message.text for u in await bot.get_updates(offset=first["update_id"] + 1)] == ["two"]
    everything = await bot.get_updates(allowed_updates=[])
    assert [u.callback_query is not None for u in everything] == [False, True]
    fake.deliver(dict(first))  # a duplicate of an update already confirmed
    assert [u.update_id for u in await bot.get_updates(offset=everything[-1].update_id + 1)] == [first["update_id"]]


async def test_injected_faults_then_recovery(fake, bot):
    alice = fake.user()
    fake.fail("sendMessage", times=2, kind="429", retry_after=1)
    for _ in range(2):
        with pytest.raises(RetryAfter, match="Retry in 1 seconds"):
            await bot.send_message(alice.id, "hi")
    fake.fail("sendMessage", times=1, kind="500")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(alice.id, "hi")
    assert (await bot.send_message(alice.id, "finally")).text == "finally"
    assert [m.text for m in fake.messages(alice.id)] == ["finally"]
    assert [r.fault for r in fake.calls("sendMessage")] == ["429", "429", "500", None]
    fake.assert_no_violations()


async def test_a_timeout_fault_trips_the_client_read_timeout(fake):
    alice = fake.user()
    request = HTTPXRequest(read_timeout=0.5)
    async with Bot(fake.token, base_url=fake.base_url, request=request) as impatient:
        fake.fail(None, times=1, kind="timeout", hold=2.0)
        with pytest.raises(TimedOut):
            await impatient.send_message(alice.id, "hello?")
        assert (await impatient.send_message(alice.id, "again")).text == "again"
    assert [m.text for m in fake.messages(alice.id)] == ["again"]


async def test_group_rate_limit_and_blocked_users(fake, bot):
    group = fake.group("Course group")
    alice = fake.user()
    fake.group_rate_limit(per_minute=2)
    await bot.send_message(group.id, "one")
    await bot.send_message(group.id, "two")
    with pytest.raises(RetryAfter):
        await bot.send_message(group.id, "three")
    await bot.send_message(alice.id, "private chats are not limited")
    fake.block(alice)
    with pytest.raises(Exception, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "anyone there?")
    fake.assert_no_violations()


def test_wait_for_reports_what_it_waited_for_and_the_last_requests(fake):
    alice = fake.user()
    post(fake, "sendMessage", chat_id=alice.id, text="first")
    with pytest.raises(
        AssertionError, match=r"(?s)waiting for a bot message in chat \d+ containing 'second'.*sendMessage -> 200"
    ):
        fake.wait_for_message(alice.id, "second", timeout=0.2)
    assert fake.wait_for_message(alice.id, "first").text == "first"
    with pytest.raises(AssertionError):
        fake.wait_for_message(alice.id, "first", after=1, timeout=0.2)


async def test_an_application_answers_start_through_long_polling(fake):
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"Welcome, <b>{update.effective_user.first_name}</b>!", parse_mode="HTML")

    app = Application.builder().token(fake.token).base_url(fake.base_url).base_file_url(fake.base_file_url).build()
    app.add_handler(CommandHandler("start", start))
    alice = fake.user("Alice")
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        fake.send_command(alice, "/start", payload="course-1")
        reply = await fake.wait_for_message_async(alice.id, "Welcome")
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert reply.text == "Welcome, Alice!"
    assert reply.entities == [{"type": "bold", "offset": 9, "length": 5}]
    fake.assert_no_violations()
