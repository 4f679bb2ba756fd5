"""The Bot API's HTML parse mode: turns marked-up text into (visible text, entities) or rejects it.

Follows "Formatting options" of https://core.telegram.org/bots/api#html-style. Where Telegram
silently drops formatting instead of failing (formatting nested inside code/pre, a link inside a
link, a blockquote inside a blockquote, unknown attributes), this checker is stricter and fails,
because the bot's author would want to know. Telegram itself treats a bare '&' as text; the
Bot API asks for it to be escaped, so this checker fails on it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["HtmlError", "parse_html", "utf16_len"]

# tag -> entity type; attributes are handled in _entity_for
_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_WITH_ATTRIBUTES = {"span", "a", "blockquote", "tg-emoji", "tg-time"}
# tag -> the attributes it may carry
_ALLOWED_ATTRIBUTES = {
    "span": {"class"},
    "a": {"href"},
    "code": {"class"},
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
    "tg-time": {"unix", "format"},
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8}));")
_START_TAG_RE = re.compile(
    r"<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z][a-zA-Z0-9_-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*>"
)
_END_TAG_RE = re.compile(r"</([a-zA-Z][a-zA-Z0-9-]*)\s*>")
_ATTRIBUTE_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?")


class HtmlError(ValueError):
    """The text cannot be parsed; the message reads like Telegram's "can't parse entities: ..."."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of MessageEntity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    entity: dict | None  # None for <code class=...> directly inside <pre>: it only names the language
    start: int  # UTF-16 offset
    byte_offset: int
    children: int = 0


@dataclass
class _Parser:
    source: str
    out: list[str] = field(default_factory=list)
    pos16: int = 0
    stack: list[_Open] = field(default_factory=list)
    entities: list[dict] = field(default_factory=list)

    def fail(self, index: int, message: str) -> HtmlError:
        offset = len(self.source[:index].encode("utf-8"))
        return HtmlError(f"can't parse entities: {message} at byte offset {offset}")

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.pos16 += utf16_len(text)

    def run(self) -> tuple[str, list[dict]]:
        src, i = self.source, 0
        while i < len(src):
            char = src[i]
            if char == "&":
                i = self.entity(i)
            elif char == "<":
                i = self.end_tag(i) if src.startswith("</", i) else self.start_tag(i)
            else:
                j = i
                while j < len(src) and src[j] not in "&<":
                    j += 1
                self.emit(src[i:j])
                i = j
        if self.stack:
            top = self.stack[-1]
            raise HtmlError(f"can't parse entities: Can't find end tag corresponding to start tag \"{top.tag}\"")
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def entity(self, i: int) -> int:
        match = _ENTITY_RE.match(self.source, i)
        if not match:
            raise self.fail(i, "bare '&' that is not part of an HTML entity (escape it as &amp;)")
        char = _decode_entity(match)
        if char is None:
            raise self.fail(i, f"invalid numeric HTML entity {match.group(0)}")
        self.emit(char)
        return match.end()

    def start_tag(self, i: int) -> int:
        match = _START_TAG_RE.match(self.source, i)
        if not match:
            raise self.fail(i, "bare '<' that does not start a tag (escape it as &lt;)")
        tag = match.group(1).lower()
        if tag not in _SIMPLE and tag not in _WITH_ATTRIBUTES:
            raise self.fail(i, f'Unsupported start tag "{tag}"')
        attributes = self.attributes(i, tag, match.group(2))
        self.check_nesting(i, tag)
        entity = self.entity_for(i, tag, attributes)
        if self.stack:
            self.stack[-1].children += 1
        self.stack.append(_Open(tag, entity, self.pos16, i))
        return match.end()

    def attributes(self, i: int, tag: str, text: str) -> dict[str, str]:
        result: dict[str, str] = {}
        for match in _ATTRIBUTE_RE.finditer(text):
            name = match.group(1).lower()
            if name not in _ALLOWED_ATTRIBUTES.get(tag, set()):
                raise self.fail(i, f'attribute "{name}" is not supported for tag "{tag}"')
            raw = next((g for g in match.groups()[1:] if g is not None), "")
            result[name] = _unescape_attribute(raw, lambda msg: self.fail(i, msg))
        return result

    def check_nesting(self, i: int, tag: str) -> None:
        """Reject nestings whose formatting Telegram would silently drop."""
        if not self.stack:
            return
        parent = self.stack[-1]
        if parent.tag == "pre" and tag == "code" and parent.children == 0 and self.pos16 == parent.start:
            return
        for open_ in self.stack:
            if open_.tag in ("code", "pre"):
                raise self.fail(i, f'tag "{tag}" can\'t be nested inside "{open_.tag}"')
            if tag == "a" and open_.tag == "a":
                raise self.fail(i, 'tag "a" can\'t be nested inside "a"')
            if tag == "blockquote" and open_.tag == "blockquote":
                raise self.fail(i, 'tag "blockquote" can\'t be nested inside "blockquote"')

    def entity_for(self, i: int, tag: str, attributes: dict[str, str]) -> dict | None:
        if tag == "code" and self.stack and self.stack[-1].tag == "pre":
            language = attributes.get("class", "")
            if language.startswith("language-") and len(language) > len("language-"):
                self.stack[-1].entity["language"] = language[len("language-") :]  # type: ignore[index]
            return None
        if tag in _SIMPLE:
            return {"type": _SIMPLE[tag]}
        if tag == "span":
            if attributes.get("class") != "tg-spoiler":
                raise self.fail(i, 'tag "span" must have class "tg-spoiler"')
            return {"type": "spoiler"}
        if tag == "a":
            if not attributes.get("href"):
                raise self.fail(i, 'tag "a" must have a non-empty href')
            return {"type": "text_link", "url": attributes["href"]}
        if tag == "blockquote":
            return {"type": "expandable_blockquote" if "expandable" in attributes else "blockquote"}
        if tag == "tg-emoji":
            if not attributes.get("emoji-id", "").isdigit():
                raise self.fail(i, 'tag "tg-emoji" must have a numeric emoji-id')
            return {"type": "custom_emoji", "custom_emoji_id": attributes["emoji-id"]}
        # tg-time
        if not attributes.get("unix", "").isdigit():
            raise self.fail(i, 'tag "tg-time" must have a numeric unix attribute')
        entity = {"type": "date_time", "unix_time": int(attributes["unix"])}
        if "format" in attributes:
            entity["date_time_format"] = attributes["format"]
        return entity

    def end_tag(self, i: int) -> int:
        match = _END_TAG_RE.match(self.source, i)
        if not match:
            raise self.fail(i, "bare '<' that does not start a tag (escape it as &lt;)")
        tag = match.group(1).lower()
        if not self.stack:
            raise self.fail(i, f'Unexpected end tag "{tag}"')
        top = self.stack.pop()
        if top.tag != tag:
            raise self.fail(i, f'Unmatched end tag, expected "</{top.tag}>", found "</{tag}>"')
        if top.entity is not None and self.pos16 > top.start:
            self.entities.append({**top.entity, "offset": top.start, "length": self.pos16 - top.start})
        return match.end()


def _decode_entity(match: re.Match[str]) -> str | None:
    """The character an entity stands for, or None for an invalid code point."""
    name, dec, hexa = match.groups()
    if name:
        return _NAMED_ENTITIES[name]
    code = int(dec) if dec else int(hexa, 16)
    if not (0 < code <= 0x10FFFF) or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _unescape_attribute(raw: str, fail) -> str:
    if "<" in raw:
        raise fail("'<' in an attribute value")
    parts, i = [], 0
    while i < len(raw):
        if raw[i] == "&":
            match = _ENTITY_RE.match(raw, i)
            if not match:
                raise fail("bare '&' in an attribute value (escape it as &amp;)")
            char = _decode_entity(match)
            if char is None:
                raise fail(f"invalid numeric HTML entity {match.group(0)}")
            parts.append(char)
            i = match.end()
        else:
            parts.append(raw[i])
            i += 1
    return "".join(parts)


def parse_html(source: str) -> tuple[str, list[dict]]:
    """Parse Bot API HTML into the visible text and MessageEntity dicts (UTF-16 offsets).

    Raises HtmlError for anything Telegram would answer with "can't parse entities" (and the
    stricter cases listed in the module docstring).
    """
    return _Parser(source).run()
