"""`elenchus cohort due|zone|quiet`: deadlines and when reminders may be sent, from the shell."""

from __future__ import annotations

from bot.storage import Storage

from ..support.cli import run_cli


def test_deadlines_time_zone_and_quiet_hours_from_the_cli(tmp_path):
    db = tmp_path / "ops.db"
    env = {"ELENCHUS_DB": str(db)}
    assert run_cli("cohort", "create", "MC-A", env=env).returncode == 0
    storage = Storage(db)
    alice = storage.participants.get_or_create("telegram", "1001", name="Alice").id
    storage.cohorts.join(storage.cohorts.by_name("MC-A").id, alice)
    storage.close()

    empty = run_cli("cohort", "due", "MC-A", env=env)
    assert empty.returncode == 0 and "time zone Europe/Berlin, quiet hours 21:00-08:00" in empty.stdout
    assert "no deadlines" in empty.stdout
    set_ = run_cli("cohort", "due", "MC-A", "value-and-trust", "2026-12-15", env=env)
    assert set_.returncode == 0, set_.stderr
    assert "MC-A is to finish value-and-trust by 2026-12-15" in set_.stdout
    assert "value-and-trust by 2026-12-15: 0 done" in set_.stdout and "Alice (P1): " in set_.stdout

    assert run_cli("cohort", "due", "MC-A", "no-such", "2026-12-15", env=env).returncode == 2
    bad_date = run_cli("cohort", "due", "MC-A", "value-and-trust", "15.12.2026", env=env)
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr
    assert run_cli("cohort", "zone", "MC-A", "Mars/Olympus", env=env).returncode == 2
    zone = run_cli("cohort", "zone", "MC-A", "Europe/Vienna", env=env)
    quiet = run_cli("cohort", "quiet", "MC-A", "22:00-07:30", env=env)
    assert zone.returncode == quiet.returncode == 0
    assert "time zone Europe/Vienna, quiet hours 22:00-07:30" in quiet.stdout
    assert run_cli("cohort", "quiet", "MC-A", "late", env=env).returncode == 2

    removed = run_cli("cohort", "due", "MC-A", "value-and-trust", "off", env=env)
    assert removed.returncode == 0 and "no deadlines" in removed.stdout
    assert run_cli("cohort", "due", "MC-A", "value-and-trust", "off", env=env).returncode == 2
