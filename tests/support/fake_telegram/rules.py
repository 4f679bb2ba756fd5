"""Limits Telegram enforces beyond the types in api.json.

Length limits are read from the spec's own descriptions ("1-4096 characters after entities
parsing", "1-64 bytes"), so they follow api.json; texts with a parse mode are measured after
parsing and in UTF-16 code units, as Telegram does. The rest are rules the descriptions state in prose: one action per
inline button, command names, the parse modes that exist.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from .html import HtmlError, parse_html, utf16_len

if TYPE_CHECKING:
    from .spec import Spec

__all__ = ["check_fields", "check_method", "check_object", "render"]

_RANGE_RE = re.compile(r"(\d+)-(\d+)\s+(characters|bytes)")
# "A JSON-serialized list of 1-12 answer options", "must include 2-10 items"
_COUNT_RE = re.compile(r"(?:[Ll]ist of|array .*?must include) (\d+)-(\d+) ")
_COMMAND_RE = re.compile(r"[a-z0-9_]+")
_BUTTON_URL_RE = re.compile(r"(https?|tg)://\S+", re.IGNORECASE)
PARSE_MODES = {"html", "markdownv2", "markdown"}
# Fields of InlineKeyboardButton that are not its action
_BUTTON_DECORATION = {"text", "icon_custom_emoji_id", "style"}
_BUTTON_STYLES = {"danger", "success", "primary"}


def render(text: str, parse_mode: str | None) -> tuple[str, list[dict]]:
    """Visible text and entities of `text` sent with `parse_mode` (raises HtmlError for bad HTML).

    Markdown modes are not parsed: their text is taken as it is (see README)."""
    if parse_mode and parse_mode.lower() == "html":
        return parse_html(text)
    return text, []


def _sibling(defs: dict[str, dict], name: str, suffix: str, default: str) -> str | None:
    """The field that holds the parse mode (or entities) of text field `name`, if there is one."""
    if f"{name}_{suffix}" in defs:
        return f"{name}_{suffix}"
    if name in ("text", "caption") and default in defs:
        return default
    return None


def check_fields(spec: Spec, owner: str, defs: dict[str, dict], values: dict[str, Any], path: str) -> list[str]:
    """Length limits, parse modes and entity ranges of one method call or object."""
    prefix = f"{path}." if path else ""
    errors: list[str] = []
    for name, value in values.items():
        f = defs.get(name)
        if f is None:
            continue
        if name.endswith("parse_mode") and isinstance(value, str) and value and value.lower() not in PARSE_MODES:
            errors.append(f"'{prefix}{name}': unsupported parse mode {value!r}")
        if isinstance(value, str):
            errors += _check_length(f, defs, values, name, value, f"{prefix}{name}")
        if isinstance(value, list):
            errors += _check_count(f, value, f"{prefix}{name}")
    return errors


def _check_count(f: dict, value: list, where: str) -> list[str]:
    """Number of items of a list whose description states it ("a list of 1-12 answer options")."""
    match = _COUNT_RE.search(f["description"])
    if not match or not any(t.startswith("Array of") for t in f["types"]):
        return []
    low, high = int(match.group(1)), int(match.group(2))
    if not low <= len(value) <= high:
        return [f"'{where}': must have {low}-{high} items, got {len(value)}"]
    return []


def _check_length(
    f: dict, defs: dict[str, dict], values: dict[str, Any], name: str, value: str, where: str
) -> list[str]:
    mode_field = _sibling(defs, name, "parse_mode", "parse_mode")
    parse_mode = values.get(mode_field) if mode_field else None
    try:
        visible, _ = render(value, parse_mode if isinstance(parse_mode, str) else None)
    except HtmlError as error:
        return [f"'{where}': {error}"]
    errors = _check_entities(defs, values, name, visible)
    match = _RANGE_RE.search(f["description"])
    if not match:
        return errors
    low, high, unit = int(match.group(1)), int(match.group(2)), match.group(3)
    if mode_field:  # message-like text: Telegram strips surrounding whitespace first
        visible = visible.strip()
    size, counted = _size(visible, unit, utf16=bool(mode_field))
    if not low <= size <= high:
        after = " after entities parsing" if parse_mode else ""
        errors.append(f"'{where}': must be {low}-{high} {unit}{after}, got {size}{counted}")
    return errors


def _size(visible: str, unit: str, utf16: bool) -> tuple[int, str]:
    """The size of a text in the spec's unit, and how it was counted (for the error message).

    A text that may carry entities (it has a parse mode) is measured as Telegram measures it: in
    UTF-16 code units, the unit of entity offsets, so an emoji outside the BMP counts 2. Other
    "characters" limits count code points.
    """
    if unit == "bytes":
        return len(visible.encode("utf-8")), ""
    if utf16:
        return utf16_len(visible), " (UTF-16 code units)"
    return len(visible), ""


def _check_entities(defs: dict[str, dict], values: dict[str, Any], name: str, visible: str) -> list[str]:
    entities_field = _sibling(defs, name, "entities", "entities")
    entities = values.get(entities_field) if entities_field else None
    if not isinstance(entities, list):
        return []
    size = utf16_len(visible)
    return [
        f"'{entities_field}[{index}]': entity offset {e.get('offset')} + length {e.get('length')} is outside the text ({size} UTF-16 units)"
        for index, e in enumerate(entities)
        if isinstance(e, dict) and not _entity_fits(e, size)
    ]


def _entity_fits(entity: dict, size: int) -> bool:
    offset, length = entity.get("offset", 0), entity.get("length", 0)
    return offset >= 0 and length > 0 and offset + length <= size


def check_object(type_name: str, value: dict, path: str) -> list[str]:
    """Rules the spec states in prose for particular object types."""
    if type_name == "InlineKeyboardButton":
        return _check_inline_button(value, path)
    if type_name == "KeyboardButton" and not value.get("text"):
        return [f"'{path}.text': keyboard button text must not be empty"]
    if type_name == "ForceReply" and value.get("force_reply") is not True:
        return [f"'{path}.force_reply': must be True"]
    if type_name == "ReplyKeyboardRemove" and value.get("remove_keyboard") is not True:
        return [f"'{path}.remove_keyboard': must be True"]
    if type_name == "BotCommand" and not _COMMAND_RE.fullmatch(value.get("command", "")):
        return [
            f"'{path}.command': {value.get('command')!r} may contain only lowercase English letters, digits and underscores"
        ]
    return []


def _check_inline_button(button: dict, path: str) -> list[str]:
    errors = []
    if not button.get("text"):
        errors.append(f"'{path}.text': inline button text must not be empty")
    actions = sorted(button.keys() - _BUTTON_DECORATION)
    if len(actions) != 1:
        errors.append(
            f"'{path}': an inline button needs exactly one action field (callback_data, url, ...), got {actions or 'none'}"
        )
    url = button.get("url")
    if isinstance(url, str) and not _BUTTON_URL_RE.fullmatch(url):
        errors.append(f"'{path}.url': inline keyboard button URL {url!r} is invalid")
    if "style" in button and button["style"] not in _BUTTON_STYLES:
        errors.append(f"'{path}.style': must be one of {sorted(_BUTTON_STYLES)}")
    return errors


def check_method(method: str, defs: dict[str, dict], params: dict[str, Any]) -> list[str]:
    """Rules about combinations of parameters of one call."""
    if "inline_message_id" in defs and "message_id" in defs:
        by_chat = "chat_id" in params and "message_id" in params
        inline = "inline_message_id" in params
        if by_chat == inline:
            return ["pass either chat_id and message_id, or inline_message_id"]
    if method == "sendPoll":
        return _check_poll(params)
    return []


_POLL_PERIOD = (5, 2_628_000)  # open_period, and close_date's distance into the future, in seconds


def _check_poll(params: dict[str, Any]) -> list[str]:
    """sendPoll's rules stated in prose: poll type, quiz answers, closing time, distinct options."""
    errors = []
    kind = params.get("type", "regular")
    options = params.get("options")
    if kind not in ("regular", "quiz"):
        errors.append(f'\'type\': must be "regular" or "quiz", got {kind!r}')
    if isinstance(options, list):
        texts = [o.get("text", "").strip() for o in options if isinstance(o, dict)]
        if len(set(texts)) != len(texts):
            errors.append("'options': POLL_OPTION_DUPLICATE (the answer options must differ)")
    correct = params.get("correct_option_ids")
    if kind == "quiz":
        if not correct:
            errors.append("'correct_option_ids': required for polls in quiz mode")
        elif isinstance(options, list) and (
            any(not 0 <= i < len(options) for i in correct) or sorted(set(correct)) != correct
        ):
            errors.append(f"'correct_option_ids': must be increasing option indexes, got {correct}")
    if params.get("allow_adding_options") and (kind == "quiz" or params.get("is_anonymous", True)):
        errors.append("'allow_adding_options': not supported for anonymous polls and quizzes")
    if isinstance(params.get("explanation"), str) and params["explanation"].count("\n") > 2:
        errors.append("'explanation': at most 2 line feeds")
    if "open_period" in params and "close_date" in params:
        errors.append("'open_period' and 'close_date' can't be used together")
    period = params.get("open_period")
    if isinstance(period, int) and not _POLL_PERIOD[0] <= period <= _POLL_PERIOD[1]:
        errors.append(f"'open_period': must be {_POLL_PERIOD[0]}-{_POLL_PERIOD[1]} seconds, got {period}")
    close_date = params.get("close_date")
    if isinstance(close_date, int):
        ahead = close_date - time.time()
        if not _POLL_PERIOD[0] - 1 <= ahead <= _POLL_PERIOD[1] + 1:
            errors.append(f"'close_date': must be {_POLL_PERIOD[0]}-{_POLL_PERIOD[1]} seconds in the future")
    return errors
