"""What the bot sends, as plain values: built by the renderers, sent by the one adapter (sender.py).

Nothing here talks to Telegram, so a message can be unit-tested as data: its HTML text, its
buttons, whether it asks for a reply, and what the group shell records once it is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import BinaryIO, Union

from ..content.limits import MAX_MESSAGE


@dataclass(frozen=True)
class Button:
    label: str
    data: str | None = None
    """Callback data (at most 64 bytes)."""
    url: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


def buttons(*rows: tuple[tuple[str, str], ...]) -> Keyboard:
    """A keyboard of callback buttons from rows of (label, data)."""
    return tuple(tuple(Button(label, data) for label, data in row) for row in rows)


@dataclass(frozen=True)
class Record:
    """What the group shell remembers about a sent message, so later replies and votes find it."""

    kind: str
    """question, probe, poll, consent or control."""
    node: str | None = None
    question: str | None = None
    move: str | None = None
    phase: str | None = None
    participant: int | None = None
    step: int | None = None
    """For a control message: the step whose Next button it carries."""


@dataclass(frozen=True)
class Text:
    text: str
    """HTML (parse mode HTML)."""
    keyboard: Keyboard = ()
    force_reply: str | None = None
    """Ask for a reply, with this placeholder in the input field."""
    selective: bool = False
    """Only the replied-to member is asked (with force_reply)."""
    reply_to: int | None = None
    record: Record | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Poll:
    question: str
    options: tuple[str, ...]
    record: Record | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Photo:
    data: bytes
    filename: str
    caption: str = ""


@dataclass(frozen=True)
class Document:
    data: bytes | BinaryIO
    """The content, or a file opened for reading (a large export is not read into memory)."""
    filename: str


Outgoing = Union[Text, Poll, Photo, Document]


def to_payload(message: Text | Poll, session: int | None = None) -> dict:
    """A message as JSON-ready data, for the outbox; `session`: the group session it belongs to,
    so that what is recorded of it after sending finds its session."""
    payload: dict = _record_payload(message.record, session)
    if isinstance(message, Poll):
        return payload | {"poll": message.question, "options": list(message.options)}
    payload["text"] = message.text
    if message.keyboard:
        payload["keyboard"] = [[[b.label, b.data, b.url] for b in row] for row in message.keyboard]
    for name in ("force_reply", "selective", "reply_to"):
        if getattr(message, name):
            payload[name] = getattr(message, name)
    return payload


def _record_payload(record: Record | None, session: int | None) -> dict:
    if record is None:
        return {}
    fields = {k: v for k, v in vars(record).items() if v is not None}
    return {"record": fields | ({"session": session} if session is not None else {})}


def from_payload(payload: dict) -> Text | Poll:
    record = payload.get("record")
    meta = Record(**{k: v for k, v in record.items() if k != "session"}) if record else None
    if "poll" in payload:
        return Poll(payload["poll"], tuple(payload["options"]), meta)
    keyboard = tuple(tuple(Button(*b) for b in row) for row in payload.get("keyboard", ()))
    return Text(
        payload["text"],
        keyboard,
        force_reply=payload.get("force_reply"),
        selective=payload.get("selective", False),
        reply_to=payload.get("reply_to"),
        record=meta,
    )


MAX_ENTITIES = 100
"""Formatting entities Telegram keeps in one message; a merged message stays below it."""
_JOINER = "\n\n"


def joinable(message: Outgoing) -> bool:
    """A text that may go out as the start of a longer one: nothing is tied to it (no buttons, no
    reply request, no reply, nothing the group shell records), so nobody can tell it was merged."""
    return (
        isinstance(message, Text)
        and not message.keyboard
        and message.force_reply is None
        and message.reply_to is None
        and message.record is None
    )


def merge(messages: Sequence[Outgoing], length: Callable[[str], int]) -> list[tuple[Outgoing, int]]:
    """Consecutive texts as one message where Telegram allows it (`length`: the text's visible
    length in UTF-16 units, at most 4,096; fewer than MAX_ENTITIES tags), so one turn costs one
    call. Buttons stay on the last text, as they were. Returns each message to send with how many
    of the given ones it stands for, in order."""
    out: list[tuple[Outgoing, int]] = []
    for message in messages:
        if out and _can_join(out[-1][0], message, length):
            first, count = out[-1]
            assert isinstance(first, Text) and isinstance(message, Text)
            out[-1] = (replace(message, text=first.text + _JOINER + message.text), count + 1)
        else:
            out.append((message, 1))
    return out


def _can_join(first: Outgoing, then: Outgoing, length: Callable[[str], int]) -> bool:
    if not (joinable(first) and isinstance(then, Text) and then.record is None and then.reply_to is None):
        return False
    assert isinstance(first, Text)
    fits = length(first.text) + len(_JOINER) + length(then.text) <= MAX_MESSAGE
    return fits and _tags(first.text) + _tags(then.text) < MAX_ENTITIES


def _tags(text_html: str) -> int:
    return text_html.count("<") - text_html.count("</")
