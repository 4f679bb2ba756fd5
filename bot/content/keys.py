"""Words shared by every shell: which prompt key says what, independent of markup."""

from __future__ import annotations

from ..engine import Notice, Source

NOTICE_KEYS = {
    "expected_text": "notice.expected_text",
    "expected_choice": "notice.expected_choice",
    "expected_stance": "notice.expected_stance",
    "unknown_option": "notice.unknown_option",
    "stance_range": "notice.stance_range",
    "empty_answer": "notice.empty_answer",
    "finished": "notice.finished",
    "not_started": "notice.not_started",
    "restarted": "notice.restarted",
}

STANCE_KEYS = {1: "stance.1", 2: "stance.2", 3: "stance.3", 4: "stance.4", 5: "stance.5"}
PHASE_KEYS = {"before": "stance.before", "after": "stance.after"}
MENU_STATUS_KEYS = {"new": "chat.menu_new", "active": "chat.menu_active", "done": "chat.menu_done"}
"""Menu button labels in Telegram, by the run's status."""
MENU_KEYS = {"new": "menu.new", "active": "menu.active", "done": "menu.done"}
MENU_MARKS = {"new": " ", "active": "▸", "done": "✓"}


def notice_key(notice: Notice) -> str:
    return NOTICE_KEYS[notice.code]


def cite_names(sources: tuple[Source, ...]) -> str:
    return "; ".join(s.short for s in sources)


def reference(source: Source) -> str:
    """A full reference line, with its link when there is one."""
    return f"{source.cite} {source.link}" if source.link else source.cite


MOVE_KEYS = {
    "clarification": "move.clarification",
    "assumptions": "move.assumptions",
    "evidence": "move.evidence",
    "viewpoints": "move.viewpoints",
    "implications": "move.implications",
    "meta-question": "move.meta_question",
    "portfolio": "move.portfolio",
}
"""A Socratic move's name in words, for documents (the id is only for exports and tools)."""


def move_name(move: str, t) -> str:
    key = MOVE_KEYS.get(move)
    return t(key) if key else move
