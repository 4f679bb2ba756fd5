"""Running the command line (`python -m bot ...`) as a separate process, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .content import ROOT


def run_cli(*args: str, cwd: Path = ROOT, env: dict | None = None, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **(env or {})},
        timeout=60,
    )
