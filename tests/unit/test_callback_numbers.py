"""Numbers in button data: what does not fit a SQLite integer (64-bit signed) or is not ASCII
digits is refused before it reaches the database (security review, finding 8)."""

from __future__ import annotations

import pytest

from bot.telegram import callbacks

LARGEST = 2**63 - 1


@pytest.mark.parametrize(
    "data",
    [
        f"c:{LARGEST + 1}:whose-view:1",
        "c:99999999999999999999:whose-view:1",
        f"s:1:before:{LARGEST + 1}",
        "c:²:whose-view:1",
        "s:1:before:²",
        "c:١:whose-view:1",
    ],
)
def test_ids_beyond_63_bits_or_not_ascii_digits_are_refused(data):
    assert callbacks.parse(data) is None


def test_the_largest_sqlite_integer_is_still_a_press():
    assert callbacks.parse(f"c:{LARGEST}:whose-view:{LARGEST}") == callbacks.Press(
        "choice", LARGEST, "whose-view", LARGEST
    )


@pytest.mark.parametrize("text", ["", "-1", "+1", " 1", "1.0", "²", "١", str(LARGEST + 1)])
def test_number_refuses_what_we_never_write(text):
    assert callbacks.number(text) is None


def test_number_reads_what_we_write():
    assert [callbacks.number(t) for t in ("0", "7", "007", str(LARGEST))] == [0, 7, 7, LARGEST]
