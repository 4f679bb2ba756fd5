"""`elenchus badge verify FILE` checks a credential; `elenchus badge issue` makes one for a
terminal-mode participant who has finished the course (Telegram participants send /badge)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from ..config import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    badge = sub.add_parser("badge", help="verify an Open Badges 3.0 credential, or issue one in terminal mode")
    actions = badge.add_subparsers(dest="action", required=True)
    verify = actions.add_parser("verify", help="check a credential's signature (exit 0 valid, 1 not)")
    verify.add_argument("file", type=Path)
    picture = actions.add_parser("card", help="draw a credential's summary as a PNG")
    picture.add_argument("file", type=Path)
    picture.add_argument("-o", "--output", type=Path, required=True)
    picture.add_argument("--lang", default="en", help="en or de (the labels)")
    issue = actions.add_parser("issue", help="the credential of a terminal-mode participant who finished")
    issue.add_argument("--user", help="whose (the --user of `elenchus play`; default: your login name)")
    issue.add_argument("--name", help="the name to appear on it (default: none, an identifier only)")
    issue.add_argument("--lang", default="en", help="en or de")
    issue.add_argument("-o", "--output", type=Path, help="file to write (default: elenchus-badge-DATE.json)")


def verify_file(path: Path) -> int:
    from ..app.credentials import verify

    try:
        credential = json.loads(path.read_bytes())
    except OSError as exc:
        print(f"elenchus: cannot read {path}: {exc.strerror}.", file=sys.stderr)
        return 1
    except (ValueError, UnicodeDecodeError):
        print(f"invalid: {path} is not JSON.")
        return 1
    verdict = verify(credential)
    if not verdict.ok:
        print(f"invalid: {verdict.reason}")
        return 1
    name = credential.get("name", "")
    print(f"valid: “{name}”, issued {credential.get('validFrom', '?')}, {verdict.reason}")
    return 0


def draw_card(args: argparse.Namespace, prompts) -> int:
    from ..credentials import card

    credential = json.loads(args.file.read_bytes())
    args.output.write_bytes(card.render(credential, lambda key, **values: prompts.t(key, args.lang, **values)))
    print(args.output)
    return 0


def issue(args: argparse.Namespace, settings: Settings, course) -> int:
    from ..app.credentials import IssuerConfig, NotYet
    from ..app.services import Services
    from ..clock import utc_now
    from ..terminal import PLATFORM

    services = Services.open(settings.db, course)
    try:
        person = services.participants.identify(PLATFORM, args.user or getpass.getuser())
        now = utc_now()
        result = services.credentials(IssuerConfig.from_settings(settings)).issue(person.id, args.lang, args.name, now)
    finally:
        services.close()
    if isinstance(result, NotYet):
        print("elenchus: not yet: finish " + ", ".join(d.id for d in result.missing) + " first.", file=sys.stderr)
        return 1
    output = args.output or Path(f"elenchus-badge-{now[:10]}.json")
    output.write_text(json.dumps(result.credential, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(output)
    return 0
