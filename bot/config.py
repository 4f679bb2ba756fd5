"""Settings, read once from the environment (and an optional .env file in the current folder)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from . import paths


def _read_dotenv(path: Path) -> dict[str, str]:
    """KEY=value lines; comments and blank lines ignored; the real environment wins."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


@dataclass(frozen=True)
class Settings:
    db: Path = Path("elenchus.db")
    token: str | None = field(default=None, repr=False)
    content: Path = field(default_factory=paths.content_dir)
    prompts: Path = field(default_factory=paths.prompts_dir)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, dotenv: Path = Path(".env")) -> Settings:
        env = {**_read_dotenv(dotenv), **(os.environ if environ is None else environ)}
        return cls(
            db=Path(env.get("ELENCHUS_DB") or "elenchus.db"),
            token=env.get("TELEGRAM_BOT_TOKEN") or None,
            content=Path(env.get("ELENCHUS_CONTENT") or paths.content_dir()),
            prompts=Path(env.get("ELENCHUS_PROMPTS") or paths.prompts_dir()),
        )
