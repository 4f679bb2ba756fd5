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
    """Every setting, its environment variable in the README's table."""

    db: Path = Path("elenchus.db")
    token: str | None = field(default=None, repr=False)
    content: Path = field(default_factory=paths.content_dir)
    prompts: Path = field(default_factory=paths.prompts_dir)
    api_url: str | None = None
    file_url: str | None = None
    webhook_url: str | None = None
    webhook_path: str = "telegram"
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_max_bytes: int = 1024 * 1024
    """Larger webhook bodies are refused before they are read (ELENCHUS_WEBHOOK_MAX_BYTES)."""
    listen: str = "127.0.0.1"
    port: int = 8443
    retention_days: int = 365
    log_level: str = "INFO"
    rate: tuple[int, float] = (30, 1.0)
    """At most this many messages per this many seconds in all (ELENCHUS_RATE; Telegram's limit is about 30/1)."""
    group_rate: tuple[int, float] = (20, 60.0)
    """At most this many messages per this many seconds in one group (ELENCHUS_GROUP_RATE, e.g. 20/60)."""
    group_ack_seconds: float = 15.0
    """How often a group session's answer counter may be updated (ELENCHUS_GROUP_ACK_SECONDS)."""
    admins: frozenset[str] = frozenset()
    """Telegram user ids of administrators (ELENCHUS_ADMINS, comma-separated)."""
    xapi_base: str = "https://elenchus.invalid/xapi"
    """IRI prefix of the activities in xAPI exports (ELENCHUS_XAPI_BASE): set it to your institution's."""
    issuer_key: Path | None = None
    """The issuer key's file (ELENCHUS_ISSUER_KEY); default elenchus-issuer.key beside the database."""
    issuer_name: str = "Elenchus"
    """The awarding body named in credentials (ELENCHUS_ISSUER_NAME): your institution."""
    issuer_url: str | None = None
    """Its web site (ELENCHUS_ISSUER_URL)."""
    issuer_country: str | None = None
    """Its country, ISO 3166-1 alpha-2 such as DE (ELENCHUS_ISSUER_COUNTRY)."""
    xapi_homepage: str | None = None
    """Home page of the actors' accounts in xAPI (ELENCHUS_XAPI_HOMEPAGE); ELENCHUS_XAPI_BASE when unset."""
    lrs_user: str | None = None
    """Basic-auth user for `elenchus export --lrs` (ELENCHUS_LRS_USER)."""
    lrs_password: str | None = field(default=None, repr=False)
    """Basic-auth password for `elenchus export --lrs` (ELENCHUS_LRS_PASSWORD); never printed."""
    bot_username: str | None = None
    portfolio_templates: Path | None = None
    """A directory with an institution's own portfolio.html / portfolio.css (ELENCHUS_PORTFOLIO_TEMPLATES);
    what it lacks comes from bot/exports/templates/."""
    """For invitation links made by the CLI (ELENCHUS_BOT_USERNAME); the bot knows its own."""
    time_zone: str = "Europe/Berlin"
    """A new cohort's time zone for reminders (ELENCHUS_TIME_ZONE, an IANA name); /due changes it per cohort."""
    quiet_hours: str = "21:00-08:00"
    """A new cohort's quiet hours, local time, when no reminder is sent (ELENCHUS_QUIET_HOURS)."""
    clock_scale: float = 1.0
    """For tests: 3600 makes an hour pass in a real second (ELENCHUS_CLOCK_SCALE)."""
    clock_start: str | None = None
    """For tests: the time the scaled clock shows at its epoch, ISO 8601 (ELENCHUS_CLOCK_START)."""
    clock_epoch: float | None = None
    """For tests: the real Unix time of that start, so a restarted bot's clock carries on (ELENCHUS_CLOCK_EPOCH)."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, dotenv: Path = Path(".env")) -> Settings:
        env = {**_read_dotenv(dotenv), **(os.environ if environ is None else environ)}
        return cls(
            db=Path(env.get("ELENCHUS_DB") or "elenchus.db"),
            token=env.get("TELEGRAM_BOT_TOKEN") or None,
            content=Path(env.get("ELENCHUS_CONTENT") or paths.content_dir()),
            prompts=Path(env.get("ELENCHUS_PROMPTS") or paths.prompts_dir()),
            api_url=env.get("TELEGRAM_API_URL") or None,
            file_url=env.get("TELEGRAM_FILE_URL") or None,
            webhook_url=env.get("ELENCHUS_WEBHOOK_URL") or None,
            webhook_path=env.get("ELENCHUS_WEBHOOK_PATH") or "telegram",
            webhook_secret=env.get("ELENCHUS_WEBHOOK_SECRET") or None,
            webhook_max_bytes=_positive(env, "ELENCHUS_WEBHOOK_MAX_BYTES", 1024 * 1024),
            listen=env.get("ELENCHUS_LISTEN") or "127.0.0.1",
            port=_int(env, "ELENCHUS_PORT", 8443),
            retention_days=_int(env, "ELENCHUS_RETENTION_DAYS", 365),
            log_level=(env.get("ELENCHUS_LOG_LEVEL") or "INFO").upper(),
            group_ack_seconds=float(env.get("ELENCHUS_GROUP_ACK_SECONDS") or 15.0),
            group_rate=_rate(env.get("ELENCHUS_GROUP_RATE") or "20/60"),
            rate=_rate(env.get("ELENCHUS_RATE") or "30/1"),
            admins=frozenset(a.strip() for a in (env.get("ELENCHUS_ADMINS") or "").split(",") if a.strip()),
            bot_username=(env.get("ELENCHUS_BOT_USERNAME") or "").lstrip("@") or None,
            portfolio_templates=Path(env["ELENCHUS_PORTFOLIO_TEMPLATES"])
            if env.get("ELENCHUS_PORTFOLIO_TEMPLATES")
            else None,
            issuer_key=Path(env["ELENCHUS_ISSUER_KEY"]) if env.get("ELENCHUS_ISSUER_KEY") else None,
            issuer_name=env.get("ELENCHUS_ISSUER_NAME") or "Elenchus",
            issuer_url=env.get("ELENCHUS_ISSUER_URL") or None,
            issuer_country=_country(env.get("ELENCHUS_ISSUER_COUNTRY")),
            xapi_base=(env.get("ELENCHUS_XAPI_BASE") or "https://elenchus.invalid/xapi").rstrip("/"),
            time_zone=_zone(env.get("ELENCHUS_TIME_ZONE") or "Europe/Berlin"),
            quiet_hours=_quiet(env.get("ELENCHUS_QUIET_HOURS") or "21:00-08:00"),
            clock_scale=_scale(env.get("ELENCHUS_CLOCK_SCALE") or "1"),
            clock_start=env.get("ELENCHUS_CLOCK_START") or None,
            clock_epoch=float(env["ELENCHUS_CLOCK_EPOCH"]) if env.get("ELENCHUS_CLOCK_EPOCH") else None,
            xapi_homepage=(env.get("ELENCHUS_XAPI_HOMEPAGE") or "").rstrip("/") or None,
            lrs_user=env.get("ELENCHUS_LRS_USER") or None,
            lrs_password=env.get("ELENCHUS_LRS_PASSWORD") or None,
        )

    def configure_clock(self) -> None:
        """Make the process's clock the one these settings describe (bot/clock.py)."""
        from datetime import datetime

        from . import clock

        start = datetime.fromisoformat(self.clock_start.replace("Z", "+00:00")) if self.clock_start else None
        clock.configure(self.clock_scale, start, self.clock_epoch)


def _zone(raw: str) -> str:
    from .clock import valid_zone

    if not valid_zone(raw):
        raise SystemExit(f"elenchus: ELENCHUS_TIME_ZONE must be an IANA time zone such as Europe/Berlin, not {raw!r}.")
    return raw


def _quiet(raw: str) -> str:
    from .clock import parse_quiet

    if parse_quiet(raw) is None:
        raise SystemExit(f"elenchus: ELENCHUS_QUIET_HOURS must look like 21:00-08:00, not {raw!r}.")
    return raw


def _scale(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise SystemExit(f"elenchus: ELENCHUS_CLOCK_SCALE must be a positive number, not {raw!r}.")
    return value


def _country(raw: str | None) -> str | None:
    if not raw:
        return None
    if len(raw.strip()) != 2 or not raw.strip().isalpha():
        raise SystemExit(
            f"elenchus: ELENCHUS_ISSUER_COUNTRY must be a two-letter country code such as DE, not {raw!r}."
        )
    return raw.strip().upper()


def _rate(raw: str) -> tuple[int, float]:
    count, _, seconds = raw.partition("/")
    try:
        return int(count), float(seconds or 60)
    except ValueError:
        raise SystemExit(f"elenchus: a rate must look like 20/60 (messages/seconds), not {raw!r}.") from None


def _int(env: dict[str, str], name: str, default: int) -> int:

    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"elenchus: {name} must be a whole number, not {raw!r}.") from None


def _positive(env: dict[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise SystemExit(f"elenchus: {name} must be at least 1, not {value}.")
    return value
