"""What an answer says, read as an author can predict it: whole words and phrases, simple stems,
non-answers, signs of reasoning, and short excerpts to give a participant's words back.

Deliberately simple and explainable (content/README.md states the rules): an author writes
patterns such as `employ*` (any word starting so) or `it depends` (two words in a row), matched
against the answer's words in lower case, never inside another word ("distribute" does not
contain the word "but").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*", re.UNICODE)

NON_ANSWERS = {
    "en": (
        "yes",
        "no",
        "yeah",
        "yep",
        "nope",
        "maybe",
        "ok",
        "okay",
        "not sure",
        "i am not sure",
        "i'm not sure",
        "dunno",
        "don't know",
        "i don't know",
        "i dont know",
        "idk",
        "no idea",
        "no clue",
        "nothing",
        "none",
        "pass",
        "?",
        "same",
        "agree",
        "disagree",
        "true",
        "false",
    ),
    "de": (
        "ja",
        "nein",
        "jein",
        "vielleicht",
        "ok",
        "okay",
        "weiß nicht",
        "weiss nicht",
        "ich weiß nicht",
        "ich weiss nicht",
        "keine ahnung",
        "k.a.",
        "ka",
        "nichts",
        "egal",
        "stimmt",
        "genau",
        "kein plan",
        "unsicher",
        "nicht sicher",
        "ich bin nicht sicher",
    ),
}
"""Whole answers that say nothing yet (compared after lower-casing and trimming punctuation)."""

REASONS = {
    "en": (
        "because",
        "since",
        "but",
        "however",
        "although",
        "though",
        "therefore",
        "so",
        "thus",
        "hence",
        "for example",
        "for instance",
        "e.g",
        "if",
        "unless",
        "whereas",
        "which means",
        "as a result",
        "otherwise",
        "instead",
        "while",
        "due to",
    ),
    "de": (
        "weil",
        "denn",
        "da",
        "aber",
        "jedoch",
        "obwohl",
        "deshalb",
        "daher",
        "deswegen",
        "also",
        "zum beispiel",
        "z.b",
        "z. b",
        "etwa",
        "wenn",
        "falls",
        "sondern",
        "trotzdem",
        "während",
        "dadurch",
        "somit",
    ),
}
"""Words and phrases that show a reason, a condition, a contrast or an example."""


def words(text: str) -> list[str]:
    """The answer's words, lower-cased, with compatibility forms folded (ﬁ -> fi, ß stays ß)."""
    return [w.lower() for w in _WORD.findall(unicodedata.normalize("NFKC", text))]


_COUNTED = re.compile(r"\w+", re.UNICODE)


def word_count(text: str) -> int:
    """Words as exports and overviews count them (every run of letters or digits)."""
    return len(_COUNTED.findall(text))


def matches(pattern: str, tokens: list[str]) -> bool:
    """Does a pattern (a word, `stem*`, or several words in a row) occur among the tokens?"""
    stems = [p.endswith("*") for p in pattern.lower().split()]
    parts = [w.rstrip("*") for w in pattern.lower().split()]
    parts = [" ".join(words(p)) for p in parts]
    if not parts or any(not p for p in parts):
        return False
    length = len(parts)
    for start in range(len(tokens) - length + 1):
        if all(_word_matches(tokens[start + i], parts[i], stems[i]) for i in range(length)):
            return True
    return False


def _word_matches(token: str, part: str, stem: bool) -> bool:
    return token.startswith(part) if stem else token == part


def any_match(patterns: Iterable[str], text: str) -> bool:
    tokens = words(text)
    return any(matches(p, tokens) for p in patterns)


def can_match(pattern: str) -> bool:
    """Whether a pattern can ever match an answer: it must contain a word, and `*` only at a word's end."""
    pieces = pattern.lower().split()
    if not pieces:
        return False
    for piece in pieces:
        core = piece[:-1] if piece.endswith("*") else piece
        if "*" in core or not words(core) or len(words(core)) != 1:
            return False
    return True


def gives_reasons(text: str, locale: str | None = None) -> bool:
    """A sign of reasoning in the answer: the markers of its language and English ones (people mix),
    or of every language when the language is not known."""
    if locale is None:
        markers = tuple(m for ms in REASONS.values() for m in ms)
    else:
        markers = REASONS.get(locale, ()) + (REASONS["en"] if locale != "en" else ())
    return any_match(markers, text)


def is_non_answer(text: str, locale: str = "en", question: str = "") -> bool:
    """An answer that says nothing yet: a stock reply ("not sure", "weiß nicht"), a bare number,
    only emoji or punctuation, or a copy of the question."""
    tokens = words(text)
    if not tokens:
        return True
    if all(t.isdigit() for t in tokens) and len(tokens) <= 2:
        return True
    said = " ".join(tokens)
    stock = NON_ANSWERS.get(locale, ()) + NON_ANSWERS["en"]
    if any(said == " ".join(words(s)) for s in stock):
        return True
    return bool(question) and said == " ".join(words(question))


def excerpt(text: str, limit: int = 18) -> str:
    """A short, exact quote of an answer: its first sentence, or its first `limit` words and an ellipsis."""
    flat = " ".join(text.split())
    sentence = re.split(r"(?<=[.!?])\s", flat, maxsplit=1)[0]
    pieces = sentence.split(" ")
    if len(pieces) <= limit:
        return sentence if sentence == flat or sentence.endswith((".", "!", "?")) else sentence + "…"
    return " ".join(pieces[:limit]).rstrip(",;:") + "…"
