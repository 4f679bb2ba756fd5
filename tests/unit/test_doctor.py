"""`elenchus doctor` against the fake Bot API server and real database files."""

from __future__ import annotations

import sqlite3

from bot.storage import MIGRATIONS, Storage

from ..support.cli import run_cli


def test_all_well(fake, tmp_path):
    Storage(tmp_path / "ok.db").close()
    env = {"ELENCHUS_DB": str(tmp_path / "ok.db"), "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_URL": fake.base_url}
    result = run_cli("doctor", env=env)
    assert result.returncode == 0, result.stdout
    assert "[ok] telegram: the token belongs to @elenchus_test_bot" in result.stdout
    assert f"version {len(MIGRATIONS)}, all migrations applied" in result.stdout
    assert "0 problem(s)" in result.stdout


def test_problems_are_named_and_the_token_never_printed(fake, tmp_path):
    db = tmp_path / "future.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    env = {"ELENCHUS_DB": str(db), "TELEGRAM_BOT_TOKEN": "999:wrong-token", "TELEGRAM_API_URL": fake.base_url}
    result = run_cli("doctor", env=env)
    assert result.returncode == 1
    assert "[PROBLEM] schema" in result.stdout and "newer than this Elenchus" in result.stdout
    assert "[PROBLEM] telegram: getMe failed" in result.stdout
    assert "wrong-token" not in result.stdout
    fake.clear_violations()  # the wrong token was refused on purpose
