"""Learning Locker's xAPI statement validator (npm @learninglocker/xapi-validation), run with Node.

It is an independent judge of the xAPI export: Learning Locker validates every statement it
receives with it. .ci/run installs it into tests/support/xapi_validator/node_modules (`npm ci`);
where Node or the package is missing, the tests that need it are skipped and say why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "xapi_validator"
SCRIPT = HERE / "validate.js"
PACKAGE = HERE / "node_modules" / "@learninglocker" / "xapi-validation"


def missing() -> str | None:
    """Why the validator cannot run here, or None."""
    if shutil.which("node") is None:
        return "Node.js is not installed, so Learning Locker's xAPI validator cannot run"
    if not PACKAGE.is_dir():
        return f"@learninglocker/xapi-validation is not installed: run `npm ci --prefix {HERE}`"
    return None


needs_validator = pytest.mark.skipif(missing() is not None, reason=missing() or "")


def problems(statements: list[dict]) -> list[list[str]]:
    """For each statement, the problems the validator finds (an empty list for a valid one)."""
    done = subprocess.run(
        ["node", str(SCRIPT)],
        input=json.dumps(statements, ensure_ascii=False),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(done.stdout)
    assert len(found) == len(statements)
    return found
