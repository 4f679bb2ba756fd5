"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from hypothesis import strategies as st

texts = st.text(max_size=300) | st.text(min_size=4000, max_size=4096) | st.sampled_from(["", " ", "\n", "<b>", "&"])
"""Any text, texts at Telegram's length limit, and the awkward short ones (empty, blank, HTML)."""
