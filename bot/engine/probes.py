"""When is an answer "thin" enough for a general follow-up? Very short, or short and without any
sign of reasoning (a word or phrase such as "because", "for example", "weil", matched as whole
words: "distribute" does not contain the word "but").

Deliberately simple and explainable to authors (content/README.md states the rule).
"""

from __future__ import annotations

from .listening import gives_reasons, word_count

VERY_SHORT = 6
SHORT = 20

__all__ = ["SHORT", "VERY_SHORT", "gives_reasons", "is_thin", "thinness", "word_count"]


def thinness(answer: str, locale: str | None = None) -> str | None:
    """'short', 'no-reason', or None for an answer with some substance."""
    words = word_count(answer)
    if words < VERY_SHORT:
        return "short"
    if words < SHORT and not gives_reasons(answer, locale):
        return "no-reason"
    return None


def is_thin(answer: str, locale: str | None = None) -> bool:
    return thinness(answer, locale) is not None
