"""`elenchus doctor` reports the updates the bot had to set aside, without their content."""

from __future__ import annotations

from bot.app.health import examine_database
from bot.storage import Storage


def test_doctor_reports_unparseable_updates(tmp_path):
    db = tmp_path / "d.db"
    store = Storage(db)
    store.updates.reject(7, '{"message": {"text": "str"}}', "TypeError")
    store.close()
    (finding,) = [f for f in examine_database(db) if f.what == "updates set aside"]
    assert not finding.ok and "1 update(s)" in finding.detail and "unparseable_updates" in finding.detail
