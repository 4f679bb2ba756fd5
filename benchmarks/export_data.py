"""The export benchmarks' database: one cohort of participants with runs of every dialogue, answers
(follow-ups, edits, formula-like and non-ASCII ones, word counts as the bot stores them) and
ratings, inserted directly with sqlite-utils in a few transactions."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.engine import Course
from bot.engine.listening import word_count
from bot.engine.step import localize
from bot.storage import Storage

COHORT = "MC-bench"

WORDS = (  # noqa: SIM905  (a paragraph of words reads better than a list literal)
    "the issuer employer assessment evidence credential certificate degree skills learning outcome "
    "workload quality trust value because since however although therefore example project portfolio "
    "university course short transparent recognised employer's hiring manager would should could "
    "lab data analysis shows what learned weeks years time full part study work colleague seriously "
    "standards describe feedback reputation accreditation stackable unbundling vocational human capital"
).split()
SPICE = ("Ärzte prüfen Qualität", "naïve café", "— a dash", "🎓", "“quoted”", "€ 300")
FORMULA_STARTS = ("=SUM(A1:A3)", "-1 point", "+ more", "@mention")


def _answer(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(15, 90))]
    for _ in range(rng.randint(0, 4)):
        words[rng.randrange(len(words))] += ","
    if rng.random() < 0.05:
        words.insert(rng.randrange(len(words)), rng.choice(SPICE))
    if rng.random() < 0.02:
        words.insert(rng.randrange(len(words)), '"like this"')
    text = " ".join(words).capitalize() + "."
    if rng.random() < 0.03:
        text = text.replace(", ", ".\n", 1)
    if rng.random() < 0.01:
        text = rng.choice(FORMULA_STARTS) + " " + text
    return text


def _stamp(base: datetime, seconds: int) -> str:
    return (base + timedelta(seconds=seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_db(path: Path, rows: int, participants: int, course: Course, seed: int = 2026) -> int:
    """A database with one cohort of `participants`, each with dialogue runs (answers and stances)
    until the cohort has `rows` reflections; a few transactions. Returns the cohort's id."""
    rng = random.Random(seed)
    base = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    storage = Storage(path)
    try:
        db = storage.db
        cohort_id = storage.cohorts.create(COHORT, "benchmark").id
        names = ("Anna", "Ben", "Chloé", "Dmitri", "Eva", "Farah", "Götz", "Hana", "Ivan", "Jo")
        with db.atomic():
            db["participants"].insert_all(
                (
                    {
                        "id": n + 1,
                        "platform": "telegram",
                        "external_id": str(10_000 + n),
                        "name": names[n % len(names)] if n % 7 else None,
                        "locale": "en" if n % 3 else "de",
                        "created": _stamp(base, n),
                        "cohort_id": cohort_id,
                    }
                    for n in range(participants)
                ),
                batch_size=1000,
            )
            db["memberships"].insert_all(
                (
                    {"cohort_id": cohort_id, "participant_id": n + 1, "since": _stamp(base, n)}
                    for n in range(participants)
                ),
                batch_size=1000,
            )
            db["consents"].insert_all(
                (
                    {"participant_id": n + 1, "version": "2-en", "given": 1, "at": _stamp(base, n)}
                    for n in range(participants)
                ),
                batch_size=1000,
            )
        runs: list[dict[str, Any]] = []
        stances: list[dict[str, Any]] = []
        reflections: list[dict[str, Any]] = []
        quota = [rows // participants + (1 if n < rows % participants else 0) for n in range(participants)]
        dialogues = course.dialogues
        clock = participants
        for n in range(participants):
            pid = n + 1
            given = 0
            visit = 0
            while given < quota[n]:
                truncated = False
                dialogue = dialogues[visit % len(dialogues)]
                visit += 1
                run_id = len(runs) + 1
                started = clock = clock + rng.randint(30, 600)
                answers = []
                for node in dialogue.asks:
                    for probe in (False, True):
                        if probe and (node.probe is None or rng.random() > 0.15):
                            continue
                        if given >= quota[n]:
                            truncated = True
                            break
                        clock += rng.randint(20, 300)
                        question = localize(node.probe if probe else node.variants[0], "en")
                        answer = _answer(rng)
                        edited = rng.random() < 0.03
                        reflections.append(
                            {
                                "id": len(reflections) + 1,
                                "run_id": run_id,
                                "participant_id": pid,
                                "dialogue_id": dialogue.id,
                                "dialogue_version": dialogue.version,
                                "node_id": node.id,
                                "question": question,
                                "answer": answer,
                                "word_count": word_count(answer),
                                "move": node.move,
                                "probe": int(probe),
                                "created": _stamp(base, clock),
                                "edited": _stamp(base, clock + 60) if edited else None,
                                "history": json.dumps([{"answer": "first try", "until": _stamp(base, clock + 60)}])
                                if edited
                                else None,
                                "chat": str(10_000 + n),
                                "message_id": len(reflections) + 1,
                                "cohort_id": cohort_id,
                                "group_session_id": None,
                            }
                        )
                        answers.append([question, answer, probe])
                        given += 1
                finished = not truncated
                claim = localize(dialogue.claim, "en")
                for phase in ("before", "after") if finished else ("before",):
                    stances.append(
                        {
                            "run_id": run_id,
                            "participant_id": pid,
                            "dialogue_id": dialogue.id,
                            "node_id": phase,
                            "phase": phase,
                            "claim": claim,
                            "value": rng.randint(1, 5),
                            "created": _stamp(base, started if phase == "before" else clock),
                            "cohort_id": cohort_id,
                        }
                    )
                state = {
                    "dialogue": dialogue.id,
                    "version": dialogue.version,
                    "node": "end" if finished else dialogue.asks[-1].id,
                    "locale": "en",
                    "visit": 1 + (visit - 1) // len(dialogues),
                    "vars": {},
                    "answers": answers,
                    "stances": {},
                    "steps": len(answers) + 2,
                    "probing": False,
                    "finished": finished,
                }
                runs.append(
                    {
                        "id": run_id,
                        "participant_id": pid,
                        "dialogue_id": dialogue.id,
                        "dialogue_version": dialogue.version,
                        "chat": str(10_000 + n),
                        "visit": state["visit"],
                        "state": json.dumps(state, ensure_ascii=False),
                        "status": "finished" if finished else "active",
                        "started": _stamp(base, started),
                        "updated": _stamp(base, clock),
                        "finished": _stamp(base, clock) if finished else None,
                        "cohort_id": cohort_id,
                    }
                )
        with db.atomic():
            db["runs"].insert_all(runs, batch_size=1000)
            db["stances"].insert_all(stances, batch_size=1000)
            db["reflections"].insert_all(reflections, batch_size=1000)
        return cohort_id
    finally:
        storage.close()
