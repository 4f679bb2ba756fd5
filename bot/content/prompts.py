"""The bot's own words: prompts/<locale>.yaml, one flat mapping of keys to texts per locale.

English is complete by definition; every other locale must have every key and the same
{placeholders}. A missing translation falls back to English at run time, but `check` reports it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .yamlpos import ContentError, PosMap, Problem, load, shown_path

DEFAULT = "en"
_KEY_LITERAL = re.compile(r"""["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["']""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Prompts:
    def __init__(self, texts: dict[str, dict[str, str]]):
        self.texts = texts

    @property
    def locales(self) -> list[str]:
        return sorted(self.texts)

    def locale_for(self, *candidates: str | None) -> str:
        """The first supported locale among candidates such as 'de-AT' or 'de', else English."""
        for candidate in candidates:
            if candidate:
                short = candidate.split("-")[0].split("_")[0].lower()
                if short in self.texts:
                    return short
        return DEFAULT

    def t(self, key: str, locale: str = DEFAULT, **values: Any) -> str:
        text = self.texts.get(locale, {}).get(key) or self.texts[DEFAULT][key]
        return text.format(**values) if values else text


def load_prompts(prompts_dir: Path) -> Prompts:
    texts, problems = _read(prompts_dir)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise ContentError(errors)
    return Prompts(texts)


def check_prompts(prompts_dir: Path, code_dir: Path | None = None) -> list[Problem]:
    texts, problems = _read(prompts_dir)
    if code_dir is not None and DEFAULT in texts:
        problems += _unused(prompts_dir / f"{DEFAULT}.yaml", texts[DEFAULT], code_dir)
    return problems


def _read(prompts_dir: Path) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    problems: list[Problem] = []
    texts: dict[str, dict[str, str]] = {}
    data_by_locale: dict[str, tuple[str, PosMap]] = {}
    files = sorted(prompts_dir.glob("*.yaml"))
    if not any(f.stem == DEFAULT for f in files):
        where = shown_path(prompts_dir / f"{DEFAULT}.yaml")
        return {}, [Problem(where, 1, 1, "error", "the English prompts are missing. Create en.yaml.")]
    for path in files:
        shown = shown_path(path)
        data, found = load(path, shown)
        problems += found
        if data is None:
            continue
        if not isinstance(data, PosMap):
            problems.append(Problem(shown, 1, 1, "error", "a prompts file must map keys to texts."))
            continue
        texts[path.stem] = {}
        for key, value in data.items():
            if not isinstance(value, str) or not value.strip():
                line, col = data.value_pos[key]
                problems.append(Problem(shown, line, col, "error", f"'{key}' must be a non-empty text."))
                continue
            texts[path.stem][key] = value.rstrip("\n")
        data_by_locale[path.stem] = (shown, data)
    problems += _compare(texts, data_by_locale)
    return texts, problems


def _compare(texts: dict[str, dict[str, str]], files: dict[str, tuple[str, PosMap]]) -> list[Problem]:
    problems = []
    english = texts.get(DEFAULT, {})
    en_shown, en_data = files[DEFAULT]
    for locale, own in texts.items():
        if locale == DEFAULT:
            continue
        shown, data = files[locale]
        for key in english:
            if key not in own:
                line, _ = en_data.key_pos[key]
                problems.append(
                    Problem(
                        shown,
                        1,
                        1,
                        "error",
                        f"the key '{key}' is missing (it is at {en_shown}:{line}). Add its {locale} translation.",
                    )
                )
            elif _placeholders(own[key]) != _placeholders(english[key]):
                line, col = data.value_pos[key]
                problems.append(
                    Problem(
                        shown,
                        line,
                        col,
                        "error",
                        f"'{key}' uses "
                        f"{_braces(own[key])} but English uses {_braces(english[key])}. "
                        "Use the same placeholders.",
                    )
                )
        for key in own:
            if key not in english:
                line, col = data.key_pos[key]
                problems.append(
                    Problem(
                        shown,
                        line,
                        col,
                        "warning",
                        f"the key '{key}' is not in {DEFAULT}.yaml, so it is never used. Remove it or fix its name.",
                    )
                )
    return problems


def _braces(text: str) -> str:
    names = sorted(_placeholders(text))
    return ", ".join(f"{{{n}}}" for n in names) or "no placeholders"


def _unused(en_path: Path, english: dict[str, str], code_dir: Path) -> list[Problem]:
    used = set(_keys_in_code(code_dir.rglob("*.py")))
    data, _ = load(en_path, shown_path(en_path))
    problems = []
    for key in english:
        if key not in used:
            line, col = data.key_pos[key]
            problems.append(
                Problem(
                    shown_path(en_path),
                    line,
                    col,
                    "warning",
                    f"the key '{key}' is not used by the bot. Remove it, or use it.",
                )
            )
    return problems


def _keys_in_code(files: Iterable[Path]) -> Iterable[str]:
    for path in files:
        yield from _KEY_LITERAL.findall(path.read_text(encoding="utf-8"))
