"""The operators' CLI: cohorts, exports in every format, the report and the audit log."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from bot.app.dialogues import Dialogues as Service
from bot.content.loader import load_course
from bot.engine import StanceInput, TextInput
from bot.storage import Storage

from ..support.cli import run_cli
from ..support.content import CONTENT

ANSWER = "Because the outcomes are listed, for example in the EU format, I trust it more."


def seed(db, cohort_name: str, person: str, answer: str) -> None:
    """A participant who joined a cohort and answered the first question of the first dialogue."""
    storage = Storage(db)
    cohort = storage.cohorts.by_name(cohort_name)
    pid = storage.participants.get_or_create("telegram", person, name=person).id
    storage.participants.record_consent(pid, "1-en", True)
    storage.cohorts.join(cohort.id, pid)
    service = Service(load_course(CONTENT), storage)
    turn = service.start(pid, service.course.dialogues[0])
    turn = service.send(pid, storage.runs.get(turn.run_id), StanceInput(4))
    service.send(pid, storage.runs.get(turn.run_id), TextInput(answer))
    storage.close()


def test_cohorts_exports_report_and_audit(tmp_path):
    db = tmp_path / "ops.db"
    env = {"ELENCHUS_DB": str(db), "ELENCHUS_BOT_USERNAME": "@uni_elenchus_bot"}
    created = run_cli("cohort", "create", "MC-A", env=env)
    assert created.returncode == 0, created.stderr
    assert "https://t.me/uni_elenchus_bot?start=j" in created.stdout
    assert run_cli("cohort", "create", "MC-A", env=env).returncode == 2
    assert run_cli("cohort", "create", "bad name!", env=env).returncode == 2
    run_cli("cohort", "create", "MC-B", env=env)
    seed(db, "MC-A", "Alice", ANSWER)
    seed(db, "MC-B", "Bob", "Bob's answer, because it belongs to B.")
    listed = run_cli("cohort", "list", env=env)
    assert "MC-A\t1 participant(s)" in listed.stdout and "MC-B" in listed.stdout

    for fmt in ("csv", "json", "xapi", "zip"):
        out = tmp_path / f"a.{fmt}"
        result = run_cli("export", "--cohort", "MC-A", "--format", fmt, "-o", str(out), env=env)
        assert result.returncode == 0, result.stderr
        # one record per answer; xAPI has one statement for the answer and one for the opening rating
        assert f"wrote {2 if fmt == 'xapi' else 1} record(s)" in result.stdout
    rows = list(csv.DictReader(io.StringIO((tmp_path / "a.csv").read_text("utf-8-sig"), newline="")))
    assert [r["answer"] for r in rows] == [ANSWER]
    assert [r["answer"] for r in json.loads((tmp_path / "a.json").read_text())["reflections"]] == [ANSWER]
    assert "Bob" not in (tmp_path / "a.xapi").read_text()
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert any(ANSWER in archive.read(n).decode() for n in archive.namelist() if n.endswith(".md"))

    both = run_cli("export", "--cohort", "MC-A", "--cohort", "MC-B", "-o", str(tmp_path / "ab.csv"), env=env)
    assert "wrote 2 record(s)" in both.stdout
    later = run_cli("export", "--cohort", "MC-A", "--since", "2999-01-01", "-o", str(tmp_path / "none.csv"), env=env)
    assert "wrote 0 record(s)" in later.stdout
    assert run_cli("export", "--cohort", "MC-Z", env=env).returncode == 2

    report = run_cli("report", "--cohort", "MC-A", "-o", str(tmp_path / "report"), env=env)
    assert report.returncode == 0, report.stderr
    assert "value-and-trust" in report.stdout
    assert sorted(p.suffix for p in (tmp_path / "report").iterdir()) == [".md", ".png"]
    german = run_cli("report", "--cohort", "MC-A", "--lang", "de", "-o", str(tmp_path / "bericht"), env=env)
    assert "value-and-trust: 1 begonnen" in german.stdout, german.stdout
    (overview_md,) = (tmp_path / "bericht").glob("*.md")
    assert overview_md.read_text(encoding="utf-8").startswith("# Überblick über die Kohorte")

    renewed = run_cli("cohort", "renew", "MC-A", "--kind", "invite", env=env)
    assert "renewed the invite link(s) of MC-A" in renewed.stdout
    revoked = run_cli("cohort", "revoke", "MC-A", env=env)
    assert revoked.stdout.count("(revoked)") == 2

    audit = run_cli("audit", env=env)
    actions = [line.split("\t")[2] for line in audit.stdout.splitlines()]
    assert actions == [
        "export:csv",
        "export:json",
        "export:xapi",
        "export:zip",
        "export:csv",
        "export:csv",
        "report",
        "report",
    ]
    assert all(line.split("\t")[1].startswith("cli:") for line in audit.stdout.splitlines())
