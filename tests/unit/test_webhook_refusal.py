"""The webhook's judgement of a request on its headers alone, and its size setting."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from tornado.httputil import HTTPHeaders

from bot.config import Settings
from bot.telegram.webhook import refusal

SECRET = "s3cret-Token_1"


def headers(**fields: str) -> HTTPHeaders:
    base = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json", "Content-Length": "120"}
    return HTTPHeaders({**base, **{k.replace("_", "-"): v for k, v in fields.items()}})


def test_a_telegram_call_is_accepted():
    assert refusal(headers(), SECRET, 1000) is None
    assert refusal(headers(Content_Type="application/json; charset=utf-8"), SECRET, 1000) is None
    assert refusal(headers(Content_Length="1000"), SECRET, 1000) is None


@pytest.mark.parametrize(
    "fields, status",
    [
        ({"X_Telegram_Bot_Api_Secret_Token": ""}, HTTPStatus.FORBIDDEN),
        ({"X_Telegram_Bot_Api_Secret_Token": SECRET[:-1]}, HTTPStatus.FORBIDDEN),
        ({"X_Telegram_Bot_Api_Secret_Token": SECRET + "x"}, HTTPStatus.FORBIDDEN),
        ({"Content_Length": "1001"}, HTTPStatus.REQUEST_ENTITY_TOO_LARGE),
        ({"Content_Length": "-1"}, HTTPStatus.BAD_REQUEST),
        ({"Content_Length": "12, 12"}, HTTPStatus.BAD_REQUEST),
        ({"Content_Length": "\u00b2"}, HTTPStatus.BAD_REQUEST),  # a digit to str.isdigit, not to int()
        ({"Transfer_Encoding": "chunked"}, HTTPStatus.LENGTH_REQUIRED),
        ({"Content_Type": "text/plain"}, HTTPStatus.UNSUPPORTED_MEDIA_TYPE),
    ],
)
def test_a_request_is_refused_on_its_headers(fields, status):
    assert refusal(headers(**fields), SECRET, 1000) == status


def test_without_the_secret_nothing_else_is_told():
    """A stranger gets 403 whatever else is wrong, so the server reveals none of its limits."""
    stranger = headers(X_Telegram_Bot_Api_Secret_Token="guess", Content_Length="99999999")
    assert refusal(stranger, SECRET, 1000) == HTTPStatus.FORBIDDEN


def test_no_content_length_is_refused():
    missing = HTTPHeaders({"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"})
    assert refusal(missing, SECRET, 1000) == HTTPStatus.LENGTH_REQUIRED


def test_the_limit_setting(tmp_path):
    none = tmp_path / "no.env"
    assert Settings.from_env({}, dotenv=none).webhook_max_bytes == 1024 * 1024
    assert Settings.from_env({"ELENCHUS_WEBHOOK_MAX_BYTES": "65536"}, dotenv=none).webhook_max_bytes == 65536
    for wrong in ("0", "-5", "1MB"):
        with pytest.raises(SystemExit, match="ELENCHUS_WEBHOOK_MAX_BYTES"):
            Settings.from_env({"ELENCHUS_WEBHOOK_MAX_BYTES": wrong}, dotenv=none)
