"""The content check's promise on node ids and the buttons' data format agree.

bot.content states the longest node id it lets through; bot.telegram.callbacks builds the data
from it. Neither imports the other, so this test is where the two limits meet.
"""

from __future__ import annotations

import re
import shutil

import pytest

from bot.content import check_content
from bot.content.limits import MAX_NODE_ID_BYTES, MAX_OPTIONS
from bot.telegram import callbacks

from ..support.content import CONTENT

LARGEST_STANCE = 5


@pytest.mark.parametrize(
    ("kind", "build", "value"),
    [
        ("choice", callbacks.choice, MAX_OPTIONS - 1),
        ("stance", callbacks.stance, LARGEST_STANCE),
    ],
)
def test_the_longest_allowed_node_id_fits_and_one_byte_more_would_not(kind, build, value):
    longest = build(callbacks.LONGEST_RUN_ID, "n" * MAX_NODE_ID_BYTES, value)
    assert callbacks.fits(longest), f"a {kind} button for a node id of {MAX_NODE_ID_BYTES} bytes must fit"
    assert callbacks.parse(longest) == callbacks.Press(kind, callbacks.LONGEST_RUN_ID, "n" * MAX_NODE_ID_BYTES, value)
    too_long = build(callbacks.LONGEST_RUN_ID, "n" * (MAX_NODE_ID_BYTES + 1), value)
    assert not callbacks.fits(too_long), "the limit is not the tightest one; raise MAX_NODE_ID_BYTES or say why"


def test_the_limit_is_counted_in_bytes():
    two_byte_id = "é" * (MAX_NODE_ID_BYTES // 2 + 1)
    assert len(two_byte_id.encode()) > MAX_NODE_ID_BYTES
    assert not callbacks.fits(callbacks.choice(callbacks.LONGEST_RUN_ID, two_byte_id, MAX_OPTIONS - 1))


@pytest.mark.parametrize("size", [MAX_NODE_ID_BYTES, MAX_NODE_ID_BYTES + 1])
def test_the_check_holds_choice_node_ids_to_the_limit(tmp_path, size):
    """The shipped schema caps ids at 32 characters; a course's own schema may allow more."""
    folder = tmp_path / "content"
    shutil.copytree(CONTENT, folder)
    schema = folder / "schema.json"
    schema.write_text(schema.read_text(encoding="utf-8").replace("{0,31}", "{0,99}"), encoding="utf-8")
    choose_node = re.compile(r"- id: ([\w-]+)\n\s+choose:")
    dialogue = next(p for p in sorted(folder.glob("*.yaml")) if choose_node.search(p.read_text(encoding="utf-8")))
    text = dialogue.read_text(encoding="utf-8")
    node = choose_node.search(text).group(1)
    long_id = (node + "-" + "x" * size)[:size]
    dialogue.write_text(re.sub(rf"\b{node}\b(?!-)", long_id, text), encoding="utf-8")
    errors = [str(p) for p in check_content(folder) if p.is_error]
    if size <= MAX_NODE_ID_BYTES:
        assert errors == []
    else:
        assert len(errors) == 1 and errors[0].startswith(f"{dialogue}:")
        assert errors[0].endswith(
            f"error: the id '{long_id}' has {size} bytes; a button's data holds a node id of at most "
            f"{MAX_NODE_ID_BYTES}. Use a shorter id."
        )
