"""Updates built from the Bot API spec (api.json): every kind the Update type names, each a valid
object of its type with random but type-correct values (seeded, so a failure can be replayed).

Valid means what Telegram could send: every required field, a random few of the optional ones,
union types by their discriminator, integers within what the spec promises (ids up to 52 bits,
dates as Unix times), texts and button data chosen to hurt (huge numbers, unicode, empty).

The bot answers in the chats an update names, so those are kept consistent with the fake's world
(`World`): chats, senders and button messages are real ones, forum threads exist, a callback query
has a message or an inline_message_id (never both). Everything else is random.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from .fake_telegram.spec import Spec

MAX_DEPTH = 3
HUGE = 2**64
"""Numbers in texts and button data go far beyond SQLite's 64-bit integers."""
SECRET = "My private reflection FUZZ-SECRET-7f3a"
"""A text that must never reach the log."""

CALLBACK_DATA = [
    "c:99999999999999999999:x:1",
    "c:9223372036854775808:whose-view:1",
    "c:9223372036854775807:whose-view:1",
    "c:1:whose-view:99999999999999999999",
    "s:18446744073709551616:before:3",
    "s:1:before:9223372036854775808",
    "c:²:whose-view:1",
    "c:1:whose-view:²",
    "c:١:whose-view:1",
    "c:1:whose-view:1",
    "s:1:before:3",
    "c:1::1",
    "c:1:x:1:extra",
    "x:1:csv",
    "x:1",
    "x:²",
    "x:9223372036854775808:csv",
    "x:99999999999999999999",
    "x:",
    "x::",
    "x:1:nope",
    "g:n:18446744073709551616",
    "g:n:9223372036854775807",
    "g:n:²",
    "g:e:1",
    "g:n:1",
    "g:d:value-and-trust",
    "g:d:",
    "g:d:nope",
    "g:",
    "g",
    "d:",
    "d:value-and-trust",
    "d:nope",
    "a:",
    "a:lang-xx",
    "a:lang-",
    "a:lang-de",
    "a:consent-yes",
    "a:consent-no",
    "a:forget-no",
    "",
    ":",
    "🧪" * 16,
]
TEXTS = [
    "/start",
    "/start consent",
    "/start " + "9" * 40,
    "/start@elenchus_test_bot",
    "/start@other_bot",
    "/menu",
    "/resume",
    "/help",
    "/language",
    "/privacy",
    "/mydata",
    "/nope",
    "/session",
    "/session value-and-trust",
    "/session value-and-trust " + "9" * 30,
    "/next",
    "/pause",
    "/continue",
    "/endsession",
    "/export",
    "/export since=2024-13-99 dialogue=nope",
    "/cohort " + "9" * 30,
    "/cohorts",
    "/newcohort X",
    "/renew x invite",
    "/revoke",
    "/auditlog",
    "",
    " ",
    "\n",
    "ünïcødé ✓ 🧪",
    "مرحبا بالعالم",
    "\u200b\u200d\ufeff",
    "<b>&amp;</b> <script>",
    "x" * 4096,
    str(HUGE),
    "🧪" * 500,
    SECRET,
]
STRINGS = ["", " ", "a", "Ωmega ✓ 🧪", "مرحبا", "\u200b", "<i>&</i>", "9" * 30, "x" * 300, "-", "null"]
LANGUAGES = ["en", "de", "xx", "", "de-AT", "zh-hans", "EN", "🧪"]


@dataclass
class World:
    """What exists in the fake: users (Bot API dicts), chats by id (Chat dicts), forum topics,
    the bot's messages per chat and the ids of its polls."""

    users: list[dict]
    chats: list[dict]
    topics: dict[int, list[int]] = field(default_factory=dict)
    bot_messages: dict[int, list[int]] = field(default_factory=dict)
    polls: list[str] = field(default_factory=list)
    bot: dict = field(default_factory=dict)


class SpecUpdates:
    """Random valid updates of each kind in the spec's Update type."""

    def __init__(self, spec: Spec, world: World, seed: int):
        self.spec = spec
        self.world = world
        self.rng = random.Random(seed)
        self.kinds = [f["name"] for f in spec.types["Update"]["fields"] if f["name"] != "update_id"]
        self._chat: dict = {}
        self._queries = 0

    def update(self, kind: str) -> dict:
        """One update of this kind (without update_id: the fake gives it one), valid by the fake's
        own checker of the spec and Telegram's limits; a draw that breaks a limit is drawn again."""
        (field_spec,) = [f for f in self.spec.types["Update"]["fields"] if f["name"] == kind]
        for _ in range(50):
            self._chat = self._pick_chat(kind)
            update = {kind: self.object(field_spec["types"][0], 0)}
            if not self.spec.check_response_object("Update", {"update_id": 1, **update}):
                return update
        raise AssertionError(f"no valid {kind} update in 50 draws: the generator needs a fix")

    # ---- generic: any spec type -------------------------------------------------------------

    def object(self, type_name: str, depth: int) -> Any:
        spec_type = self.spec.types[type_name]
        if spec_type.get("subtypes"):
            return self._union(type_name, spec_type["subtypes"], depth)
        special = getattr(self, f"_make_{type_name}", None)
        if special is not None:
            return special(depth)
        return self._fields(type_name, depth)

    def _fields(self, type_name: str, depth: int, skip: tuple[str, ...] = ()) -> dict:
        chance = (0.12, 0.06, 0.03, 0.0)[min(depth, MAX_DEPTH)]
        data: dict[str, Any] = {}
        for f in self.spec.types[type_name].get("fields", []):
            if f["name"] in skip or not (f["required"] or self.rng.random() < chance):
                continue
            data[f["name"]] = self.value(f["types"], f["name"], depth + 1)
        disc = self.spec.discriminator(type_name)
        if disc:
            data[disc[0]] = disc[1]
        return data

    def _union(self, type_name: str, subtypes: list[str], depth: int) -> Any:
        if type_name == "MaybeInaccessibleMessage":
            return self._button_message(depth)
        return self.value([self.rng.choice(subtypes)], type_name, depth)

    def value(self, types: list[str], name: str, depth: int) -> Any:
        t = self.rng.choice(types)
        if t.startswith("Array of "):
            inner = t.removeprefix("Array of ")
            if inner == "MessageEntity":  # offsets must fit the text; only commands are marked
                return []
            count = self.rng.choice([0, 1, 1, 2, 3]) if depth < MAX_DEPTH else 0
            return [self.value([inner], name, depth + 1) for _ in range(count)]
        if t == "Integer":
            return self.integer(name)
        if t == "Float":
            return self.rng.choice([0.0, -0.0, 1.5, -90.0, 180.0, 1e9, self.rng.uniform(-1000, 1000)])
        if t == "Boolean":
            return self.rng.random() < 0.5
        if t == "String":
            return self.string(name)
        return self.object(t, depth)

    def integer(self, name: str) -> int:
        """Dates as Unix times; ids up to the 52 bits the spec promises; other numbers as small or
        as large as a 32-bit field holds."""
        if name.endswith("date") or name.endswith("_time"):
            return self.rng.choice([0, 1, 2**31 - 1, self.rng.randint(1_600_000_000, 1_900_000_000)])
        if name.endswith("id") or name.endswith("_ids"):
            return self.rng.choice([0, 1, -1, 2**31, 2**52 - 1, -(2**52 - 1), self.rng.randint(1, 10**9)])
        return self.rng.choice([0, 1, -1, 2**31 - 1, -(2**31), self.rng.randint(0, 10**6)])

    def string(self, name: str) -> str:
        if name == "language_code":
            return self.rng.choice(LANGUAGES)
        if name in ("text", "caption", "query", "quote"):
            return self.rng.choice(TEXTS + STRINGS)
        return self.rng.choice(STRINGS)

    # ---- the parts the bot answers to: kept consistent with the fake's world -----------------

    def _pick_chat(self, kind: str) -> dict:
        if "channel" in kind:
            return {"id": -1009999999999, "type": "channel", "title": "A channel"}
        return self.rng.choice(self.world.chats)

    def _make_Chat(self, depth: int) -> dict:
        chat = self._fields("Chat", depth, skip=("id", "type", "is_forum", "is_direct_messages"))
        return {**chat, **self._chat}

    def _make_User(self, depth: int) -> dict:
        user = self._fields("User", depth, skip=("id", "is_bot"))
        return {**user, "id": self.rng.choice(self.world.users)["id"], "is_bot": False}

    def _make_Message(self, depth: int) -> dict:
        message = self._fields("Message", depth, skip=("message_thread_id", "is_topic_message", "text"))
        message["chat"] = self._make_Chat(depth + 1)
        if self._chat["type"] == "private":
            sender = next(u for u in self.world.users if u["id"] == self._chat["id"])
            message["from"] = {**self._make_User(depth + 1), "id": sender["id"]}
        if self.rng.random() < 0.7 and not any(k in message for k in ("caption", "poll", "dice")):
            message["text"] = self.rng.choice(TEXTS + STRINGS)
            message["entities"] = _command_entity(message["text"])
        topics = self.world.topics.get(self._chat["id"])
        if topics and self.rng.random() < 0.5:
            message["message_thread_id"] = self.rng.choice(topics)
            message["is_topic_message"] = True
        return message

    def _button_message(self, depth: int) -> dict:
        """The message a button was on: one of the bot's (as sent, or with other fields), or gone."""
        chat_id = self._chat["id"]
        mine = self.world.bot_messages.get(chat_id, [])
        if not mine or self.rng.random() < 0.3:
            return {"chat": self._make_Chat(depth + 1), "message_id": self.rng.randint(1, 10**6), "date": 0}
        message = self._make_Message(depth)
        message["message_id"] = self.rng.choice(mine)
        message["from"] = self.world.bot
        return message

    def _make_CallbackQuery(self, depth: int) -> dict:
        self._queries += 1
        query = {
            "id": f"fuzz-{self._queries}",
            "from": self._make_User(depth + 1),
            "chat_instance": self.string("chat_instance"),
        }
        if self.rng.random() < 0.3:
            query["inline_message_id"] = self.string("inline_message_id") or "AgAAA"
        else:
            query["message"] = self._button_message(depth + 1)
        if self.rng.random() < 0.95:
            query["data"] = self.rng.choice(CALLBACK_DATA)
        else:
            query["game_short_name"] = self.string("game_short_name")
        return query

    def _make_PollAnswer(self, depth: int) -> dict:
        answer = self._fields("PollAnswer", depth, skip=("voter_chat", "user"))
        if self.world.polls and self.rng.random() < 0.5:
            answer["poll_id"] = self.rng.choice(self.world.polls)
        answer["user"] = self._make_User(depth + 1)
        answer["option_ids"] = self.rng.choice([[], [0], [1], [0, 1], [2**31 - 1], [-1]])
        return answer


def _command_entity(text: str) -> list[dict]:
    """Telegram marks a leading /command with a bot_command entity (lengths in UTF-16 units)."""
    if not text.startswith("/"):
        return []
    command = text.split()[0] if text.split() else text
    return [{"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2}]


MALFORMED_KINDS = ["message", "edited_message", "callback_query", "poll_answer", "my_chat_member", "inline_query"]


def malformed_updates(fuzz: SpecUpdates, count: int) -> list[dict]:
    """Updates the spec forbids, each carrying SECRET: a message without `date`, a poll_answer
    without `option_persistent_ids`, then valid updates with one field gone or of the wrong type
    (kept only if the spec's checker refuses them)."""
    message = fuzz.update("message")["message"] | {"text": SECRET}
    answer = fuzz.update("poll_answer")["poll_answer"]
    found = [
        {"message": {k: v for k, v in message.items() if k != "date"}},
        {"poll_answer": {k: v for k, v in answer.items() if k != "option_persistent_ids"}},
    ]
    while len(found) < count:
        kind = MALFORMED_KINDS[len(found) % len(MALFORMED_KINDS)]
        update = _with_secret(fuzz.update(kind))
        mutant = _mutate(update, fuzz.rng.choice(list(_paths(update))), fuzz.rng)
        if fuzz.spec.check_response_object("Update", {"update_id": 1, **mutant}):
            found.append(mutant)
    return found


def _with_secret(update: dict) -> dict:
    ((kind, value),) = update.items()
    key = {"callback_query": "data", "inline_query": "query"}.get(kind, "text")
    if kind in ("message", "edited_message", "callback_query", "inline_query"):
        value[key] = SECRET
    return update


def _paths(value: Any, path: tuple = ()):
    """Every place in a JSON value: dict keys and list items, depth first."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        yield (*path, key)
        yield from _paths(inner, (*path, key))


def _mutate(update: dict, path: tuple, rng: random.Random) -> dict:
    """A copy with the value at `path` removed (from an object) or replaced by one of another type."""
    copy = json.loads(json.dumps(update))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    old = parent[path[-1]]
    if isinstance(parent, dict) and rng.random() < 0.5:
        del parent[path[-1]]
    else:
        wrong = [v for v in ("text", 2**63, {"x": 1}, [1], True, None) if type(v) is not type(old)]
        parent[path[-1]] = rng.choice(wrong)
    return copy
