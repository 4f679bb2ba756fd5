"""What fits on a participant's screen: the content's side of Telegram's limits.

The check holds authors to these numbers without knowing how the bot draws a message or a button.
bot/telegram states its own side and is tested to fit them (tests/test_callbacks_fit.py).
"""

MAX_MESSAGE = 4096
"""Characters in one text: Telegram's longest message."""

MAX_LABEL = 40
"""Characters in a button label that still fit on a phone."""

MAX_OPTIONS = 10
"""Options in one `choose` node for which MAX_NODE_ID_BYTES is promised (the shipped schema allows 8)."""

MAX_NODE_ID_BYTES = 47
"""Bytes in a node id. A button names its node, so a longer id would not fit a button's data
(64 bytes, with room for a run number of twelve digits and an option or stance value)."""
