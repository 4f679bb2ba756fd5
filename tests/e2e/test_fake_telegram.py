"""The fake Telegram Bot API server: its spec checks, and python-telegram-bot working against it."""

from __future__ import annotations

import asyncio
import io
import json
import time
from datetime import timedelta

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, PollAnswerHandler, filters
from telegram.request import HTTPXRequest

from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_telegram.html import HtmlError, parse_html
from tests.support.fake_telegram.server import parse_multipart
from tests.support.fake_telegram.spec import load_spec

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
    group = fake.group("Seminar", supergroup=True, members=[alice], privacy=False)
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


# ---- groups: privacy mode, members, polls, migration, removal, rate limit -------------------------


def _kinds(updates) -> list[str]:
    return [next(k for k in (u if isinstance(u, dict) else u.to_dict()) if k != "update_id") for u in updates]


def test_privacy_mode_delivers_only_commands_replies_mentions_and_service_messages(fake):
    alice, bob, carol = fake.user("Alice"), fake.user("Bob"), fake.user("Carol")
    group = fake.group("Seminar", admins=[alice], members=[bob])
    question = post(fake, "sendMessage", chat_id=group.id, text="What is virtue?").json()["result"]
    assert fake.send_text(bob, "In private") is not None  # a private chat: everything reaches the bot
    plain = fake.send_text(bob, "I think it is knowledge", chat=group)
    bob_message = fake.history(group.id)[-1]
    delivered = {
        "plain text": plain,
        "/cmd": fake.send_text(alice, "/start", chat=group),
        "/cmd@this_bot": fake.send_text(alice, "/start@elenchus_test_bot now", chat=group),
        "/cmd@other_bot": fake.send_text(alice, "/start@other_bot", chat=group),
        "reply to bot": fake.reply(bob, group, question["message_id"], "Knowledge of the good"),
        "reply to a user": fake.reply(alice, group, bob_message.message_id, "Why?"),
        "mention": fake.send_text(bob, "Hey @Elenchus_Test_Bot, next question", chat=group),
        "mention of another": fake.send_text(bob, "cc @someone_else", chat=group),
        "sticker": fake.send_sticker(bob, chat=group),
        "joined": fake.add_member(group, carol),
        "left": fake.remove_member(group, carol),
    }
    assert {what: update is not None for what, update in delivered.items()} == {
        "plain text": False,
        "/cmd": True,
        "/cmd@this_bot": True,
        "/cmd@other_bot": False,
        "reply to bot": True,
        "reply to a user": False,
        "mention": True,
        "mention of another": False,
        "sticker": False,
        "joined": True,
        "left": True,
    }
    # withheld messages are still in the group's history
    history = fake.history(group.id)
    assert [m.delivered for m in history if not m.from_bot] == [
        False, True, True, False, True, False, True, False, False, True, True,
    ]  # fmt: skip
    assert history[1].text == "I think it is knowledge"
    assert delivered["/cmd"]["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert delivered["/cmd@this_bot"]["message"]["entities"][0]["length"] == len("/start@elenchus_test_bot")
    assert delivered["mention"]["message"]["entities"] == [{"type": "mention", "offset": 4, "length": 18}]
    assert delivered["reply to bot"]["message"]["reply_to_message"]["message_id"] == question["message_id"]
    assert delivered["joined"]["message"]["new_chat_members"][0]["id"] == carol.id
    assert delivered["left"]["message"]["left_chat_member"]["id"] == carol.id
    # edits follow the same rule: an edited reply to the bot reaches it, an edited plain message does not
    reply_id = delivered["reply to bot"]["message"]["message_id"]
    assert fake.edit_text(bob, bob_message.message_id, "Or maybe not", chat=group) is None
    edited = fake.edit_text(bob, reply_id, "Knowledge of the good, surely", chat=group)
    assert edited["edited_message"]["reply_to_message"]["message_id"] == question["message_id"]
    # Carol left: she can no longer post
    with pytest.raises(AssertionError, match=r"Carol .* is not a member"):
        fake.send_text(carol, "/start", chat=group)
    fake.assert_no_violations()


@pytest.mark.parametrize("how", ["privacy off", "bot is admin"])
def test_without_privacy_mode_or_as_admin_the_bot_gets_every_message(fake, how):
    alice, bob = fake.user("Alice"), fake.user("Bob")
    group = fake.group("Open group", admins=[alice], members=[bob], privacy=how == "bot is admin")
    if how == "bot is admin":
        promoted = fake.make_bot_admin(group)
        change = promoted["my_chat_member"]
        assert (change["old_chat_member"]["status"], change["new_chat_member"]["status"]) == ("member", "administrator")
        assert change["from"]["id"] == alice.id
    first = fake.send_text(bob, "plain words", chat=group)
    assert first is not None
    assert fake.send_text(bob, "/start@other_bot", chat=group) is not None
    assert fake.reply(alice, group, first["message"]["message_id"], "a reply to Bob") is not None
    assert fake.send_sticker(bob, chat=group) is not None
    assert all(m.delivered for m in fake.history(group.id))


def test_entities_are_detected_with_utf16_offsets(fake):
    alice = fake.user("Alice")
    update = fake.send_text(alice, "😀 @elenchus_test_bot and @x and /not_a_command")
    assert update["message"]["entities"] == [{"type": "mention", "offset": 3, "length": 18}]
    assert "entities" not in fake.send_text(alice, "nothing special")["message"]


async def test_force_reply_and_reply_parameters_are_checked_and_recorded(fake, bot):
    alice, bob = fake.user("Alice"), fake.user("Bob")
    group = fake.group("Seminar", admins=[alice], members=[bob])
    command = fake.send_command(alice, "/dialogue", chat=group)
    asked = await bot.send_message(
        group.id,
        "Bob, what is courage?",
        reply_to_message_id=command["message"]["message_id"],
        reply_markup=ForceReply(selective=True, input_field_placeholder="Your answer"),
    )
    assert asked.reply_to_message.message_id == command["message"]["message_id"]
    assert asked.reply_markup is None  # Telegram echoes inline keyboards only
    recorded = fake.last_message(group.id)
    assert recorded.force_reply and recorded.input_field_placeholder == "Your answer"
    assert recorded.reply_to_message_id == command["message"]["message_id"]
    answer = fake.reply(bob, group, asked.message_id, "Knowing what to fear")
    assert answer["message"]["reply_to_message"]["text"] == "Bob, what is courage?"
    fake.assert_no_violations()

    without = await bot.send_message(
        group.id, "Anyway", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True)
    )
    assert without.reply_to_message is None
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(group.id, "To what?", reply_to_message_id=999)
    with pytest.raises(BadRequest, match="another chat"):
        await bot.send_message(group.id, "Cross", reply_parameters=ReplyParameters(1, chat_id=alice.id))
    with pytest.raises(BadRequest, match="quote"):
        await bot.send_message(group.id, "Quoting", reply_parameters=ReplyParameters(asked.message_id, quote="fear"))
    quoted = await bot.send_message(
        group.id, "Quoting", reply_parameters=ReplyParameters(asked.message_id, quote="courage")
    )
    assert quoted.reply_to_message.message_id == asked.message_id
    for markup, expected in [
        ({"force_reply": True, "input_field_placeholder": "x" * 65}, "must be 1-64 characters, got 65"),
        ({"force_reply": True, "input_field_placeholder": ""}, "must be 1-64 characters, got 0"),
        ({"force_reply": False}, "'reply_markup.force_reply': must be True"),
    ]:
        fake.clear_violations()
        response = post(fake, "sendMessage", chat_id=group.id, text="Q?", reply_markup=markup)
        assert response.status_code == 400
        assert any(expected in v.message for v in fake.violations), fake.violations
    assert len(fake.messages(group.id)) == 3  # the refused ones were not posted


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"question": "", "options": [{"text": "a"}, {"text": "b"}]}, "'question': must be 1-300 characters, got 0"),
        ({"question": "q" * 301, "options": [{"text": "a"}, {"text": "b"}]}, "must be 1-300 characters, got 301"),
        ({"question": "Q?", "options": []}, "'options': must have 1-12 items, got 0"),
        ({"question": "Q?", "options": [{"text": str(i)} for i in range(13)]}, "must have 1-12 items, got 13"),
        ({"question": "Q?", "options": ["a", "b"]}, "'options[0]': expected a JSON object (InputPollOption)"),
        ({"question": "Q?", "options": [{"text": "a" * 101}, {"text": "b"}]}, "must be 1-100 characters, got 101"),
        ({"question": "Q?", "options": [{"text": "a"}, {"text": "a"}]}, "POLL_OPTION_DUPLICATE"),
        ({"question": "Q?", "options": [{"text": "a"}, {"text": "b"}], "type": "vote"}, 'must be "regular" or'),
        ({"question": "Q?", "options": [{"text": "a"}, {"text": "b"}], "type": "quiz"}, "required for polls in quiz"),
        (
            {"question": "Q?", "options": [{"text": "a"}, {"text": "b"}], "type": "quiz", "correct_option_ids": [2]},
            "must be increasing option indexes",
        ),
        ({"question": "Q?", "options": [{"text": "a"}, {"text": "b"}], "open_period": 3}, "'open_period': must be 5-"),
        (
            {"question": "Q?", "options": [{"text": "a"}, {"text": "b"}], "is_anonymous": "no"},
            "'is_anonymous': expected Boolean",
        ),
    ],
)
def test_send_poll_is_checked_against_the_spec(fake, params, expected):
    group = fake.group("Seminar")
    response = post(fake, "sendPoll", chat_id=group.id, **params)
    assert response.status_code == 400, response.text
    assert any(expected in v.message for v in fake.violations), fake.violations
    assert fake.polls(group.id) == []


async def test_votes_in_a_non_anonymous_poll_reach_the_bot_as_poll_answers(fake, bot):
    alice, bob = fake.user("Alice"), fake.user("Bob")
    group = fake.group("Seminar", admins=[alice], members=[bob])
    sent = await bot.send_poll(
        group.id, "Is virtue teachable?", ["Yes", "No", "Unsure"], is_anonymous=False, allows_multiple_answers=False
    )
    assert sent.poll.is_anonymous is False and [o.voter_count for o in sent.poll.options] == [0, 0, 0]
    assert fake.wait_for_message(group.id, "virtue teachable").message_id == sent.message_id

    first = fake.vote(alice, sent.message_id, [0])
    assert first["poll_answer"] == {
        "poll_id": sent.poll.id,
        "user": alice.to_api(),
        "option_ids": [0],
        "option_persistent_ids": ["0"],
    }
    fake.vote(bob, sent.message_id, [0], chat=group)
    fake.vote(alice, sent.message_id, [1])  # changes her vote
    retracted = fake.vote(bob, sent.message_id, [])
    assert retracted["poll_answer"]["option_ids"] == []
    (poll,) = fake.polls(group.id)
    assert poll.tally == {"Yes": 0, "No": 1, "Unsure": 0}
    assert (poll.total_voter_count, poll.votes, poll.is_closed) == (1, {alice.id: [1]}, False)
    with pytest.raises(AssertionError, match="only one answer"):
        fake.vote(bob, sent.message_id, [0, 1])
    with pytest.raises(AssertionError, match="already voted"):
        fake.vote(alice, sent.message_id, [1])

    updates = await bot.get_updates(timeout=0)
    assert _kinds(updates) == ["poll_answer", "poll"] * 4
    answers = [u.poll_answer for u in updates if u.poll_answer]
    assert [(a.user.first_name, tuple(a.option_ids)) for a in answers] == [
        ("Alice", (0,)), ("Bob", (0,)), ("Alice", (1,)), ("Bob", ()),
    ]  # fmt: skip
    assert [o.voter_count for o in updates[-1].poll.options] == [0, 1, 0]

    stopped = await bot.stop_poll(group.id, sent.message_id)
    assert stopped.is_closed and [o.voter_count for o in stopped.options] == [0, 1, 0]
    assert fake.polls(group.id)[0].is_closed
    with pytest.raises(AssertionError, match="closed"):
        fake.vote(bob, sent.message_id, [2])
    with pytest.raises(BadRequest, match="already been closed"):
        await bot.stop_poll(group.id, sent.message_id)
    assert [v.message for v in fake.violations] == ["stopPoll: Bad Request: poll has already been closed"]


async def test_anonymous_polls_and_allowed_updates(fake, bot):
    alice = fake.user("Alice")
    group = fake.group("Seminar", members=[alice])
    anonymous = await bot.send_poll(group.id, "Anonymous?", ["a", "b"])
    assert fake.vote(alice, anonymous.message_id, [1]) is None  # no poll_answer for anonymous polls
    assert fake.polls(group.id)[0].tally == {"a": 0, "b": 1}
    named = await bot.send_poll(group.id, "Named?", ["a", "b"], is_anonymous=False, allows_revoting=False)
    fake.vote(alice, named.message_id, [0])
    with pytest.raises(AssertionError, match="allows_revoting"):
        fake.vote(alice, named.message_id, [])
    assert _kinds(await bot.get_updates(timeout=0, allowed_updates=["message", "poll_answer"])) == ["poll_answer"]
    assert _kinds(await bot.get_updates(timeout=0, allowed_updates=[])) == ["poll", "poll_answer", "poll"]


def test_chat_members_and_administrators_match_the_spec(fake):
    spec = load_spec()
    alice, bob, carol, dave = fake.user("Alice"), fake.user("Bob"), fake.user("Carol"), fake.user("Dave")
    group = fake.group("Seminar", supergroup=True, admins=[alice, bob], members=[carol, dave])
    fake.remove_member(group, dave, kicked=True)
    eve = fake.user("Eve")

    def member(user_id):
        result = post(fake, "getChatMember", chat_id=group.id, user_id=user_id).json()["result"]
        assert spec.check_response_object("ChatMember", result) == [], result
        return result

    statuses = {u.first_name: member(u.id)["status"] for u in (alice, bob, carol, dave, eve)}
    assert statuses == {"Alice": "creator", "Bob": "administrator", "Carol": "member", "Dave": "kicked", "Eve": "left"}
    assert member(fake.bot_user["id"])["status"] == "member"
    admins = post(fake, "getChatAdministrators", chat_id=group.id).json()["result"]
    assert [(a["status"], a["user"]["id"]) for a in admins] == [("creator", alice.id), ("administrator", bob.id)]
    fake.make_bot_admin(group)
    bot_member = member(fake.bot_user["id"])
    assert bot_member["status"] == "administrator" and bot_member["can_be_edited"] is False
    admins = post(fake, "getChatAdministrators", chat_id=group.id).json()["result"]
    assert spec.check_response_object("Array of ChatMember", admins) == []
    assert admins[-1]["user"]["id"] == fake.bot_user["id"]
    assert post(fake, "getChatMemberCount", chat_id=group.id).json()["result"] == 4  # Alice, Bob, Carol, the bot
    fake.promote(group, carol)
    assert member(carol.id)["status"] == "administrator"
    assert post(fake, "getChatAdministrators", chat_id=alice.id).status_code == 400
    fake.clear_violations()
    fake.assert_no_violations()


async def test_chat_member_objects_parse_in_python_telegram_bot(fake, bot):
    alice, bob = fake.user("Alice"), fake.user("Bob")
    group = fake.group("Seminar", admins=[alice], members=[bob])
    assert isinstance(await bot.get_chat_member(group.id, alice.id), ChatMemberOwner)
    assert isinstance(await bot.get_chat_member(group.id, bob.id), ChatMemberMember)
    fake.remove_member(group, bob)
    assert isinstance(await bot.get_chat_member(group.id, bob.id), ChatMemberLeft)
    fake.make_bot_admin(group)
    me = await bot.get_chat_member(group.id, bot.id)
    assert isinstance(me, ChatMemberAdministrator) and me.can_pin_messages
    assert [m.user.id for m in await bot.get_chat_administrators(group.id)] == [alice.id, bot.id]
    fake.assert_no_violations()


async def test_a_migrated_group_answers_chat_migrated_with_the_new_id(fake, bot):
    alice, bob = fake.user("Alice"), fake.user("Bob")
    group = fake.group("Seminar", admins=[alice], members=[bob])
    await bot.send_message(group.id, "Before the upgrade")
    supergroup = fake.migrate(group)
    assert supergroup.type == "supergroup" and str(supergroup.id).startswith("-100") and supergroup.id != group.id
    assert supergroup.title == "Seminar"
    with pytest.raises(ChatMigrated) as raised:
        await bot.send_message(group.id, "Still there?")
    assert raised.value.new_chat_id == supergroup.id
    with pytest.raises(ChatMigrated):
        await bot.get_chat_member(group.id, alice.id)
    response = post(fake, "sendMessage", chat_id=group.id, text="raw")
    assert response.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": supergroup.id},
    }
    assert (await bot.send_message(supergroup.id, "After the upgrade")).chat.id == supergroup.id
    fake.assert_no_violations()  # ChatMigrated is Telegram's behaviour, not a mistake

    updates = await bot.get_updates(timeout=0)
    assert [(u.message.chat.id, u.message.migrate_to_chat_id, u.message.migrate_from_chat_id) for u in updates] == [
        (group.id, supergroup.id, None),
        (supergroup.id, None, group.id),
    ]
    # members, administrators and privacy mode moved over
    assert (await bot.get_chat_member(supergroup.id, alice.id)).status == "creator"
    assert fake.send_text(bob, "plain", chat=supergroup) is None
    assert fake.send_text(bob, "/start", chat=supergroup) is not None
    with pytest.raises(AssertionError, match="upgraded"):
        fake.send_text(bob, "/start", chat=group)
    with pytest.raises(AssertionError, match="only a group"):
        fake.migrate(supergroup)


@pytest.mark.parametrize("kicked", [False, True])
async def test_a_removed_bot_gets_my_chat_member_then_forbidden(fake, bot, kicked):
    alice, bob = fake.user("Alice"), fake.user("Bob")
    group = fake.group("Seminar", admins=[alice], members=[bob])
    fake.make_bot_admin(group)
    await bot.get_updates(timeout=0)
    await bot.get_updates(offset=-1, timeout=0)  # confirm what came before
    removed = fake.remove_bot(group, kicked=kicked)
    change = removed["my_chat_member"]
    assert change["old_chat_member"]["status"] == "administrator"
    assert change["new_chat_member"]["status"] == ("kicked" if kicked else "left")
    assert change["from"]["id"] == alice.id
    updates = [u for u in await bot.get_updates(timeout=0) if u.update_id > 1]
    assert _kinds(updates)[-2:] == ["message", "my_chat_member"]
    assert updates[-2].message.left_chat_member.id == bot.id
    assert updates[-1].my_chat_member.new_chat_member.status == ("kicked" if kicked else "left")
    expected = "bot was kicked from the group chat" if kicked else "bot is not a member of the group chat"
    with pytest.raises(Forbidden, match=expected):
        await bot.send_message(group.id, "Hello?")
    with pytest.raises(Forbidden, match=expected):
        await bot.send_poll(group.id, "Q?", ["a", "b"])
    assert fake.send_text(bob, "/start", chat=group) is None  # the bot no longer hears the group
    fake.assert_no_violations()
    fake.add_bot(group)
    assert (await bot.send_message(group.id, "I'm back")).text == "I'm back"


async def test_leave_chat_sends_my_chat_member_from_the_bot(fake, bot):
    group = fake.group("Seminar", members=[fake.user("Alice")])
    assert await bot.leave_chat(group.id) is True
    (update,) = await bot.get_updates(timeout=0)
    assert update.my_chat_member.from_user.id == bot.id
    assert update.my_chat_member.new_chat_member.status == "left"
    with pytest.raises(Forbidden, match="not a member"):
        await bot.send_message(group.id, "Hello?")


async def test_the_group_rate_limit_counts_successful_posts_only(fake, bot):
    clock = [1000.0]
    alice = fake.user("Alice")
    group = fake.group("Seminar", members=[alice])
    other = fake.group("Other group")
    fake.group_rate_limit(per_minute=4, window=3.0, clock=lambda: clock[0])
    first = await bot.send_message(group.id, "one")
    await bot.send_poll(group.id, "two?", ["a", "b"])
    await bot.send_document(group.id, InputFile(io.BytesIO(b"three"), filename="three.txt"))
    clock[0] += 1.0
    await bot.send_message(group.id, "four")
    # not counted: edits, chat actions, refused sends, getters
    await bot.edit_message_text("one, edited", group.id, first.message_id)
    await bot.send_chat_action(group.id, "typing")
    with pytest.raises(BadRequest):
        await bot.send_message(group.id, "<b>broken", parse_mode="HTML")
    await bot.get_chat_member(group.id, alice.id)
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(group.id, "five")
    assert raised.value.retry_after in (2, timedelta(seconds=2))  # the first three leave the window in 2 s
    await bot.send_message(other.id, "other groups have their own budget")
    await bot.send_message(alice.id, "private chats are not limited")
    clock[0] += 1.5
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(group.id, "five")
    assert raised.value.retry_after in (1, timedelta(seconds=1))  # at least 1 s, never 0
    clock[0] += 0.5
    await bot.send_message(group.id, "five")
    assert [m.shown for m in fake.messages(group.id)] == ["one, edited", "two?", "", "four", "five"]
    fake.clear_violations()  # the broken HTML
    fake.group_rate_limit(None)
    for n in range(6):
        await bot.send_message(group.id, f"unlimited {n}")


async def test_the_group_rate_limit_works_with_a_real_short_window(fake, bot):
    """per_minute=20, window=3.0: the 21st send in quick succession gets RetryAfter (no waiting needed)."""
    group = fake.group("Seminar")
    fake.group_rate_limit(per_minute=20, window=3.0)
    for n in range(20):
        await bot.send_message(group.id, f"message {n}")
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(group.id, "one too many")
    assert 1 <= _seconds(raised.value.retry_after) <= 3
    assert len(fake.messages(group.id)) == 20
    fake.assert_no_violations()


def _seconds(value) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else value


async def test_forum_topics(fake, bot):
    alice, bob = fake.user("Alice"), fake.user("Bob")
    forum = fake.group("Course forum", supergroup=True, admins=[alice], members=[bob], forum=True)
    topic = fake.create_topic(forum, "Week 1")
    update = fake.send_text(bob, "/start", chat=forum, thread_id=topic)
    assert update["message"]["message_thread_id"] == topic and update["message"]["is_topic_message"] is True
    sent = await bot.send_message(forum.id, "Welcome to week 1", message_thread_id=topic)
    assert sent.message_thread_id == topic and sent.is_topic_message
    reply = await bot.send_message(forum.id, "In the same topic", reply_to_message_id=update["message"]["message_id"])
    assert reply.message_thread_id == topic
    answer = fake.reply(bob, forum, sent.message_id, "Thanks")
    assert answer["message"]["message_thread_id"] == topic
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(forum.id, "Nowhere", message_thread_id=12345)
    with pytest.raises(AssertionError, match="no forum topic"):
        fake.send_text(bob, "hi", chat=forum, thread_id=999)
    with pytest.raises(ValueError, match="only supergroups"):
        fake.group("Not a forum", forum=True)
    fake.make_bot_admin(forum)
    created = await bot.create_forum_topic(forum.id, "Week 2")
    assert created.name == "Week 2"
    assert (await bot.send_message(forum.id, "Week 2 starts", message_thread_id=created.message_thread_id)).text
    assert [m.thread_id for m in fake.messages(forum.id) if m.text] == [topic, topic, created.message_thread_id]
    fake.clear_violations()  # the unknown thread
    fake.assert_no_violations()


def test_group_updates_match_the_spec(fake):
    """Every update the group features produce has what api.json requires."""
    spec = load_spec()
    alice, bob, carol = fake.user("Alice", username="alice"), fake.user("Bob"), fake.user("Carol")
    group = fake.group("Seminar", admins=[alice], members=[bob])
    poll = post(
        fake, "sendPoll", chat_id=group.id, question="Q?", options=[{"text": "a"}, {"text": "b"}], is_anonymous=False
    ).json()["result"]
    fake.vote(bob, poll["message_id"], [1])
    fake.reply(bob, group, poll["message_id"], "I chose b")
    fake.make_bot_admin(group)
    fake.add_member(group, carol)  # also a chat_member update, as the bot is an admin
    fake.remove_member(group, carol, kicked=True)
    supergroup = fake.migrate(group)
    forum = fake.group("Forum", supergroup=True, admins=[alice], forum=True)
    fake.send_text(alice, "@elenchus_test_bot hello", chat=forum, thread_id=fake.create_topic(forum, "Topic"))
    fake.remove_bot(supergroup)
    updates = post(
        fake, "getUpdates", allowed_updates=["message", "poll", "poll_answer", "my_chat_member", "chat_member"]
    )
    result = updates.json()["result"]
    assert spec.check_response_object("Array of Update", result) == []
    assert set(_kinds(result)) == {"message", "poll", "poll_answer", "my_chat_member", "chat_member"}
    assert spec.check_response_object("Poll", fake.polls(group.id)[0].api) == []
    [Update.de_json(u, None) for u in result]  # python-telegram-bot reads them all
    fake.assert_no_violations()


async def test_a_group_without_the_bot_until_it_is_added(fake, bot):
    alice = fake.user("Alice")
    group = fake.group("Seminar", admins=[alice], bot_member=False)
    assert fake.send_text(alice, "/start", chat=group) is None
    with pytest.raises(Forbidden, match="not a member"):
        await bot.send_message(group.id, "Hello?")
    added = fake.add_bot(group)
    assert added["my_chat_member"]["new_chat_member"]["status"] == "member"
    updates = await bot.get_updates(timeout=0)
    assert _kinds(updates) == ["my_chat_member", "message"]
    assert updates[1].message.new_chat_members[0].id == bot.id and updates[1].message.from_user.id == alice.id
    assert (await bot.send_message(group.id, "Hello, everyone")).text == "Hello, everyone"


async def test_an_application_runs_a_group_poll_through_long_polling(fake):
    """A facilitator's command in a group, a non-anonymous poll, votes and a reply, through a real Application."""
    answers: list[tuple[int, tuple[int, ...]]] = []
    replies: list[str] = []

    async def dialogue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await context.bot.send_poll(update.effective_chat.id, "Is virtue knowledge?", ["Yes", "No"], is_anonymous=False)
        await update.effective_chat.send_message(
            "Why?", reply_markup=ForceReply(selective=True, input_field_placeholder="Your reason")
        )

    async def poll_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        answers.append((update.poll_answer.user.id, tuple(update.poll_answer.option_ids)))

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        replies.append(update.message.text)

    app = Application.builder().token(fake.token).base_url(fake.base_url).base_file_url(fake.base_file_url).build()
    app.add_handler(CommandHandler("dialogue", dialogue))
    app.add_handler(PollAnswerHandler(poll_answer))
    app.add_handler(MessageHandler(filters.REPLY & filters.ChatType.GROUPS, reply))
    alice, bob = fake.user("Alice"), fake.user("Bob")
    group = fake.group("Seminar", admins=[alice], members=[bob])
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        fake.send_command(alice, "/dialogue", chat=group)
        why = await fake.wait_for_message_async(group.id, "Why?")
        (poll,) = fake.polls(group.id)
        fake.vote(bob, poll.message_id, [1])
        fake.vote(alice, poll.message_id, [0])
        assert fake.send_text(bob, "not a reply", chat=group) is None
        fake.reply(bob, group, why.message_id, "Because people do wrong knowingly")
        await fake.wait_for_async(lambda: len(answers) == 2 and replies, what="the poll answers and the reply")
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert answers == [(bob.id, (1,)), (alice.id, (0,))]
    assert replies == ["Because people do wrong knowingly"]
    assert why.force_reply and why.input_field_placeholder == "Your reason"
    assert fake.polls(group.id)[0].tally == {"Yes": 1, "No": 1}
    fake.assert_no_violations()
