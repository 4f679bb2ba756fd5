"""The lean path of a participant's update: texts merged into as few messages as Telegram allows,
handled updates forgotten once Telegram cannot redeliver them, commits not fsynced one by one."""

from __future__ import annotations

import sqlite3

from bot.app.inbox import KEEP_HANDLED_DAYS
from bot.app.services import Services
from bot.content.loader import load_course
from bot.storage import Storage
from bot.telegram.messages import Button, Document, Record, Text, merge
from bot.telegram.render import MAX_TEXT, visible_length

from ..support.content import CONTENT


def texts(merged) -> list[str]:
    return [m.text for m, _ in merged]


def test_a_turns_texts_go_out_as_one_message_with_the_buttons_of_the_last():
    keyboard = ((Button("Yes", "a:yes"),),)
    merged = merge([Text("<i>→ 2</i>"), Text("The case for."), Text("Step 2: why?", keyboard)], visible_length)
    assert texts(merged) == ["<i>→ 2</i>\n\nThe case for.\n\nStep 2: why?"]
    assert merged[0][0].keyboard == keyboard and merged[0][1] == 3


def test_nothing_is_merged_after_buttons_a_reply_request_a_record_or_a_document():
    keyboard = ((Button("Yes", "a:yes"),),)
    after_buttons = merge([Text("pick", keyboard), Text("next")], visible_length)
    assert texts(after_buttons) == ["pick", "next"]
    asked = merge([Text("answer?", force_reply="..."), Text("next")], visible_length)
    assert [m.text for m, _ in asked] == ["answer?", "next"]
    recorded = merge([Text("a"), Text("question", record=Record("question"))], visible_length)
    assert len(recorded) == 2
    document = merge([Text("ready"), Document(b"x", "x.md"), Text("more")], visible_length)
    assert [n for _, n in document] == [1, 1, 1]


def test_merging_stops_at_telegrams_limit_in_utf16_units():
    emoji = "😀" * 2000  # 4,000 UTF-16 units in 2,000 characters
    merged = merge([Text(emoji), Text("x" * 95)], visible_length)
    assert len(merged) == 2, "4,000 + 2 + 95 units would pass 4,096"
    fits = merge([Text(emoji), Text("x" * 94)], visible_length)
    assert len(fits) == 1 and visible_length(fits[0][0].text) == MAX_TEXT
    many_tags = merge([Text("<b>a</b>" * 60), Text("<i>b</i>" * 60)], visible_length)
    assert len(many_tags) == 2, "at most 100 formatting entities in one message"


def test_handled_updates_are_pruned_after_the_retention_and_pending_ones_kept(tmp_path):
    now = ["2026-01-01T00:00:00.000Z"]
    store = Storage(tmp_path / "p.db", clock=lambda: now[0])
    services = Services(load_course(CONTENT), store)
    store.updates.receive(1, {"update_id": 1})
    services.inbox.done(1)
    store.updates.receive(2, {"update_id": 2})  # received, never handled: stays to be replayed
    now[0] = "2026-01-07T23:00:00.000Z"
    store.updates.receive(3, {"update_id": 3})
    services.inbox.done(3)
    assert services.inbox.prune() == 0, f"within {KEEP_HANDLED_DAYS} days nothing is forgotten"
    now[0] = "2026-01-08T01:00:00.000Z"
    assert services.inbox.prune() == 1
    assert not services.inbox.seen(1) and services.inbox.seen(3)
    assert [u["update_id"] for u in services.inbox.pending()] == [2]
    store.close()


def test_marking_an_update_handled_by_its_step_writes_nothing_more(tmp_path):
    store = Storage(tmp_path / "m.db")
    store.updates.mark(5)
    seen: list[str] = []
    store.database.conn.set_trace_callback(seen.append)
    store.updates.mark(5)
    store.database.conn.set_trace_callback(None)
    assert not any(s.upper().startswith(("BEGIN", "INSERT", "DELETE")) for s in seen), seen
    store.close()


def test_the_database_runs_wal_with_synchronous_normal(tmp_path):
    store = Storage(tmp_path / "s.db")
    conn = store.database.conn
    assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert conn.execute("pragma synchronous").fetchone()[0] == 1  # NORMAL
    store.close()
    with sqlite3.connect(tmp_path / "s.db") as other:
        assert other.execute("pragma journal_mode").fetchone()[0] == "wal"
