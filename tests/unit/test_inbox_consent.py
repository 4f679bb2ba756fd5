"""What the inbox keeps of someone who has not consented: their button presses (so the press that
gives consent survives a crash), never their messages' words."""

from __future__ import annotations

import json

from bot.app.inbox import Inbox
from bot.storage import Storage


def press(update_id: int, user: int) -> dict:
    message = {"message_id": 5, "date": 0, "chat": {"id": user, "type": "private"}, "text": "Your answer: secret words"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": "q1",
            "from": {"id": user, "is_bot": False, "first_name": "Bob"},
            "chat_instance": "c",
            "data": "a:consent-yes",
            "message": message,
        },
    }


def text(update_id: int, user: int) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 6,
            "date": 0,
            "chat": {"id": user, "type": "private"},
            "from": {"id": user, "is_bot": False, "first_name": "Bob"},
            "text": "my reflection",
        },
    }


def test_a_press_is_kept_without_the_words_and_a_message_not_at_all(tmp_path):
    storage = Storage(tmp_path / "bot.db")
    try:
        inbox = Inbox(storage)
        storage.participants.get_or_create("telegram", "42", name="Bob")
        assert inbox.receive(1, press(1, 42)) is True
        assert inbox.receive(2, text(2, 42)) is False
        (kept,) = list(inbox.pending())
        assert kept["callback_query"]["data"] == "a:consent-yes" and "text" not in kept["callback_query"]["message"]
        assert b"secret words" not in (tmp_path / "bot.db").read_bytes()
        assert "my reflection" not in json.dumps(kept)
    finally:
        storage.close()


def test_a_consenting_senders_updates_are_kept_whole(tmp_path):
    storage = Storage(tmp_path / "bot.db")
    try:
        inbox = Inbox(storage)
        person = storage.participants.get_or_create("telegram", "42", name="Bob")
        storage.participants.record_consent(person.id, "4-en", True)
        assert inbox.receive(1, press(1, 42)) and inbox.receive(2, text(2, 42))
        kept = list(inbox.pending())
        assert kept[0]["callback_query"]["message"]["text"] == "Your answer: secret words"
        assert kept[1]["message"]["text"] == "my reflection"
    finally:
        storage.close()
