"""What the fake answers a request with: an error (ApiError), or a Reply for the HTTP layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ApiError", "Reply", "error_reply", "ok_reply"]


class ApiError(Exception):
    """An error answer. `violation` marks the ones a correct bot never causes."""

    def __init__(
        self, status: int, description: str, *, violation: bool = True, parameters: dict | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.violation = violation
        self.parameters = parameters


@dataclass
class Reply:
    """What the HTTP layer sends back: a JSON body, or nothing after `hold` seconds (kind "timeout")."""

    status: int
    body: dict[str, Any] | None
    hold: float = 0.0


def ok_reply(result: Any) -> Reply:
    return Reply(200, {"ok": True, "result": result})


def error_reply(error: ApiError) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": error.status, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return Reply(error.status, body)
