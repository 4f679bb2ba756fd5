"""Authored data: dialogues (content/*.yaml) and the bot's own texts (prompts/*.yaml), loaded into
the engine's model and checked with file:line:column messages. Knows nothing of Telegram."""

from .loader import check_content, dialogue_files, load_course
from .prompts import Prompts, check_prompts, load_prompts
from .yamlpos import ContentError, Problem

__all__ = [
    "ContentError",
    "Problem",
    "Prompts",
    "check_content",
    "check_prompts",
    "dialogue_files",
    "load_course",
    "load_prompts",
]
