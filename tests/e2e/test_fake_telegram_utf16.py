"""The fake server measures texts as Telegram does: in UTF-16 code units after entity parsing, so
a message of 4,096 emoji (8,192 units) is refused while 2,048 emoji (4,096 units) pass."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from telegram import Bot, InputFile
from telegram.error import BadRequest

from tests.support.fake_telegram import FakeTelegram

EMOJI = "\U0001f600"  # outside the BMP: one code point, two UTF-16 units


@pytest.fixture
def fake():
    with FakeTelegram() as server:
        yield server


def post(fake: FakeTelegram, method: str, **params) -> httpx.Response:
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return httpx.post(f"{fake.base_url}{fake.token}/{method}", data=form, timeout=5)


def test_a_text_of_4096_emoji_is_refused(fake):
    alice = fake.user()
    response = post(fake, "sendMessage", chat_id=alice.id, text=EMOJI * 4096)
    assert response.status_code == 400, response.json()["description"]
    assert "must be 1-4096 characters" in response.json()["description"]
    assert any("got 8192" in v.message for v in fake.violations), fake.violations
    assert fake.messages(alice.id) == []


@pytest.mark.parametrize("parse_mode", [None, "HTML"])
def test_a_text_of_2048_emoji_passes(fake, parse_mode):
    alice = fake.user()
    params = {"parse_mode": parse_mode} if parse_mode else {}
    response = post(fake, "sendMessage", chat_id=alice.id, text=EMOJI * 2048, **params)
    assert response.status_code == 200, response.json().get("description")
    assert fake.last_message(alice.id).text == EMOJI * 2048
    fake.assert_no_violations()


def test_html_is_measured_after_parsing_in_utf16_units(fake):
    alice = fake.user()
    fits = "<b>" + EMOJI * 2047 + "</b>&lt;&amp;"  # 4,094 + 2 units; the tags and entities' source do not count
    assert post(fake, "sendMessage", chat_id=alice.id, text=fits, parse_mode="HTML").status_code == 200
    fake.assert_no_violations()
    too_long = "<b>" + EMOJI * 2048 + "</b>&amp;"  # 4,097 units
    response = post(fake, "sendMessage", chat_id=alice.id, text=too_long, parse_mode="HTML")
    assert response.status_code == 400, response.json()["description"]
    assert any("after entities parsing, got 4097" in v.message for v in fake.violations), fake.violations


async def test_a_caption_is_counted_in_utf16_units(fake):
    alice = fake.user()
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
        photo = InputFile(io.BytesIO(b"\x89PNG\r\n\x1a\n"), filename="chart.png")
        await bot.send_photo(alice.id, photo, caption=EMOJI * 512)
        fake.assert_no_violations()
        with pytest.raises(BadRequest, match="0-1024 characters"):
            await bot.send_photo(alice.id, InputFile(io.BytesIO(b"x"), filename="c.png"), caption=EMOJI * 513)
