"""A stand-in for the bot's prompts in unit tests: each key and its values, so a test sees exactly
what a renderer asked for."""

from __future__ import annotations


def t(key: str, **values: object) -> str:
    return key + "".join(f"|{k}={v}" for k, v in sorted(values.items()))
