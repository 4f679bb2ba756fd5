"""The course declares its languages (`languages: [en, de]` in course.yaml); every text of every
dialogue must then exist in each of them, with the same placeholders, and follow-up patterns
must be given for each (German answers are matched with German words)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ..engine.texts import PLACEHOLDER
from .report import Report

TEXT_FIELDS = ("say", "ask", "probe", "end", "choose", "title")
_LANG = re.compile(r"[a-z]{2}")


def declared(course_file: Path) -> tuple[str, ...]:
    """The languages course.yaml declares; English alone when it declares none (or cannot be read:
    the course check reports that)."""
    try:
        data = yaml.safe_load(course_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return ("en",)
    languages = data.get("languages") if isinstance(data, dict) else None
    if not isinstance(languages, list) or not all(isinstance(x, str) and _LANG.fullmatch(x) for x in languages):
        return ("en",)
    return tuple(dict.fromkeys(["en", *languages]))


def check_languages(report: Report, data: dict, languages: tuple[str, ...]) -> None:
    if len(languages) < 2:
        return
    for path, value in _texts(data):
        _check_text(report, path, value, languages)
    for i, node in enumerate(data["nodes"]):
        places = [(["nodes", i, "covers"], node.get("covers"))]
        places += [(["nodes", i, "follow_ups", j, "if"], f["if"]) for j, f in enumerate(node.get("follow_ups", []))]
        for path, patterns in places:
            if patterns is None:
                continue
            given = set(patterns) if isinstance(patterns, dict) else {"en"}
            for missing in [lang for lang in languages if lang not in given]:
                report.add(
                    path,
                    f"no '{missing}' patterns: the course is in {', '.join(languages)}, and answers in '{missing}' "
                    f"are matched with '{missing}' words. Write them as `{{en: [...], {missing}: [...]}}`.",
                )


def _check_text(report: Report, path: list[Any], value: Any, languages: tuple[str, ...]) -> None:
    texts = value if isinstance(value, dict) else {"en": value}
    for missing in [lang for lang in languages if not isinstance(texts.get(lang), str) or not texts[lang].strip()]:
        report.add(path, f"this text has no '{missing}' version; the course declares {', '.join(languages)}.")
    english = set(PLACEHOLDER.findall(texts.get("en", "") or ""))
    for lang in languages:
        other = texts.get(lang)
        if isinstance(other, str) and lang != "en" and set(PLACEHOLDER.findall(other)) != english:
            shown = ", ".join(f"{{{p}}}" for p in sorted(english)) or "none"
            report.add(
                [*path, lang],
                f"the '{lang}' text's placeholders differ from the English ones ({shown}). Use the same.",
            )


def _texts(data: dict) -> Iterator[tuple[list[Any], Any]]:
    for field in ("title", "summary", "claim"):
        yield [field], data[field]
    for i, outcome in enumerate(data.get("outcomes", [])):
        yield ["outcomes", i], outcome
    for i, node in enumerate(data["nodes"]):
        for field in TEXT_FIELDS:
            value = node.get(field)
            if isinstance(value, list):
                for j, variant in enumerate(value):
                    yield ["nodes", i, field, j], variant
            elif value is not None:
                yield ["nodes", i, field], value
        for j, option in enumerate(node.get("options", [])):
            yield ["nodes", i, "options", j, "label"], option["label"]
        for j, follow in enumerate(node.get("follow_ups", [])):
            yield ["nodes", i, "follow_ups", j, "ask"], follow["ask"]
