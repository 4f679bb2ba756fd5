"""A small client of an LRS's xAPI statements resource: statements sent in batches, without duplicates.

Why it can be run again after any failure: statement ids are stable (bot/exports/xapi.py), and an
LRS that receives a statement whose id it already holds stores nothing new. So a batch is POSTed;
if the LRS answers 409 Conflict (one statement in it differs from the version it holds under the
same id, and a conflicting batch is refused whole), the batch's statements are PUT one by one
(``?statementId=``): 204 for each it stores or already holds identically, 409 for each that
differs. Those conflicts are reported, never overwritten: statements are immutable in xAPI.

Network errors and 5xx answers are retried a few times, then reported with how many statements
were stored before; the same command sent again resumes, and the statements already stored are
recognised by their ids. The password goes into the Authorization header only: it is never part of
an error message, a log line or the URL.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

VERSION = "1.0.3"
BATCH = 50
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class LrsError(Exception):
    """The LRS could not be reached or refused the statements; the message says what to do."""

    def __init__(self, message: str, sent: Sent | None = None):
        super().__init__(message)
        self.sent = sent


@dataclass(frozen=True)
class Endpoint:
    """An LRS's statements resource and the basic-auth credentials for it."""

    url: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0

    @classmethod
    def of(cls, url: str, user: str | None = None, password: str | None = None, timeout: float = 30.0) -> Endpoint:
        """The statements resource under an xAPI endpoint URL (``.../statements`` is added unless given).

        Refuses URLs with credentials in them, and basic auth over plain HTTP to another machine
        (the password would cross the network in clear)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LrsError(f"the LRS URL must start with https:// (got {_shown(url)!r})")
        if parts.username or parts.password:
            raise LrsError(
                "put the LRS user and password in ELENCHUS_LRS_USER and ELENCHUS_LRS_PASSWORD, not in the URL"
            )
        if parts.scheme == "http" and user and parts.hostname not in LOOPBACK:
            raise LrsError("basic auth over plain http would send the password in clear: use an https:// URL")
        base = url.rstrip("/")
        return cls(base if base.endswith("/statements") else f"{base}/statements", user, password, timeout)

    def headers(self) -> dict[str, str]:
        headers = {"X-Experience-API-Version": VERSION, "Content-Type": "application/json"}
        if self.user is not None:
            token = base64.b64encode(f"{self.user}:{self.password or ''}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        return headers


@dataclass
class Sent:
    """What one sending did."""

    stored: int = 0
    """Statements the LRS now holds as sent (newly stored or already there, identical)."""
    conflicts: list[str] = field(default_factory=list)
    """Ids of statements the LRS holds in a different version (409), left as they are."""
    batches: int = 0


@dataclass(frozen=True)
class _Answer:
    status: int
    body: str


class Client:
    """Sends statements to one endpoint; `wait` and `retries` are there so tests need not sleep."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        batch: int = BATCH,
        retries: int = 3,
        wait: Callable[[float], None] = time.sleep,
    ):
        if batch < 1:
            raise ValueError("a batch holds at least one statement")
        self.endpoint = endpoint
        self.batch = batch
        self.retries = retries
        self.wait = wait
        proxies = {} if urlsplit(endpoint.url).hostname in LOOPBACK else None
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler(proxies))

    def send(self, statements: Iterable[dict[str, Any]]) -> Sent:
        """Send every statement; raises LrsError (with `sent` set to what was done) on failure."""
        sent = Sent()
        try:
            for chunk in _chunks(statements, self.batch):
                self._send_batch(chunk, sent)
                sent.batches += 1
        except LrsError as exc:
            raise LrsError(
                f"{exc} {sent.stored} statement(s) had been stored before. Run the same export again to "
                "resume: statements already stored are recognised by their ids and not stored twice.",
                sent,
            ) from exc
        return sent

    def _send_batch(self, chunk: list[dict[str, Any]], sent: Sent) -> None:
        answer = self._request("POST", self.endpoint.url, chunk)
        if answer.status == 200:
            if not _ids_of(answer.body, chunk):
                raise LrsError(
                    f"{_shown(self.endpoint.url)} answered 200 but not with the statements' ids, as an LRS "
                    "does: is it the LRS's xAPI endpoint?"
                )
            sent.stored += len(chunk)
            return
        if answer.status != 409:
            raise LrsError(_refusal(answer, "a batch"))
        for statement in chunk:  # find which statements conflict; store the others
            url = f"{self.endpoint.url}?statementId={quote(statement['id'])}"
            one = self._request("PUT", url, statement)
            if one.status == 204:
                sent.stored += 1
            elif one.status == 409:
                sent.conflicts.append(statement["id"])
            else:
                raise LrsError(_refusal(one, f"statement {statement['id']}"))

    def _request(self, method: str, url: str, body: Any) -> _Answer:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(url, data=data, method=method, headers=self.endpoint.headers())
            try:
                with self.opener.open(request, timeout=self.endpoint.timeout) as response:
                    return _Answer(response.status, _text(response.read()))
            except urllib.error.HTTPError as exc:
                answer = _Answer(exc.code, _text(exc.read()))
                if exc.code < 500 and exc.code != 429:
                    return answer
                problem = f"the LRS answered {exc.code}{_message(answer.body)}."
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                problem = f"the LRS at {_shown(self.endpoint.url)} could not be reached ({reason})."
            if attempt < self.retries:
                self.wait(min(2.0**attempt, 30.0))
        raise LrsError(f"{problem} Gave up after {self.retries + 1} attempt(s).")


def _chunks(statements: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for statement in statements:
        chunk.append(statement)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _ids_of(body: str, chunk: list[dict[str, Any]]) -> bool:
    """Whether a POST's answer lists the batch's ids (in order, as xAPI says), case aside."""
    try:
        ids = json.loads(body)
    except ValueError:
        return False
    return isinstance(ids, list) and [str(i).lower() for i in ids] == [s["id"].lower() for s in chunk]


def _refusal(answer: _Answer, what: str) -> str:
    reasons = {
        400: "refused {what} as invalid",
        401: "refused the credentials (check ELENCHUS_LRS_USER and ELENCHUS_LRS_PASSWORD)",
        403: "does not let these credentials write statements",
        404: "has no statements resource at this URL (give the xAPI endpoint, e.g. https://lrs.example.org/xapi)",
        413: "found {what} too large (send smaller batches with --batch-size)",
    }
    reason = reasons.get(answer.status, "answered {status} to {what}")
    return f"the LRS {reason.format(what=what, status=answer.status)}{_message(answer.body)}."


def _message(body: str) -> str:
    """The LRS's own explanation, shortened: it can quote a statement, and so an answer."""
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = body
    text = parsed.get("message", parsed) if isinstance(parsed, dict) else parsed
    text = " ".join(str(text).split())
    return f": {text[:200]}{'…' if len(text) > 200 else ''}" if text else ""


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _shown(url: str) -> str:
    """A URL without any credentials in it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return parts._replace(netloc=host if parts.port is None else f"{host}:{parts.port}").geturl()
