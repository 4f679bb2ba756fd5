"""Where the shipped data lives, whether Elenchus runs from a checkout or an installed wheel.

The wheel carries content/ and prompts/ inside the package (bot/data/, see pyproject.toml);
a checkout uses the top-level folders. ELENCHUS_CONTENT and ELENCHUS_PROMPTS override both.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    checkout = _PACKAGE.parent / name
    if checkout.is_dir() and (_PACKAGE.parent / "pyproject.toml").exists():
        return checkout
    return _PACKAGE / "data" / name


def content_dir() -> Path:
    return Path(os.environ.get("ELENCHUS_CONTENT") or _shipped("content"))


def prompts_dir() -> Path:
    return Path(os.environ.get("ELENCHUS_PROMPTS") or _shipped("prompts"))


def shipped_schema() -> Path:
    return _shipped("content") / "schema.json"


def source_dir() -> Path:
    """The package's own source, scanned by the check for prompt keys in use."""
    return _PACKAGE
