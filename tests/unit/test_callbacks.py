"""Button data: within Telegram's 64 bytes, and anything we did not make is refused."""

from __future__ import annotations

import pytest

from bot.telegram import callbacks


def test_round_trip():
    data = callbacks.choice(123, "whose-view", 2)
    assert callbacks.parse(data) == callbacks.Press("choice", 123, "whose-view", 2)
    assert callbacks.parse(callbacks.stance(9, "before", 5)) == callbacks.Press("stance", 9, "before", 5)


def test_the_longest_possible_data_fits():
    longest = callbacks.choice(callbacks.LONGEST_RUN_ID, "n" * 32, 7)
    assert callbacks.fits(longest)
    assert not callbacks.fits("x" * 65) and not callbacks.fits("")
    assert not callbacks.fits("é" * 33), "the limit is in bytes, not characters"


@pytest.mark.parametrize("data", ["", "c", "c:1:x", "x:1:n:0", "c:one:n:0", "c:1::0", "c:1:n:-1", "c:1:n:0:extra"])
def test_foreign_data_is_refused(data):
    assert callbacks.parse(data) is None
