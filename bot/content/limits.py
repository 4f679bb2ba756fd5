"""What fits on a participant's screen: the content's side of Telegram's limits.

The check holds authors to these numbers without knowing how the bot draws a message or a button.
bot/telegram states its own side and is tested to fit them (tests/test_callbacks_fit.py).
"""

MAX_MESSAGE = 4096
"""Characters in one text as Telegram counts them (telegram_length): its longest message."""

MAX_LABEL = 40
"""Characters in a button label that still fit on a phone."""

MAX_OPTIONS = 10
"""Options in one `choose` node for which MAX_NODE_ID_BYTES is promised (the shipped schema allows 8)."""

MAX_NODE_ID_BYTES = 47
"""Bytes in a node id. A button names its node, so a longer id would not fit a button's data
(64 bytes, with room for a run number of twelve digits and an option or stance value)."""


def telegram_length(text: str) -> int:
    """The length Telegram checks its limits against: UTF-16 code units, not characters.

    An emoji outside the Basic Multilingual Plane counts 2, a flag 4, a family of three joined
    by zero-width joiners 8; Python's len() counts each code point once, so it undercounts.
    """
    return len(text.encode("utf-16-le")) // 2
