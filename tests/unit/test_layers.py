"""The layers, read from the source: which package may import which.

Each rule names a folder under bot/ and what files there must not import. `imports_of` reads a
file's imports with `ast` (nothing is executed), so a rule also sees imports inside functions.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from ..support.content import ROOT

BOT = ROOT / "bot"


def module_name(path: Path) -> str:
    """bot/content/loader.py -> bot.content.loader; a package's __init__.py names the package."""
    parts = list(path.resolve().relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, as absolute names, relative imports resolved.

    `from a import b` yields both `a` and `a.b`, since b may be a module; rules match by prefix,
    so the extra name never hides an import and at worst names an attribute.
    """
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def is_stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names


def files_under(folder: str) -> list[Path]:
    return sorted((BOT / folder).rglob("*.py"))


def violations(files: Iterable[Path], forbidden: Callable[[str], bool]) -> list[str]:
    """'file imports module' for every import in `files` that `forbidden` refuses."""
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in sorted(imports_of(path))
        if forbidden(name)
    ]


def test_imports_of_resolves_relative_imports():
    found = imports_of(BOT / "content" / "loader.py")
    assert "bot.engine.model" in found and "bot.content.yamlpos" in found
    assert all(not name.startswith(".") for name in found)


def test_content_knows_nothing_of_telegram_storage_or_the_app():
    shells = ("bot.telegram", "bot.storage", "bot.app", "telegram")
    assert violations(files_under("content"), lambda name: any(within(name, s) for s in shells)) == []


def test_the_engine_imports_only_the_standard_library_and_itself():
    assert violations(files_under("engine"), lambda name: not (is_stdlib(name) or within(name, "bot.engine"))) == []


def test_only_the_app_layer_imports_storage():
    allowed = (BOT / "app", BOT / "storage")
    files = [p for p in sorted(BOT.rglob("*.py")) if not any(p.is_relative_to(a) for a in allowed)]
    assert violations(files, lambda name: within(name, "bot.storage")) == []


SENDING = {
    "send_message",
    "send_poll",
    "send_photo",
    "send_document",
    "edit_message_text",
    "edit_text",
    "edit_reply_markup",
    "edit_message_reply_markup",
    "reply_text",
}


def test_only_the_sender_sends_messages():
    """Every message is rendered as a plain value and sent by one adapter (bot/telegram/sender.py)."""
    offenders = []
    for path in sorted(BOT.rglob("*.py")):
        if path == BOT / "telegram" / "sender.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SENDING:
                offenders.append(f"{path.relative_to(BOT.parent)}:{node.lineno} {node.func.attr}")
    assert offenders == []


def test_group_answers_go_through_the_engine():
    """One thin-answer rule: only the engine applies it; the app layer asks the engine what to store."""
    users = [p for p in sorted(BOT.rglob("*.py")) if "is_thin" in p.read_text(encoding="utf-8")]
    assert [p.relative_to(BOT).as_posix() for p in users] == ["engine/followups.py", "engine/probes.py"]


def test_credentials_know_nothing_of_storage_telegram_or_the_app():
    """bot/credentials builds and signs documents; the use case (bot/app/credentials.py) stores and reads."""
    shells = ("bot.telegram", "bot.storage", "bot.app", "telegram", "sqlite3")
    assert violations(files_under("credentials"), lambda name: any(within(name, s) for s in shells)) == []
