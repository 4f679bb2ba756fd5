"""Which follow-up an answer gets: the one rule for private runs and group sessions alike.

In this order (content/README.md has a table of sample answers and what each gets):
1. A non-answer ("not sure", "weiß nicht", a bare number, only emoji, a copy of the question) gets
   a gentle invitation; a second one in a row, a friendly way out (skip, or come back later).
2. An answer that already makes the point (`covers`) gets nothing more.
3. The first of the question's `follow_ups` whose patterns the answer contains.
4. On a first visit only (scaffolds fade): a short answer gets the question's `probe` (or the
   course's general one for short answers); an answer without reasons, the `probe` (or the general
   one for answers without reasons).
A question asks at most `probes` follow-ups (one unless the author allows more); a non-answer's
invitation and the way out are always given.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from .listening import any_match, is_non_answer, word_count
from .model import Ask, Dialogue, Patterns, Text
from .probes import thinness

if TYPE_CHECKING:
    from .step import RunState

NON_ANSWER, WAY_OUT, SPECIFIC, SHORT_ANSWER, NO_REASON = "non-answer", "way-out", "specific", "short", "no-reason"


def choose(d: Dialogue, state: RunState, node: Ask, answer: str, question: str) -> tuple[str, Text] | None:
    """(kind, text) of the follow-up this answer gets, or None to move on."""
    if state.way_out:
        return None
    if is_non_answer(answer, state.locale, question):
        return _for_non_answer(d, state, node)
    if state.probes >= node.probes or patterns_match(node.covers, answer, state.locale):
        return None
    for follow in node.follow_ups:
        if patterns_match(follow.patterns, answer, state.locale):
            return SPECIFIC, follow.text
    if state.visit > 1:
        return None
    thin = thinness(answer, state.locale)  # the general rule for answers with little in them: is_thin
    if thin == SHORT_ANSWER:
        return _generic(d, state, node, SHORT_ANSWER, d.fallbacks.short)
    if thin == NO_REASON:
        return _generic(d, state, node, NO_REASON, d.fallbacks.no_reason)
    return None


def _for_non_answer(d: Dialogue, state: RunState, node: Ask) -> tuple[str, Text] | None:
    if state.probing and state.last_kind == NON_ANSWER:
        variant = pick(d.fallbacks.way_out, d, state, node)
        return (WAY_OUT, variant) if variant is not None else None
    variant = pick(d.fallbacks.non_answer, d, state, node) or node.probe
    return (NON_ANSWER, variant) if variant is not None else None


def _generic(d: Dialogue, state: RunState, node: Ask, kind: str, variants: tuple[Text, ...]) -> tuple[str, Text] | None:
    text = node.probe or pick(variants, d, state, node)
    return (kind, text) if text is not None else None


def pick(variants: tuple[Text, ...], d: Dialogue, state: RunState, node: Ask) -> Text | None:
    """One of several variants, the same for the same run, question and visit (so a resumed
    run shows the same follow-up), different across questions."""
    if not variants:
        return None
    key = f"{d.id}/{node.id}/{state.visit}/{state.probes}".encode()
    return variants[zlib.crc32(key) % len(variants)]


def patterns_match(patterns: Patterns, answer: str, locale: str) -> bool:
    own = patterns.get(locale, ())
    return any_match(own if own or locale == "en" else patterns.get("en", ()), answer)


def is_skip(d: Dialogue, answer: str, locale: str) -> bool:
    """The participant takes the way out."""
    return patterns_match(d.fallbacks.skip, answer, locale) and word_count(answer) <= 2
