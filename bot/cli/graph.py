"""A dialogue as a Mermaid flowchart, so authors can see its paths (`elenchus graph ID`)."""

from __future__ import annotations

from ..engine.model import Ask, Choose, Dialogue, End, Say, Stance
from ..engine.step import localize

EXCERPT = 60
SHAPES = {Say: ('["', '"]'), Ask: ('[/"', '"/]'), Choose: ('{"', '"}'), Stance: ('{{"', '"}}'), End: ('(["', '"])')}


def _mid(node_id: str) -> str:
    """Mermaid ids: no hyphens, and never the keyword `end`."""
    return "n_" + node_id.replace("-", "_")


def _label(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) > EXCERPT:
        flat = flat[: EXCERPT - 1].rstrip() + "…"
    return flat.replace('"', "#quot;")


def _caption(node, dialogue: Dialogue) -> str:
    if isinstance(node, Say):
        return f"say: {_label(localize(node.text, 'en'))}"
    if isinstance(node, Ask):
        probe = " + probe" if node.probe else ""
        return f"ask ({node.move}{probe}): {_label(localize(node.variants[0], 'en'))}"
    if isinstance(node, Choose):
        return f"choose: {_label(localize(node.text, 'en'))}"
    if isinstance(node, Stance):
        return f"stance {node.phase}: {_label(localize(dialogue.claim, 'en'))}"
    return f"end: {_label(localize(node.text, 'en'))}"


def mermaid(dialogue: Dialogue) -> str:
    lines = ["flowchart TD", f"  %% {dialogue.id} v{dialogue.version}: {_label(localize(dialogue.title, 'en'))}"]
    for node in dialogue.nodes.values():
        left, right = SHAPES[type(node)]
        condition = ", ".join(f"{k}={v}" for k, v in getattr(node, "when", {}).items())
        only = f" (only if {condition})" if condition else ""
        lines.append(f"  {_mid(node.id)}{left}{_caption(node, dialogue)}{only}{right}")
    for node in dialogue.nodes.values():
        if isinstance(node, Choose):
            for option in node.options:
                lines.append(f"  {_mid(node.id)} -->|{_label(localize(option.label, 'en'))}| {_mid(option.next)}")
        elif not isinstance(node, End):
            lines.append(f"  {_mid(node.id)} --> {_mid(node.next)}")
    return "\n".join(lines) + "\n"
