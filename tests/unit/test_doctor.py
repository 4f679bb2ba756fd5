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


def test_the_issuer_key_is_reported_and_one_others_may_read_is_a_problem(fake, tmp_path):
    from bot.credentials import keys

    Storage(tmp_path / "ok.db").close()
    env = {"ELENCHUS_DB": str(tmp_path / "ok.db"), "ELENCHUS_ISSUER_NAME": "Uni X", "ELENCHUS_ISSUER_COUNTRY": "de"}
    before = run_cli("doctor", env=env)
    assert "[ok] issuer: Uni X, DE; no key yet: the first /badge makes" in before.stdout
    assert not (tmp_path / keys.KEY_FILE).exists(), "doctor makes no key"
    key = keys.load_or_create(tmp_path / keys.KEY_FILE)
    assert f"[ok] issuer: Uni X, DE; {keys.did_key(key.public_key())}" in run_cli("doctor", env=env).stdout
    (tmp_path / keys.KEY_FILE).chmod(0o640)
    refused = run_cli("doctor", env=env)
    assert refused.returncode == 1 and "[PROBLEM] issuer:" in refused.stdout and "chmod 600" in refused.stdout
