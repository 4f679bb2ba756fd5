"""/mydata's guide explains every part of the file, in English and German."""

from __future__ import annotations

from dataclasses import fields

from bot.content.prompts import load_prompts
from bot.exports.personal import SECTION_KEYS, guide
from bot.storage.rows import PersonalData

from ..support.content import PROMPTS


def test_the_guide_has_a_line_for_every_part_of_the_file():
    assert list(SECTION_KEYS) == [f.name for f in fields(PersonalData)]


def test_the_guide_reads_in_each_language():
    prompts = load_prompts(PROMPTS)
    english = guide(lambda key, **v: prompts.t(key, "en", **v))
    german = guide(lambda key, **v: prompts.t(key, "de", **v))
    for part in SECTION_KEYS:
        assert german["sections"][part] != english["sections"][part], part
    assert german["moves"]["evidence"] == "Belege" and "clarification" not in german["moves"].values()
