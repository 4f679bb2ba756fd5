"""`elenchus badge verify` (exit 0 valid, 1 not, with a sentence) and `badge issue` as a user runs
them, and the check of course.yaml's `credential:` section."""

from __future__ import annotations

import json

from bot.app.services import Services
from bot.content import check_content
from bot.content.loader import load_course

from ..support.badges import finish
from ..support.cli import run_cli
from ..support.content import MINI, write_content


def issued_by_cli(tmp_path) -> tuple[dict, object]:
    """A terminal-mode participant finishes the mini course (played through the use cases), then
    `badge issue` writes the credential."""
    content = write_content(tmp_path / "content", {"mini.yaml": MINI})
    env = {"ELENCHUS_DB": str(tmp_path / "t.db"), "ELENCHUS_CONTENT": str(content), "ELENCHUS_ISSUER_NAME": "Uni X"}
    not_yet = run_cli("badge", "issue", "--user", "cli", env=env)
    assert not_yet.returncode == 1 and "not yet: finish mini first" in not_yet.stderr
    services = Services.open(tmp_path / "t.db", load_course(content))
    person = services.participants.identify("terminal", "cli")
    finish(services, person.id, services.course.dialogues)
    services.close()
    out = tmp_path / "badge.json"
    done = run_cli("badge", "issue", "--user", "cli", "--name", "Cli User", "-o", str(out), env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text()), env


def test_issue_then_verify_then_tamper(tmp_path):
    credential, env = issued_by_cli(tmp_path)
    assert credential["issuer"]["name"] == "Uni X"
    assert credential["credentialSubject"]["identifier"][0]["identityHash"] == "Cli User"
    path = tmp_path / "badge.json"
    good = run_cli("badge", "verify", str(path), env=env)
    assert (
        good.returncode == 0
        and good.stdout.startswith("valid: “Test course”")
        and "signed by its issuer, did:key:z6Mk" in good.stdout
    )
    path.write_text(path.read_text().replace("Cli User", "Cli Usar"))
    bad = run_cli("badge", "verify", str(path), env=env)
    assert bad.returncode == 1
    assert "invalid: the signature does not match the content" in bad.stdout


def test_verify_refuses_what_is_not_a_signed_credential(tmp_path):
    (tmp_path / "x.json").write_text("not json")
    (tmp_path / "y.json").write_text(json.dumps({"type": ["VerifiableCredential"]}))
    assert (
        run_cli("badge", "verify", str(tmp_path / "x.json")).stdout == f"invalid: {tmp_path / 'x.json'} is not JSON.\n"
    )
    unsigned = run_cli("badge", "verify", str(tmp_path / "y.json"))
    assert unsigned.returncode == 1 and "it has no proof" in unsigned.stdout
    missing = run_cli("badge", "verify", str(tmp_path / "none.json"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr


def problems(tmp_path, section: str) -> list[str]:
    folder = write_content(tmp_path / "c", {"mini.yaml": MINI})
    course = folder / "course.yaml"
    course.write_text(course.read_text() + "languages: [en, de]\n" + section)
    return [f"{p.severity}: {p.message}" for p in check_content(folder) if p.path.endswith("course.yaml")]


def test_the_credential_section_is_checked(tmp_path):
    found = problems(
        tmp_path,
        "credential:\n  criteria: {en: Finish it., de: Abschließen.}\n  assessment: Only English.\n"
        "  required: [mini, maxi]\n  cohorts:\n    Winter: [mnii]\n  grading: strict\n",
    )
    assert (
        "error: unknown field 'grading' in credential. Use criteria, assessment, quality_assurance, required, cohorts."
        in found
    )
    assert "error: no dialogue has the id 'maxi'." in found
    assert "error: no dialogue has the id 'mnii'. Did you mean 'mini'?" in found
    assert sum(p.startswith("warning: this text has no 'de' version") for p in found) == 1, "the assessment only"
