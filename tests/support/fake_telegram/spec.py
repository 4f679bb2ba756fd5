"""The Bot API spec (api.json) and the checks every request the bot sends must pass.

A request arrives as form fields (all strings: plain for String, JSON for everything else) plus
uploaded file parts. `Spec.check_request` decodes those strings into Python values by the
field's declared types and checks them recursively; the semantic limits Telegram enforces
beyond types (lengths after entity parsing, keyboard buttons, command names) are in rules.py
and are applied per field and per object type while walking the values.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from . import rules

__all__ = ["API_JSON", "CheckResult", "FilePart", "Spec", "load_spec"]

API_JSON = Path(__file__).with_name("api.json")
_SCALARS = ("Integer", "Float", "Boolean", "String", "InputFile")
_INTEGER_RE = re.compile(r"-?\d+")
# "Type of the media, must be photo" / 'always "user"': the constant a union subtype carries
_DISCRIMINATOR_RE = re.compile(r'(?:must be|always) "?([a-z_]+)"?')


@dataclass(frozen=True)
class FilePart:
    """An uploaded file: one multipart part that carried a filename."""

    filename: str
    content: bytes


@dataclass
class CheckResult:
    """The decoded parameters of one request and everything wrong with it."""

    params: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class _Walk:
    """State of checking one request: its method name, its file parts, the attach:// names used."""

    def __init__(self, spec: Spec, method: str, files: dict[str, FilePart]) -> None:
        self.spec = spec
        self.method = method
        self.files = files
        self.used_parts: set[str] = set()

    def attach(self, value: str) -> FilePart | None:
        """Resolve "attach://<name>" to its file part (None if there is no such part)."""
        name = value.removeprefix("attach://")
        part = self.files.get(name)
        if part is not None:
            self.used_parts.add(name)
        return part


class Spec:
    """api.json, with lookups and the request checker."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.version: str = data.get("version", "?")
        self.methods: dict[str, dict] = data["methods"]
        self.types: dict[str, dict] = data["types"]

    # ---- lookups -------------------------------------------------------------------------

    def method(self, name: str) -> dict | None:
        return self.methods.get(name)

    def fields_of(self, owner: dict) -> dict[str, dict]:
        return {f["name"]: f for f in owner.get("fields", [])}

    def discriminator(self, type_name: str) -> tuple[str, str] | None:
        """(field, constant) that identifies a union subtype, e.g. ("type", "chat")."""
        for f in self.types.get(type_name, {}).get("fields", []):
            if f["name"] in ("type", "status", "source") and f["types"] == ["String"]:
                match = _DISCRIMINATOR_RE.search(f["description"])
                if match:
                    return f["name"], match.group(1)
        return None

    # ---- requests --------------------------------------------------------------------------

    def check_request(self, method: str, form: dict[str, str], files: dict[str, FilePart]) -> CheckResult:
        """Decode and check the parameters of a call to `method` (which must exist)."""
        walk = _Walk(self, method, files)
        defs = self.fields_of(self.methods[method])
        result = CheckResult()
        raw: dict[str, Any] = dict(form)
        for name, part in files.items():
            if name in defs and name not in raw:  # a file sent as the part named after the field
                raw[name] = part
                walk.used_parts.add(name)
        for name, value in raw.items():
            if name not in defs:
                result.errors.append(f"{method}: unknown parameter '{name}'")
                continue
            decoded, error = self._decode_form_value(walk, defs[name]["types"], value, name)
            if error:
                result.errors.append(f"{method}: {error}")
            else:
                result.params[name] = decoded
        for name, f in defs.items():
            if f["required"] and name not in raw:
                result.errors.append(f"{method}: required parameter '{name}' is missing")
        result.errors += [f"{method}: {e}" for e in rules.check_fields(self, method, defs, result.params, "")]
        result.errors += [f"{method}: {e}" for e in rules.check_method(method, defs, result.params)]
        for name in files.keys() - walk.used_parts:
            result.errors.append(f"{method}: file part '{name}' is not used by any parameter")
        return result

    def _decode_form_value(self, walk: _Walk, types: list[str], value: Any, path: str) -> tuple[Any, str | None]:
        """A form value is a string (or an uploaded part); turn it into the first type that fits.

        Of the errors for the allowed types, the one from a JSON object that parsed is the one
        worth reporting (it says what is wrong inside the object).
        """
        if isinstance(value, FilePart):
            if "InputFile" in types:
                return value, None
            return None, f"'{path}': a file was uploaded but the field expects {' or '.join(types)}"
        if "InputFile" in types and value.startswith("attach://") and walk.attach(value) is None:
            return None, f"'{path}': {value} names no uploaded file part"
        errors: list[tuple[bool, int, str]] = []
        for t in types:
            decoded, error, informative = self._decode_one(walk, t, value, path)
            if error is None:
                return decoded, None
            errors.append((informative, self._affinity(t, _json_or_none(value)) if informative else 0, error))
        errors.sort(key=lambda e: (not e[0], -e[1]))  # a parsed object's errors, from the type that fits it best
        if errors[0][0] or len(types) == 1:
            return None, errors[0][2]
        return None, f"'{path}': expected {' or '.join(types)}, got {value!r}"

    def _decode_one(self, walk: _Walk, t: str, value: str, path: str) -> tuple[Any, str | None, bool]:
        """(decoded value, error, whether the error is about the inside of a parsed JSON value)."""
        if t in _SCALARS:
            decoded, ok = _decode_scalar(walk, t, value)
            return (decoded, None, False) if ok else (None, f"'{path}': expected {t}, got {value!r}", False)
        try:
            parsed = json.loads(value)
        except ValueError:
            return None, f"'{path}': expected JSON-serialized {t}, got {value!r}", False
        errors = self.check_value(walk, [t], parsed, path)
        return (parsed, None, False) if not errors else (None, errors[0], True)

    # ---- nested values ---------------------------------------------------------------------

    def check_value(self, walk: _Walk, types: list[str], value: Any, path: str) -> list[str]:
        """Errors of a JSON value against any of `types` (empty if one fits)."""
        candidates = []
        for t in types:
            errors = self._check_one(walk, t, value, path)
            if not errors:
                return []
            candidates.append((self._affinity(t, value), len(errors), errors))
        candidates.sort(key=lambda c: (-c[0], c[1]))
        return candidates[0][2]

    def _affinity(self, type_name: str, value: Any) -> int:
        """How many of a dict's keys a type knows: picks the type whose errors to report."""
        if not isinstance(value, dict) or type_name not in self.types:
            return 0
        return len(value.keys() & self.fields_of(self.types[type_name]).keys())

    def _check_one(self, walk: _Walk, t: str, value: Any, path: str) -> list[str]:
        if t.startswith("Array of "):
            if not isinstance(value, list):
                return [f"'{path}': expected {t}, got {_short(value)}"]
            inner = t.removeprefix("Array of ")
            errors: list[str] = []
            for index, item in enumerate(value):
                errors += self.check_value(walk, [inner], item, f"{path}[{index}]")
            return errors
        if t in _SCALARS:
            return self._check_scalar(walk, t, value, path)
        spec_type = self.types.get(t)
        if spec_type is None:
            return [f"'{path}': api.json does not define type {t}"]
        if spec_type.get("subtypes"):
            return self._check_union(walk, t, spec_type["subtypes"], value, path)
        if not isinstance(value, dict):
            return [f"'{path}': expected a JSON object ({t}), got {_short(value)}"]
        return self._check_object(walk, t, spec_type, value, path)

    def _check_scalar(self, walk: _Walk, t: str, value: Any, path: str) -> list[str]:
        ok = {
            "Integer": isinstance(value, int) and not isinstance(value, bool),
            "Float": isinstance(value, int | float) and not isinstance(value, bool),
            "Boolean": isinstance(value, bool),
            "String": isinstance(value, str),
            "InputFile": isinstance(value, str) and value.startswith("attach://") and walk.attach(value) is not None,
        }[t]
        return [] if ok else [f"'{path}': expected {t}, got {_short(value)}"]

    def _check_union(self, walk: _Walk, t: str, subtypes: list[str], value: Any, path: str) -> list[str]:
        """Match the subtype its discriminator names (e.g. "type": "chat"), else any subtype that fits."""
        if isinstance(value, dict):
            for sub in subtypes:
                disc = self.discriminator(sub)
                if disc and value.get(disc[0]) == disc[1]:
                    return self._check_one(walk, sub, value, path)
            if any(self.discriminator(sub) for sub in subtypes):
                known = [d[1] for d in map(self.discriminator, subtypes) if d]
                field_name = next(d[0] for d in map(self.discriminator, subtypes) if d)
                return [f"'{path}': {t} needs {field_name} one of {known}, got {value.get(field_name)!r}"]
        return self.check_value(walk, subtypes, value, path)

    def _check_object(self, walk: _Walk, t: str, spec_type: dict, value: dict, path: str) -> list[str]:
        defs = self.fields_of(spec_type)
        if not defs:  # e.g. CallbackGame: an empty placeholder object
            return []
        prefix = f"{path}." if path else ""
        errors = [f"'{prefix}{k}': {t} has no field '{k}'" for k in value if k not in defs]
        errors += [
            f"'{prefix}{k}': required field of {t} is missing"
            for k, f in defs.items()
            if f["required"] and k not in value
        ]
        for k, v in value.items():
            if k in defs:
                errors += self.check_value(walk, defs[k]["types"], v, f"{prefix}{k}")
        if not errors:
            errors += rules.check_fields(self, t, defs, value, path)
            errors += rules.check_object(t, value, path)
        return errors

    def check_response_object(self, type_name: str, value: Any) -> list[str]:
        """Check an object the fake itself returns (used by the fake's own tests)."""
        return self.check_value(_Walk(self, "response", {}), [type_name], value, type_name)


def _decode_scalar(walk: _Walk, t: str, value: str) -> tuple[Any, bool]:
    """Decode a form string as a scalar type: (value, whether it fits)."""
    if t == "Integer":
        return (int(value), True) if _INTEGER_RE.fullmatch(value) else (None, False)
    if t == "Float":
        try:
            return float(value), True
        except ValueError:
            return None, False
    if t == "Boolean":
        return value == "true", value in ("true", "false")
    if t == "String":
        return value, True
    # InputFile given as a string: only "attach://<part>"; file_ids and URLs are the String alternative
    part = walk.attach(value) if value.startswith("attach://") else None
    return part, part is not None


def _json_or_none(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return None


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, FilePart) else f"file {value.filename!r}"
    return text if len(text) <= 60 else text[:57] + "..."


@cache
def load_spec(path: Path = API_JSON) -> Spec:
    """The parsed api.json (parsed once per process)."""
    return Spec(json.loads(path.read_text(encoding="utf-8")))
