"""The terminal mode end to end: `python -m bot play` driven through stdin, answers checked in the database."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.storage import Storage

from ..support.content import ROOT

THICK = "I would check the assessment, because a transparent test shows what was learned, for example a project."


def play(db: Path, stdin: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, "ELENCHUS_DB": str(db), "LANG": "C.UTF-8", **(env or {})}
    environ.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", "play", "--user", "tester", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environ,
        timeout=60,
    )


def stored(db: Path):
    store = Storage(db)
    try:
        pid = store.participants.get_or_create("terminal", "tester").id
        return store.runs.reflections(pid), store.runs.stances(pid), store.runs.of(pid)
    finally:
        store.close()


# value-and-trust, choosing "A hiring manager": stance, 2 asks, choice, 3 asks, stance, the elenchus step,
# the portfolio in three asks
WHOLE = ["2", THICK, THICK, "2", THICK, THICK, THICK, "4", THICK, THICK, THICK, THICK]


def test_a_whole_dialogue_from_the_menu_is_stored(tmp_path):
    db = tmp_path / "e.db"
    result = play(db, "1\n" + "\n".join(WHOLE) + "\n/quit\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Dialogues (" in out and "1.   Worth the paper?" in out
    assert "[Step 1 of 12]" in out and "[Step 12 of 12]" in out
    assert "1) The university issuing it" in out and "2) A hiring manager" in out
    assert "Your recap" in out and "Your stance: 2 at the start, 4 at the end." in out
    assert "You are hiring a lab data analyst" in out
    assert "doi.org/" in out or "eur-lex" in out
    assert "1. ✓ Worth the paper?" in out, "back at the menu, the dialogue is marked done"
    reflections, stances, runs = stored(db)
    assert [r.answer for r in reflections] == [THICK] * 9
    assert {r.move for r in reflections} >= {"clarification", "evidence", "viewpoints", "assumptions"}
    assert [(s.phase, s.value) for s in stances] == [("before", 2), ("after", 4)]
    assert [r.status for r in runs] == ["finished"]


def test_quit_mid_way_then_resume_where_you_left_off(tmp_path):
    db = tmp_path / "r.db"
    first = play(db, "", "value-and-trust")
    assert first.returncode == 0 and "Your place is saved." in first.stdout  # end of input right away
    first = play(db, "3\n" + THICK + "\n/quit\n", "value-and-trust")
    assert "Your place is saved." in first.stdout
    second = play(db, THICK + "\n")
    assert "Welcome back. Continuing “Worth the paper?" in second.stdout
    assert "[Step 3 of 12]" in second.stdout
    assert "What would convince you" in second.stdout
    third = play(db, "")
    assert "[Step 4 of 12]" in third.stdout and "Pick a role" in third.stdout
    reflections, stances, _ = stored(db)
    assert [r.node_id for r in reflections] == ["q-value", "q-evidence"]
    assert [s.value for s in stances] == [3]


def test_a_thin_answer_gets_the_follow_up(tmp_path):
    db = tmp_path / "p.db"
    result = play(db, "3\nyes\n" + THICK + "\n", "value-and-trust")
    assert "A follow-up:" in result.stdout
    reflections, _, _ = stored(db)
    assert [(r.answer, r.probe) for r in reflections] == [("yes", 0), (THICK, 1)]


def test_bad_input_gets_hints_and_changes_nothing(tmp_path):
    db = tmp_path / "b.db"
    result = play(db, "9\nlots\n3\n   \n" + THICK + "\n" + THICK + "\nx\n7\n1\n", "value-and-trust")
    out = result.stdout
    assert out.count("Please pick a number from 1 (strongly disagree) to 5") == 2
    assert "Your answer is empty." in out
    assert out.count("That is not one of the options.") == 2
    assert "You run the micro-credential programme" in out


def test_menu_command_and_unknown_dialogue(tmp_path):
    db = tmp_path / "m.db"
    missing = play(db, "", "no-such-dialogue")
    assert missing.returncode == 2 and "There is no dialogue called “no-such-dialogue”" in missing.stdout
    result = play(db, "3\n/menu\n42\n2\n/quit\n", "value-and-trust")
    assert "▸ Worth the paper? How a micro-credential earns trust: step 2 of 12" in result.stdout
    assert "There is no dialogue 42." in result.stdout
    assert "Does it count? Recognising micro-credentials in admissions and hiring" in result.stdout


def test_help_lists_commands(tmp_path):
    result = play(tmp_path / "h.db", "/help\n/quit\n")
    assert "/menu" in result.stdout and "Ctrl-D" in result.stdout


def test_german_interface(tmp_path):
    result = play(tmp_path / "de.db", "1\n", "--lang", "de")
    assert "Das Papier wert?" in result.stdout
    assert "Bevor wir beginnen" in result.stdout and "Schritt 1 von 12" in result.stdout


def test_newlines_and_unicode_typed_in_the_terminal_are_kept(tmp_path):
    db = tmp_path / "u.db"
    answer = "Zertifikate 🎓 zählen, weil Arbeitgeber „Belege“ sehen wollen – z. B. Projekte."
    play(db, f"3\n{answer}\n", "value-and-trust")
    reflections, _, _ = stored(db)
    assert reflections[0].answer == answer


def read_until(proc: subprocess.Popen, marker: str, timeout: float = 30) -> str:
    """Read the process's output until marker appears (or fail after timeout)."""
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"did not see {marker!r} in {seen.decode(errors='replace')[-500:]!r}")
        if selector.select(remaining):
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
    return seen.decode()


def test_ctrl_c_keeps_the_place(tmp_path):
    db = tmp_path / "c.db"
    environ = {**os.environ, "ELENCHUS_DB": str(db), "LANG": "C.UTF-8"}
    environ.pop("TELEGRAM_BOT_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "play", "--user", "tester", "value-and-trust"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=environ,
    )
    try:
        read_until(proc, "Type 1-5: ")
        proc.stdin.write(b"5\n" + THICK.encode() + b"\n")
        proc.stdin.flush()
        read_until(proc, "What would convince you")
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=30)[0].decode()
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "Your place is saved." in rest
    resumed = play(db, "")
    assert "[Step 3 of 12]" in resumed.stdout
    reflections, stances, _ = stored(db)
    assert len(reflections) == 1 and [s.value for s in stances] == [5]
