"""When is an answer "thin" enough to deserve the one follow-up probe?

Deliberately simple and explainable to authors (content/README.md states the rule): an answer
is thin when it is very short, or short and gives no sign of reasoning.
"""

from __future__ import annotations

import re

VERY_SHORT = 6
SHORT = 20

REASONING_MARKERS = (
    # English
    "because",
    "since",
    "but",
    "however",
    "although",
    "though",
    "therefore",
    "so that",
    "so ",
    "for example",
    "for instance",
    "e.g.",
    "if ",
    "unless",
    "whereas",
    "which means",
    # German
    "weil",
    "denn",
    "da ",
    "aber",
    "jedoch",
    "obwohl",
    "deshalb",
    "daher",
    "also ",
    "zum beispiel",
    "z.b.",
    "z. b.",
    "wenn ",
    "falls",
)

_WORD = re.compile(r"\w+", re.UNICODE)


def word_count(answer: str) -> int:
    return len(_WORD.findall(answer))


def gives_reasons(answer: str) -> bool:
    lowered = f" {answer.lower()} "
    return any(marker in lowered for marker in REASONING_MARKERS)


def is_thin(answer: str) -> bool:
    words = word_count(answer)
    if words < VERY_SHORT:
        return True
    return words < SHORT and not gives_reasons(answer)
