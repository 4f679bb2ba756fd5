"""The `credential:` section of course.yaml: what the course's Open Badges 3.0 credential says
about its criteria, assessment and quality assurance, and which dialogues earn it (the course's
set, and a set per cohort). Every text in each of the course's languages."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from ..engine.model import CredentialTerms, Text
from .report import Report, did_you_mean

TEXTS = ("criteria", "assessment", "quality_assurance")
FIELDS = (*TEXTS, "required", "cohorts")


def credential_terms(report: Report, data: Any, dialogue_ids: set[str], languages: tuple[str, ...]) -> CredentialTerms:
    """The terms, each problem reported at its place; the defaults when the section is absent."""
    if data is None:
        return CredentialTerms()
    if not isinstance(data, dict):
        report.add(["credential"], f"'credential' must be a mapping of {', '.join(FIELDS)}.")
        return CredentialTerms()
    for name in sorted(set(data) - set(FIELDS)):
        report.add(["credential", name], f"unknown field '{name}' in credential. Use {', '.join(FIELDS)}.", key=True)
    texts = {name: _text(report, ["credential", name], data.get(name), languages) for name in TEXTS}
    required = _ids(report, ["credential", "required"], data.get("required"), dialogue_ids)
    cohorts: dict[str, tuple[str, ...]] = {}
    raw = data.get("cohorts") or {}
    if not isinstance(raw, dict):
        report.add(["credential", "cohorts"], "'cohorts' maps a cohort's name to the dialogue ids it requires.")
        raw = {}
    for name, ids in raw.items():
        cohorts[str(name)] = _ids(report, ["credential", "cohorts", name], ids, dialogue_ids)
    return CredentialTerms(**texts, required=required, cohorts=MappingProxyType(cohorts))


def _text(report: Report, path: list[Any], value: Any, languages: tuple[str, ...]) -> Text | None:
    if value is None:
        return None
    texts = {"en": value} if isinstance(value, str) else value
    if not isinstance(texts, dict) or not all(isinstance(v, str) and v.strip() for v in texts.values()):
        report.add(path, "expected a text, or a mapping of locales to texts that includes 'en'.")
        return None
    for missing in [lang for lang in languages if lang not in texts]:
        report.warn(
            path,
            f"this text has no '{missing}' version; the course declares {', '.join(languages)}, "
            f"and credentials in '{missing}' would show the English.",
        )
    return MappingProxyType({k: " ".join(str(v).split()) for k, v in texts.items()})


def _ids(report: Report, path: list[Any], value: Any, dialogue_ids: set[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        report.add(path, "expected a non-empty list of dialogue ids.")
        return ()
    for i, dialogue_id in enumerate(value):
        if dialogue_id not in dialogue_ids:
            report.add(
                [*path, i], f"no dialogue has the id '{dialogue_id}'." + did_you_mean(str(dialogue_id), dialogue_ids)
            )
    return tuple(str(v) for v in value)
