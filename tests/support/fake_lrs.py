"""A faithful fake of an LRS's xAPI 1.0.3 statements resource, over HTTP on 127.0.0.1.

What it does as the xAPI specification says (Part Three, 2.1 Statement Resource):

- every request needs the X-Experience-API-Version header (1.0.x), else 400; every answer carries it;
- basic auth: a wrong or missing Authorization header gets 401;
- PUT ?statementId=ID stores one statement: 204 No Content; the same statement again: 204 and
  nothing stored twice; a different statement under a stored id: 409 Conflict; a body whose id
  differs from the parameter: 400;
- POST stores one statement or a batch (a JSON array), all or nothing: 200 with the ids; a batch
  with one id twice: 400; a statement that differs from the one stored under its id: 409 and
  none of the batch stored; statements already stored identically are accepted and not stored
  again;
- statements are compared as the specification's "Statement Comparison Requirements" say,
  ignoring the properties an LRS sets (stored, authority, version) and the case of the id;
- a statement that the given validator finds problems with: 400 (in the tests that validator is
  Learning Locker's, so the fake refuses what a real LRS would refuse);
- GET ?statementId=ID returns one statement, GET without it all of them (no paging: a fake).

For the tests: `fail_next(n, status)` answers the next n requests with an error (a crash of the
LRS mid-way), and `requests` counts what was asked.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

VERSION = "1.0.3"
LRS_SET = ("stored", "authority", "version")


def comparable(statement: dict[str, Any]) -> dict[str, Any]:
    """A statement without what the LRS adds, with its id in lower case."""
    kept = {k: v for k, v in statement.items() if k not in LRS_SET}
    kept["id"] = kept["id"].lower()
    return kept


class FakeLRS:
    def __init__(
        self,
        user: str = "lrs-user",
        password: str = "lrs-secret",
        validator: Callable[[list[dict]], list[list[str]]] | None = None,
    ):
        self.user, self.password = user, password
        self.validator = validator
        self.statements: dict[str, dict[str, Any]] = {}
        """Stored statements by id (lower case), in the order stored."""
        self.requests: list[tuple[str, int]] = []
        """(method, status) of every request answered."""
        self.lock = threading.Lock()
        self._failures: list[int] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/xapi"

    def __enter__(self) -> FakeLRS:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def fail_next(self, count: int, status: int = 503) -> None:
        with self.lock:
            self._failures = [status] * count

    # ---- the resource --------------------------------------------------------------------------

    def handle(self, method: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        with self.lock:
            if self._failures:
                return self._failures.pop(), {"message": "the LRS is down for maintenance"}
            if method == "PUT":
                return self._put(query, body)
            if method == "POST":
                return self._post(body)
            return self._get(query)

    def _put(self, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        wanted = query.get("statementId", [None])[0]
        if not wanted or not isinstance(body, dict):
            return 400, {"message": "PUT needs ?statementId= and one statement"}
        try:
            wanted = str(uuid.UUID(wanted))
        except ValueError:
            return 400, {"message": "statementId is not a UUID"}
        if body.get("id", wanted).lower() != wanted:
            return 400, {"message": "the statement's id differs from statementId"}
        statement = {**body, "id": wanted}
        problem = self._problem([statement])
        if problem:
            return 400, {"message": problem}
        known = self.statements.get(wanted)
        if known is not None:
            return (204, None) if comparable(known) == comparable(statement) else (409, {"message": "conflict"})
        self._store(statement)
        return 204, None

    def _post(self, body: Any) -> tuple[int, Any]:
        batch = body if isinstance(body, list) else [body]
        if not batch or not all(isinstance(s, dict) for s in batch):
            return 400, {"message": "POST needs a statement or an array of statements"}
        batch = [{**s, "id": s.get("id") or str(uuid.uuid4())} for s in batch]
        ids = [s["id"].lower() for s in batch]
        if len(set(ids)) != len(ids):
            return 400, {"message": "the batch holds one id twice"}
        problem = self._problem(batch)
        if problem:
            return 400, {"message": problem}
        for statement in batch:
            known = self.statements.get(statement["id"].lower())
            if known is not None and comparable(known) != comparable(statement):
                return 409, {"message": f"statement {statement['id']} differs from the one stored"}
        for statement in batch:
            if statement["id"].lower() not in self.statements:
                self._store(statement)
        return 200, [s["id"] for s in batch]

    def _get(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        wanted = query.get("statementId", [None])[0]
        if wanted:
            found = self.statements.get(wanted.lower())
            return (200, found) if found else (404, {"message": "no such statement"})
        return 200, {"statements": list(self.statements.values()), "more": ""}

    def _problem(self, batch: list[dict]) -> str | None:
        for statement in batch:
            try:
                uuid.UUID(statement["id"])
            except (ValueError, AttributeError):
                return f"{statement.get('id')!r} is not a UUID"
        if self.validator is None:
            return None
        for statement, problems in zip(batch, self.validator(batch), strict=True):
            if problems:
                return f"statement {statement['id']}: {'; '.join(problems)}"
        return None

    def _store(self, statement: dict[str, Any]) -> None:
        stored = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        authority = {"objectType": "Agent", "account": {"homePage": "https://lrs.test", "name": self.user}}
        self.statements[statement["id"].lower()] = {
            **statement,
            "stored": stored,
            "authority": authority,
            "version": VERSION,
        }

    # ---- HTTP ----------------------------------------------------------------------------------

    def _authorised(self, header: str | None) -> bool:
        expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return header == f"Basic {expected}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        lrs = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if parts.path.rstrip("/") != "/xapi/statements":
                    return self._answer(method, 404, {"message": "no such resource"})
                if not (self.headers.get("X-Experience-API-Version") or "").startswith("1.0"):
                    return self._answer(method, 400, {"message": "X-Experience-API-Version header missing"})
                if not lrs._authorised(self.headers.get("Authorization")):
                    return self._answer(method, 401, {"message": "unauthorised"})
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    return self._answer(method, 400, {"message": "the body is not JSON"})
                status, answer = lrs.handle(method, parse_qs(parts.query), body)
                self._answer(method, status, answer)

            def _answer(self, method: str, status: int, body: Any) -> None:
                with lrs.lock:
                    lrs.requests.append((method, status))
                data = b"" if status == 204 or body is None else json.dumps(body).encode()
                self.send_response(status, HTTPStatus(status).phrase)
                self.send_header("X-Experience-API-Version", VERSION)
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="LRS"')
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_PUT(self) -> None:
                self._serve("PUT")

            def do_POST(self) -> None:
                self._serve("POST")

        return Handler
