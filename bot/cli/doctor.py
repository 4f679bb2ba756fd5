"""`elenchus doctor`: check the token, the database and the content before (or while) running."""

from __future__ import annotations

import asyncio

from .. import paths
from ..app.health import Finding, examine_database
from ..config import Settings
from ..content.loader import check_content
from ..content.prompts import check_prompts


def examine(settings: Settings) -> list[Finding]:
    return [*_content(settings), *examine_database(settings.db), _issuer(settings), _token(settings)]


def _issuer(settings: Settings) -> Finding:
    """The credential issuer key: absent (made at the first /badge), usable, or refused."""
    from ..app.credentials import IssuerConfig
    from ..credentials import keys

    config = IssuerConfig.from_settings(settings)
    who = f"{config.name}" + (f", {config.country}" if config.country else ", no ELENCHUS_ISSUER_COUNTRY")
    if not config.key_file.exists():
        return Finding(True, "issuer", f"{who}; no key yet: the first /badge makes {config.key_file}")
    try:
        did = keys.did_key(keys.load_or_create(config.key_file).public_key())
    except (keys.IssuerKeyError, ValueError, OSError) as exc:
        return Finding(False, "issuer", f"{config.key_file}: {exc}")
    return Finding(True, "issuer", f"{who}; {did} in {config.key_file} (keep a backup of it)")


def _content(settings: Settings) -> list[Finding]:
    content = [p for p in check_content(settings.content) if p.is_error]
    code = paths.source_dir() if settings.prompts.resolve() == paths.prompts_dir().resolve() else None
    prompts = [p for p in check_prompts(settings.prompts, code) if p.is_error]
    found = [
        Finding(not content, "content", f"{settings.content}: {len(content)} error(s)"),
        Finding(not prompts, "prompts", f"{settings.prompts}: {len(prompts)} error(s)"),
    ]
    return found + [Finding(False, "  ", str(p)) for p in (content + prompts)[:20]]


def _token(settings: Settings) -> Finding:
    if not settings.token:
        return Finding(True, "telegram", "TELEGRAM_BOT_TOKEN is not set: only the terminal mode will run")
    try:
        username = asyncio.run(_get_me(settings))
    except Exception as exc:  # any failure is the finding: the message says which
        return Finding(
            False, "telegram", f"getMe failed: {type(exc).__name__}: {exc}".replace(settings.token, "<token>")
        )
    return Finding(True, "telegram", f"the token belongs to @{username}")


async def _get_me(settings: Settings) -> str:
    from telegram import Bot

    kwargs = {}
    if settings.api_url:
        kwargs["base_url"] = settings.api_url
    if settings.file_url:
        kwargs["base_file_url"] = settings.file_url
    async with Bot(settings.token, **kwargs) as bot:
        return (await bot.get_me()).username
