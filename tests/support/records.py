"""Export records for the exports' and reports' tests: every awkward case in one list."""

from __future__ import annotations

from bot.exports.records import ReflectionRecord, RunRecord

LONG = ("Micro-credentials, stacked; " * 150)[:4000]
"""An answer of 4000 characters (Telegram's limit is 4096)."""


def reflection(n: int, participant: str, answer: str, **kw) -> ReflectionRecord:
    values = {
        "reflection_id": n,
        "run_id": 100 + n,
        "participant_id": n,
        "participant": participant,
        "cohort_id": 7,
        "cohort": "MC-2025 A",
        "dialogue_id": "value-and-trust",
        "dialogue_title": "Value and trust",
        "dialogue_version": 2,
        "node_id": "q1",
        "question": "What do you mean by “value”?",
        "answer": answer,
        "move": "clarification",
        "probe": False,
        "group_session": None,
        "stance_before": 2,
        "stance_after": 4,
        "created": f"2025-03-01T10:{n:02d}:00.000Z",
        "edited": None,
    }
    return ReflectionRecord(**{**values, **kw})


def fixture_records() -> list[ReflectionRecord]:
    """Every awkward case in one list: scripts, emoji, line breaks, quotes, formulas, length."""
    return [
        reflection(1, "Jürgen Ümlaut", "Größe zählt; „Qualität“ auch, aber nicht immer."),
        reflection(2, "Ελένη", "Η αξία εξαρτάται από την εμπιστοσύνη.", cohort_id=None, cohort=None),
        reflection(3, "王芳", "微证书的价值取决于雇主的信任。", stance_before=None, stance_after=None),
        reflection(4, "Emoji 🎓", "It depends 🤔 on trust 👍🏽 and 👨‍👩‍👧 families."),
        reflection(5, "Nora Newline", "first line\nsecond line\r\nthird line\rfourth"),
        reflection(6, "Quentin", 'She said "it is worth it", I said, "is it?"; well, maybe'),
        reflection(7, "Laura Long", LONG, move="evidence", node_id="q2"),
        reflection(8, '=HYPERLINK("http://evil.example","x")', "=1+2"),
        reflection(9, "+49 170 1234567", "+SUM(A1:A9)"),
        reflection(10, "-Minus", "-2+3 is a formula too"),
        reflection(11, "@Handle", "@SUM(1,2)"),
        reflection(12, "\tTabby", "\tcmd|' /C calc'!A0"),
        reflection(13, "\rCarrie", "\rreturn first"),
        reflection(14, "\nLinus", "\nline feed first"),
        reflection(15, "Frieda Follow", "Because employers said so.", probe=True, question="Say more?"),
        reflection(16, "Edith Edit", "An edited answer.", edited="2025-03-02T08:00:00.000Z"),
        reflection(17, "'Quoted' Quinn", "'already quoted' stays as it is"),
        reflection(18, "Sam Solo", "No group, no stance.", cohort_id=None, cohort=None, stance_before=None),
    ]


def fixture_runs() -> list[RunRecord]:
    runs = []
    for r in fixture_records():
        status = "finished" if r.reflection_id % 3 else "active"
        runs.append(
            RunRecord(
                run_id=r.run_id,
                participant_id=r.participant_id,
                participant=r.participant,
                cohort_id=r.cohort_id,
                cohort=r.cohort,
                dialogue_id=r.dialogue_id,
                status=status,
                started=r.created,
                finished="2025-03-03T12:00:00.000Z" if status == "finished" else None,
                stance_before=r.stance_before,
                stance_after=r.stance_after if status == "finished" else None,
            )
        )
    runs.append(RunRecord(999, 3, "王芳", 7, "MC-2025 A", "other", "abandoned", "2025-03-04T00:00:00Z", None, 1, None))
    return runs
