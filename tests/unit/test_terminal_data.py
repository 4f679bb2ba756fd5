"""The terminal's data commands: /portfolio writes the files and prints their paths, /mydata the JSON,
/forget erases after a typed yes; and the claim in the participant's language's quotation marks."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.exports import pdf

from .test_terminal import THICK, WHOLE, play, stored


def written(out: str) -> list[Path]:
    return [Path(line.strip()) for line in out.splitlines() if line.startswith("  /")]


def test_portfolio_and_mydata_write_files_next_to_the_database(tmp_path):
    db = tmp_path / "e.db"
    result = play(db, "1\n" + "\n".join(WHOLE) + "\n/portfolio\n/mydata\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "Your portfolio is in these files:" in result.stdout
    paths = written(result.stdout)
    suffixes = [p.name.split(".", 1)[1] for p in paths]
    expected = ["md", "html", "pdf", "leap2a.zip"] if pdf.unavailable() is None else ["md", "html", "leap2a.zip"]
    assert suffixes == [*expected, "json"]
    assert all(p.parent == tmp_path and p.exists() for p in paths)
    markdown = paths[0].read_text("utf-8")
    assert "# Portfolio of reflections" in markdown and f"> {THICK}" in markdown
    assert "Socratic move: " in markdown
    data = json.loads(paths[-1].read_text("utf-8"))
    assert data["format"] == "elenchus.personal-data" and THICK in json.dumps(data)
    if pdf.unavailable() is None:
        assert paths[2].read_bytes().startswith(b"%PDF-")


def test_portfolio_before_any_answer_says_so(tmp_path):
    result = play(tmp_path / "n.db", "/portfolio\n/quit\n")
    assert "You have no reflections yet." in result.stdout and not written(result.stdout)


def test_forget_asks_first_then_erases_everything_and_the_files(tmp_path):
    db = tmp_path / "f.db"
    result = play(db, "1\n2\n" + THICK + "\n/portfolio\n/forget\nno\n/quit\n")
    assert "Nothing was deleted." in result.stdout
    reflections, stances, runs = stored(db)
    assert len(reflections) == len(stances) == len(runs) == 1
    files = written(result.stdout)
    assert files and all(p.exists() for p in files)

    result = play(db, "/forget\nyes\n")
    assert result.returncode == 0, result.stderr
    assert re.search(r"Deleted. Answers: 1, ratings: 1, dialogue runs: 1, consent records: \d+.", result.stdout)
    assert "Your place is saved" not in result.stdout, "the session ends: it would store this login again"
    assert not any(p.exists() for p in files), "the files /portfolio wrote are gone too"
    assert stored(db) == ([], [], []), "stored() makes the login again, with nothing in it"


def test_german_claim_in_german_quotation_marks(tmp_path):
    german = play(tmp_path / "q.db", "1\n", "--lang", "de").stdout.splitlines()
    english = play(tmp_path / "q2.db", "1\n").stdout.splitlines()
    assert any(line.startswith("  „Ein Micro-Credential") for line in german)
    assert any(line.startswith("  “") for line in english) and not any(line.startswith("  “") for line in german)
