"""For the credential tests: playing dialogues to their end through the use cases, and the
independent verifier (tests/support/verifier: Digital Bazaar's JavaScript VC libraries, run by node
offline, over the contexts Elenchus vendors)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.app.services import Services
from bot.engine import Buttons, ChoiceInput, Dialogue, Finished, Question, StanceInput, StanceQuestion

VERIFIER = Path(__file__).resolve().parent / "verifier"


def finish(services: Services, participant_id: int, dialogues: tuple[Dialogue, ...], chat: str = "9001") -> None:
    """Play each dialogue to its end: a middle rating, the first option, a reasoned answer."""
    for dialogue in dialogues:
        turn = services.dialogues.start(participant_id, dialogue, chat=chat)
        while not any(isinstance(o, Finished) for o in turn.outputs):
            asked = [o for o in turn.outputs if isinstance(o, Question | Buttons | StanceQuestion)][-1]
            if isinstance(asked, StanceQuestion):
                turn = services.dialogues.input(participant_id, turn.run_id, StanceInput(3))
            elif isinstance(asked, Buttons):
                turn = services.dialogues.input(participant_id, turn.run_id, ChoiceInput(0))
            else:
                text = "It depends on trust, because employers read the outcomes, for example in interviews."
                turn = services.dialogues.answer(participant_id, text, chat=chat)


def independent_verifier() -> list[str]:
    """The command that runs the independent verifier, or a skip with the reason it cannot run."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the independent (JavaScript) verifier cannot run")
    if not (VERIFIER / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        pytest.skip(f"the independent verifier's packages are not installed: run `npm ci` in {VERIFIER}")
    return [node, str(VERIFIER / "verify.js")]


def verify_independently(credential: dict | bytes, tmp_path: Path) -> dict:
    """{"verified": bool, "error": str | None} from the JavaScript verifier; exit code and verdict agree."""
    path = tmp_path / "credential-under-test.json"
    path.write_bytes(credential if isinstance(credential, bytes) else json.dumps(credential).encode())
    done = subprocess.run(
        [*independent_verifier(), str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    verdict = json.loads(done.stdout.strip().splitlines()[-1])
    assert (done.returncode == 0) == verdict["verified"], done.stderr
    return verdict
