"""The pure core: dialogues as data and one step function. Imports nothing from Telegram,
SQLite, YAML or asyncio (a test enforces this)."""

from .model import Course, Dialogue, Source
from .step import (
    Buttons,
    ChoiceInput,
    Finished,
    Input,
    Message,
    Notice,
    Output,
    Progress,
    Question,
    Recap,
    RecapItem,
    ResumeInput,
    RunState,
    SaveReflection,
    SaveStance,
    StanceInput,
    StanceQuestion,
    StartInput,
    TextInput,
    step,
)

__all__ = [
    "Buttons", "ChoiceInput", "Course", "Dialogue", "Finished", "Input", "Message", "Notice", "Output", "Progress",
    "Question", "Recap", "RecapItem", "ResumeInput", "RunState", "SaveReflection", "SaveStance",
    "Source", "StanceInput", "StanceQuestion", "StartInput", "TextInput", "step",
]
