"""`elenchus check`: each kind of error is reported at file:line:column with a fix an author understands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.content.loader import check_content, load_course
from bot.content.prompts import check_prompts
from bot.content.yamlpos import ContentError

from ..support.cli import run_cli
from ..support.content import CONTENT, MINI, PROMPTS, ROOT, write_content


def problems_for(tmp_path: Path, text: str, *, extra: dict[str, str] | None = None, ids=None) -> list[str]:
    folder = write_content(tmp_path / "content", {"mini.yaml": text, **(extra or {})}, ids)
    return [str(p).replace(str(folder) + "/", "") for p in check_content(folder) if p.is_error]


def broken(old: str, new: str) -> str:
    assert old in MINI, old
    return MINI.replace(old, new, 1)


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


CASES = [
    # (what, old text, new text, the line's fragment, words the message must contain)
    ("yaml syntax", "  - id: q1\n", "  - id: q1\n   bad: [unclosed\n", "bad: [unclosed", ["YAML syntax"]),
    (
        "unknown field",
        "    move: clarification\n",
        "    move: clarification\n    prob: Say more?\n",
        "prob:",
        ["unknown field 'prob'", "Did you mean 'probe'?"],
    ),
    ("missing move", "    move: evidence\n", "", "- id: q-evidence", ["has no 'move'", "clarification"]),
    ("bad move", "move: evidence", "move: proof", "move: proof", ["'proof' is not allowed", "evidence"]),
    ("unknown target", "next: note\n", "next: nots\n", "next: nots", ["'nots' is not a node", "Did you mean 'note'?"]),
    ("duplicate id", "  - id: q-evidence\n", "  - id: q1  # again\n", "# again", ["'q1' is used twice", "node 3"]),
    (
        "loop",
        "  - id: after\n    stance: after\n",
        "  - id: after\n    stance: after\n    next: q-evidence\n",
        "- id: q-evidence",
        ["loops", "q-evidence -> after -> q-evidence"],
    ),
    ("two kinds", "    say: Hello.\n", "    say: Hello.\n    ask: Why?\n", "ask: Why?", ["mixes say and ask"]),
    ("no kind", "    stance: before\n", "", "- id: before", ["has no kind"]),
    (
        "next on choose",
        "    choose: Whose view?\n",
        "    choose: Whose view?\n    next: q1\n",
        "next: q1",
        ["does not belong on a 'choose' node", "Each option has its own `next`"],
    ),
    (
        "probe on say",
        "    say: Hello.\n",
        "    say: Hello.\n    probe: Why?\n",
        "probe: Why?",
        ["'probe' does not belong", "Only open questions"],
    ),
    (
        "falls off the end",
        "  - id: end\n    end: Thanks, {role}.\n",
        "",
        "- id: q-meta",
        ["last in the file but not an end"],
    ),
    ("bad id", "  - id: q1\n", "  - id: Q 1\n", "- id: Q 1", ["'Q 1' is not a valid id"]),
    ("wrong type", "minutes: 5", "minutes: five", "minutes: five", ["should be a whole number, not a text"]),
    ("missing metadata", "claim: Tests are useful.\n", "", None, ["missing 'claim'"]),
    (
        "text without en",
        "title: {en: Mini, de: Mini auf Deutsch}",
        "title: {de: Mini auf Deutsch}",
        "title:",
        ["should be a text, or a mapping of locales", "'en'"],
    ),
    (
        "undefined source",
        "sources: [ralston2021]",
        "sources: [ralston2021, ralston2022]",
        "sources:",
        ["'ralston2022' is not in sources.yaml", "Did you mean 'ralston2021'?"],
    ),
    (
        "cite not in sources",
        "    cite: [ralston2021]\n",
        "    cite: [ralston2021, eu2022]\n",
        "cite:",
        ["cites 'eu2022'", "Add it to `sources`"],
    ),
    (
        "text too long",
        "    say: Only employers see this.\n",
        "    say: " + "x" * 4100 + "\n",
        "xxxx",
        ["4100 characters", "at most 4096"],
    ),
    (
        "label too long",
        "      - label: Student\n",
        "      - label: " + "A student in their first year here" * 2 + "\n",
        "A student in",
        ["button label has 68 characters", "at most 40"],
    ),
    (
        "unknown variable",
        "    ask: What evidence?\n",
        "    ask: What evidence for {rol}?\n",
        "{rol}",
        ["uses {rol}", "no option sets 'rol'"],
    ),
    (
        "when value",
        "    when: {role: employer}\n",
        "    when: {role: manager}\n",
        "when:",
        ["no option sets 'role' to 'manager'", "employer, student"],
    ),
    (
        "duplicate key",
        "    move: clarification\n",
        "    move: clarification\n    move: evidence\n",
        "move: evidence",
        ["'move' appears twice"],
    ),
]


@pytest.mark.parametrize(("what", "old", "new", "fragment", "words"), CASES, ids=[c[0] for c in CASES])
def test_each_kind_of_error_names_file_line_and_a_fix(tmp_path, what, old, new, fragment, words):
    text = broken(old, new)
    found = problems_for(tmp_path, text)
    assert found, f"{what}: no error reported"
    if fragment is not None:
        line = line_of(text, fragment)
        at_line = [p for p in found if p.startswith(f"mini.yaml:{line}:")]
        assert at_line, f"{what}: expected an error at mini.yaml:{line}, got {found}"
        found = at_line
    for word in words:
        assert any(word in p for p in found), f"{what}: '{word}' not in {found}"
    assert all(": error: " in p for p in found)


def test_unreachable_node_is_named(tmp_path):
    text = MINI + "  - id: orphan\n    say: Nobody comes here.\n    next: end\n"
    found = problems_for(tmp_path, text)
    assert found == [
        f"mini.yaml:{line_of(text, '- id: orphan')}:9: error: node 'orphan' can never be reached "
        "from the start. Point a `next` or an option at it, or delete it."
    ]


def test_no_end_reachable_is_reported_on_a_loop_without_exit(tmp_path):
    text = broken("  - id: q-meta\n", "  - id: q-meta\n    next: after\n")
    found = problems_for(tmp_path, text)
    assert any("loops" in p for p in found)


def test_duplicate_dialogue_ids_across_files(tmp_path):
    found = problems_for(tmp_path, MINI, extra={"copy.yaml": MINI}, ids=["mini"])
    assert any(p.startswith("mini.yaml:1:1") and "already used by" in p for p in found), found


def test_course_listing_an_unknown_dialogue(tmp_path):
    found = problems_for(tmp_path, MINI, ids=["mini", "mnii"])
    assert any(p.startswith("course.yaml:7:5") and "'mnii'" in p and "Did you mean 'mini'?" in p for p in found), found


def test_pedagogy_standards_are_warnings(tmp_path):
    thin = MINI.replace("    move: evidence\n", "    move: clarification\n").replace(
        "  - id: before\n    stance: before\n", ""
    )
    folder = write_content(tmp_path / "content", {"mini.yaml": thin})
    problems = check_content(folder)
    assert not [p for p in problems if p.is_error]
    messages = [p.message for p in problems]
    assert any("different Socratic move" in m for m in messages)
    assert any("no `stance: before`" in m for m in messages)
    load_course(folder)  # warnings do not stop a dialogue from loading


def test_load_course_refuses_content_with_errors(tmp_path):
    folder = write_content(tmp_path / "content", {"mini.yaml": broken("next: note\n", "next: nots\n")})
    with pytest.raises(ContentError) as caught:
        load_course(folder)
    assert "'nots' is not a node" in str(caught.value)


def test_shipped_prompts_are_complete_and_used():
    assert check_prompts(PROMPTS, ROOT / "bot") == []


def test_prompts_missing_keys_and_placeholders(tmp_path):
    (tmp_path / "en.yaml").write_text('a.one: "Hello {name}"\na.two: Bye\n', encoding="utf-8")
    (tmp_path / "de.yaml").write_text('a.one: "Hallo {nom}"\na.three: Extra\n', encoding="utf-8")
    found = [str(p).replace(str(tmp_path) + "/", "") for p in check_prompts(tmp_path)]
    assert any(
        p.startswith("de.yaml:1:1: error: the key 'a.two' is missing (it is at") and "en.yaml:2" in p for p in found
    ), found
    assert any(p.startswith("de.yaml:1:8: error: 'a.one' uses {nom} but English uses {name}") for p in found), found
    assert any(p.startswith("de.yaml:2:1: warning: the key 'a.three' is not in en.yaml") for p in found), found


def test_unused_prompt_keys_are_reported(tmp_path):
    (tmp_path / "en.yaml").write_text("menu.title: Menu\nnever.used: Nobody\n", encoding="utf-8")
    code = tmp_path / "code"
    code.mkdir()
    (code / "x.py").write_text('t("menu.title")\n', encoding="utf-8")
    found = [p.message for p in check_prompts(tmp_path, code)]
    assert found == ["the key 'never.used' is not used by the bot. Remove it, or use it."]


def test_cli_check_exit_codes(tmp_path):
    ok = run_cli("check")
    assert ok.returncode == 0, ok.stderr
    assert "0 error(s), 0 warning(s)" in ok.stderr
    folder = write_content(tmp_path / "content", {"mini.yaml": broken("next: note\n", "next: nots\n")})
    bad = run_cli("check", str(folder / "mini.yaml"), cwd=tmp_path)
    assert bad.returncode == 1
    line = line_of(broken("next: note\n", "next: nots\n"), "next: nots")
    assert f"content/mini.yaml:{line}:11: error: 'nots' is not a node in this dialogue." in bad.stderr
    assert "1 error(s)" in bad.stderr
    prompts = run_cli("check", str(PROMPTS))
    assert prompts.returncode == 0, prompts.stderr


def test_the_terminal_refuses_to_start_on_broken_content(tmp_path):
    folder = write_content(tmp_path / "content", {"mini.yaml": broken("next: note\n", "next: nots\n")})
    result = run_cli("play", env={"ELENCHUS_CONTENT": str(folder), "ELENCHUS_DB": str(tmp_path / "x.db")})
    assert result.returncode == 1
    assert "'nots' is not a node in this dialogue" in result.stderr
    assert "fix them and start again" in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_check_accepts_the_shipped_content_folder_by_path():
    result = run_cli("check", str(CONTENT), str(PROMPTS))
    assert result.returncode == 0 and "0 error(s)" in result.stderr


def test_the_json_schema_for_editors_accepts_every_shipped_dialogue_and_rejects_a_broken_one():
    import json

    import jsonschema
    import yaml

    from bot.content.loader import dialogue_files

    validator = jsonschema.Draft202012Validator(json.loads((CONTENT / "schema.json").read_text()))
    for path in dialogue_files(CONTENT):
        assert not list(validator.iter_errors(yaml.safe_load(path.read_text()))), path.name
    bad = yaml.safe_load(broken("move: evidence", "move: proof"))
    assert list(validator.iter_errors(bad))


def test_the_bot_refuses_to_start_on_broken_content(tmp_path):
    folder = write_content(tmp_path / "content", {"mini.yaml": broken("next: note\n", "next: nots\n")})
    result = run_cli(
        "run",
        env={
            "ELENCHUS_CONTENT": str(folder),
            "ELENCHUS_DB": str(tmp_path / "x.db"),
            "TELEGRAM_BOT_TOKEN": "123:not-used",
            "TELEGRAM_API_URL": "http://127.0.0.1:9/bot",
        },
    )
    assert result.returncode == 1
    assert "'nots' is not a node in this dialogue" in result.stderr


def test_a_source_may_name_itself_per_language_and_must_keep_english(tmp_path):
    folder = write_content(tmp_path / "content", {"mini.yaml": MINI})
    bib = folder / "sources.yaml"
    text = bib.read_text(encoding="utf-8")
    bib.write_text(text.replace("short: Ralston (2021)", "short: {en: Ralston (2021), de: Ralston (2021a)}"), "utf-8")
    source = load_course(folder).get("mini").source("ralston2021")
    assert (source.name("en"), source.name("de"), source.name("fr")) == (
        "Ralston (2021)",
        "Ralston (2021a)",
        "Ralston (2021)",
    )
    bib.write_text(text.replace("short: Ralston (2021)", "short: {de: Ralston (2021)}"), "utf-8")
    errors = [str(p) for p in check_content(folder) if p.is_error]
    assert any("sources.yaml:" in e and "'en' among them" in e for e in errors), errors


def test_the_fast_schema_check_agrees_with_jsonschema(tmp_path):
    """fastjsonschema only decides whether jsonschema's detailed errors are needed: it must never
    accept a file that jsonschema rejects (nor reject one it accepts), on the shipped course and on
    every broken case above."""
    import jsonschema
    import yaml

    from bot.content.schema_errors import is_valid, schema_for

    schema_path = schema_for(CONTENT / "value-and-trust.yaml")
    strict = jsonschema.Draft202012Validator(json.loads(schema_path.read_text(encoding="utf-8")))
    documents = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(CONTENT.glob("*.yaml"))]
    documents = [d for d in documents if isinstance(d, dict) and "nodes" in d]
    for _, old, new, _, _ in CASES:
        try:
            documents.append(yaml.safe_load(broken(old, new)))
        except yaml.YAMLError:
            continue
    assert len(documents) > 30
    for document in documents:
        assert is_valid(document, schema_path) == strict.is_valid(document), document.get("id")
