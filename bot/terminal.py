"""The terminal shell: play dialogues on stdin/stdout, stored like any other participant.

Works with piped input, so it is scriptable: each line is one answer, choice or command.
End of input, Ctrl-C or /quit stop and keep the place; the next `elenchus play` resumes it.
/portfolio writes the portfolio's files (Markdown, HTML, PDF, Leap2A) next to the database,
/mydata everything stored about the participant as JSON, and /forget erases it after a "yes".
"""

from __future__ import annotations

import getpass
import textwrap
from pathlib import Path
from typing import TextIO

from .app.services import Services
from .clock import utc_now
from .content.keys import MENU_KEYS, MENU_MARKS, PHASE_KEYS, cite_names, notice_key, reference
from .content.prompts import Prompts
from .engine import (
    Buttons,
    ChoiceInput,
    Dialogue,
    Message,
    Notice,
    Output,
    Progress,
    Question,
    Recap,
    StanceInput,
    StanceQuestion,
    TextInput,
)
from .engine.step import localize

PLATFORM = "terminal"
CONSENT_VERSION = "terminal-local"
WIDTH = 78
BLOCK = '"""'
"""A line of its own that starts and ends an answer of several lines."""


DATA_COMMANDS = {"/portfolio": "portfolio", "/mydata": "mydata", "/forget": "forget"}


class _Quit(Exception):
    pass


class _Menu(Exception):
    pass


class _Forgotten(Exception):
    pass


class Terminal:
    def __init__(
        self,
        services: Services,
        prompts: Prompts,
        stdin: TextIO,
        stdout: TextIO,
        *,
        locale: str = "en",
        user: str | None = None,
        db_label: str = "",
        out_dir: Path | None = None,
        templates: Path | None = None,
    ):
        self.services, self.service, self.prompts = services, services.dialogues, prompts
        self.stdin, self.stdout = stdin, stdout
        self.locale = locale
        self.db_label = db_label
        self.user = user or getpass.getuser()
        self.out_dir = out_dir or Path.cwd()
        """Where /portfolio and /mydata write their files (the database's folder)."""
        self.templates = templates
        self.echo = not _is_tty(stdin)
        """Piped input is not shown by the terminal, so echo it for a readable transcript."""
        self.participant = self._identify()

    def _identify(self) -> int:
        """The participant of this login; the terminal's consent is running it on one's own computer."""
        person = self.services.participants.identify(PLATFORM, self.user, locale=self.locale)
        if not person.consents:
            self.services.participants.decide(person.id, CONSENT_VERSION, True)
        return person.id

    # ---- I/O ------------------------------------------------------------------------------

    def t(self, key: str, **values) -> str:
        return self.prompts.t(key, self.locale, **values)

    def say(self, text: str = "", indent: str = "", hang: str | None = None) -> None:
        """Wrapped to WIDTH; `hang` indents the lines after a paragraph's first (a menu entry's)."""
        for paragraph in text.split("\n"):
            rest = indent if hang is None else hang
            lines = textwrap.wrap(paragraph, WIDTH, initial_indent=indent, subsequent_indent=rest) or [""]
            self.stdout.write("\n".join(lines) + "\n")
        self.stdout.flush()

    def ask(self, prompt: str) -> str:
        """One line of input; raises _Quit at end of input or on /quit, _Menu on /menu."""
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            self.stdout.write("\n")
            raise _Quit
        line = line.rstrip("\r\n")
        if self.echo:
            self.stdout.write(line + "\n")
        command = line.strip().lower()
        if command in ("/quit", "/exit", "/q"):
            raise _Quit
        if command == "/menu":
            raise _Menu
        if command == "/help":
            self.say(self.t("terminal.help"))
            return self.ask(prompt)
        if command in DATA_COMMANDS:
            getattr(self, DATA_COMMANDS[command])()
            return self.ask(prompt)
        return line

    # ---- the participant's data -----------------------------------------------------------

    def _stem(self, kind: str) -> str:
        from .exports.bundle import safe_stem

        return f"elenchus-{kind}-{safe_stem(self.user)}-{utc_now()[:10]}"

    def _written(self) -> list[Path]:
        """The files /portfolio and /mydata wrote for this login in the output folder."""
        from .exports.bundle import safe_stem

        user = safe_stem(self.user)
        return [p for kind in ("portfolio", "mydata") for p in self.out_dir.glob(f"elenchus-{kind}-{user}-*")]

    def portfolio(self) -> None:
        from .exports import documents, leap2a, pdf

        entries = self.services.rights.portfolio(self.participant, self.locale)
        if not entries:
            self.say(self.t("chat.portfolio_empty"))
            return
        files = documents.portfolio_files(
            self.user,
            entries,
            self.t,
            utc_now(),
            stem=self._stem("portfolio"),
            lang=self.locale,
            feed_id=leap2a.feed_id_for("terminal", self.participant),
            templates=self.templates,
        )
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.say(self.t("terminal.portfolio_written"))
        for file in files:
            path = self.out_dir / file.name
            path.write_bytes(file.data)
            self.stdout.write(f"  {path}\n")
        if (reason := pdf.unavailable()) is not None:
            self.say(self.t("terminal.no_pdf", reason=reason), indent="  ")

    def mydata(self) -> None:
        from .exports import personal

        path = self.out_dir / f"{self._stem('mydata')}.json"
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(personal.to_json(self.services.rights.everything(self.participant), utc_now()), "utf-8")
        self.say(self.t("terminal.mydata_written"))
        self.stdout.write(f"  {path}\n")

    def forget(self) -> None:
        self.stdout.write(self.t("terminal.forget_confirm", db=self.db_label))
        self.stdout.flush()
        line = self.stdin.readline()
        if self.echo:
            self.stdout.write(line if line.endswith("\n") else line + "\n")
        if line.strip().casefold() != self.t("terminal.forget_word").casefold():
            self.say(self.t("chat.forget_cancelled"))
            return
        counts = self.services.rights.forget(self.participant)
        for written in self._written():
            written.unlink(missing_ok=True)
        self.say(self.t("chat.forgotten", **counts))
        raise _Forgotten  # ends the session: carrying on would store this login again at once

    # ---- flow -----------------------------------------------------------------------------

    def run(self, dialogue_id: str | None = None) -> int:
        self.say(f"{self.t('app.name')}: {self.t('app.tagline')}")
        self.say(self.t("terminal.welcome", db=self.db_label))
        try:
            first = self._first_dialogue(dialogue_id)
            if first is False:
                return 2
            if first is not None:
                self._play(first)
            while True:
                self._play(self._pick())
        except _Forgotten:
            return 0
        except (_Quit, KeyboardInterrupt, EOFError):
            self.say()
            self.say(self.t("terminal.bye"))
            return 0

    def _first_dialogue(self, dialogue_id: str | None) -> Dialogue | bool | None:
        if dialogue_id is None:
            return self.service.current_dialogue(self.participant)
        dialogue = self.service.dialogue(dialogue_id)
        if dialogue is None:
            names = ", ".join(d.id for d in self.service.course.dialogues)
            self.say(self.t("terminal.unknown_dialogue", name=dialogue_id, names=names))
            return False
        return dialogue

    def _pick(self) -> Dialogue:
        entries = self.service.menu(self.participant)
        self.say()
        self.say(self.t("menu.title", minutes=self.service.course.minutes))
        for number, entry in enumerate(entries, start=1):
            title = localize(entry.dialogue.title, self.locale)
            line = self.t(
                MENU_KEYS[entry.status], title=title, minutes=entry.dialogue.minutes, step=entry.step, total=entry.total
            )
            self.say(f"{number:>3}. {MENU_MARKS[entry.status]} {line}", hang=" " * 7)
        while True:
            try:
                choice = self.ask(self.t("terminal.pick")).strip()
            except _Menu:
                continue
            if choice.isdigit() and 1 <= int(choice) <= len(entries):
                return entries[int(choice) - 1].dialogue
            by_id = self.service.dialogue(choice)
            if by_id is not None:
                return by_id
            self.say(self.t("terminal.pick_invalid", choice=choice))

    def _play(self, dialogue: Dialogue) -> None:
        turn = self.service.open(self.participant, dialogue, locale=self.locale)
        self.say()
        title = localize(dialogue.title, self.locale)
        if turn.started:
            self.say(self.t("dialogue.intro", title=title, summary=localize(dialogue.summary, self.locale)))
        else:
            self.say(self.t("terminal.resuming", title=title))
        pending = self._show(turn.outputs)
        try:
            while pending is not None:
                turn = self.service.input(self.participant, turn.run_id, self._read(pending))
                pending = self._show(turn.outputs) or pending
                if turn.state.finished:
                    return
        except _Menu:
            return

    def _read(self, pending: Output):
        if isinstance(pending, Buttons):
            raw = self.ask(self.t("terminal.choose_prompt", count=len(pending.options))).strip()
            return ChoiceInput(int(raw) - 1 if raw.isdigit() else -1)
        if isinstance(pending, StanceQuestion):
            raw = self.ask(self.t("terminal.stance_prompt")).strip()
            return StanceInput(int(raw) if raw.isdigit() else 0)
        return TextInput(self._answer(self.ask(self.t("terminal.answer_prompt"))))

    def _answer(self, first: str) -> str:
        """One line, or several between two lines of three double quotes (\"\"\"), so an answer can
        have paragraphs while piped input stays one line per answer."""
        if first.strip() != BLOCK:
            return first
        lines = []
        while (line := self.ask("  ")).strip() != BLOCK:
            lines.append(line)
        return "\n".join(lines)

    # ---- rendering ------------------------------------------------------------------------

    def _show(self, outputs: list[Output]) -> Output | None:
        """Print outputs; return the step now waiting for input, if any."""
        pending = None
        for output in outputs:
            if isinstance(output, Message):
                self.say()
                self.say(output.text)
                self._cite(output.sources)
            elif isinstance(output, Progress):
                self.say()
                self.say(f"[{self.t('dialogue.progress', step=output.step, total=output.total)}]")
            elif isinstance(output, Question):
                if output.probe:
                    self.say()
                    self.say(self.t("dialogue.probe"))
                self.say(output.text)
                self._cite(output.sources)
                pending = output
            elif isinstance(output, Buttons):
                self.say(output.text)
                self._cite(output.sources)
                for number, label in enumerate(output.options, start=1):
                    self.say(f"  {number}) {label}")
                pending = output
            elif isinstance(output, StanceQuestion):
                self.say(self.t(PHASE_KEYS[output.phase]))
                self.say(self.t("terminal.claim", claim=output.claim), indent="  ")
                self.say(self.t("stance.scale"), indent="  ")
                pending = output
            elif isinstance(output, Recap):
                self._recap(output)
            elif isinstance(output, Notice):
                self.say(self.t(notice_key(output)))
        return pending

    def _cite(self, sources) -> None:
        if sources:
            self.say(self.t("dialogue.cite", names=cite_names(sources)), indent="  ")

    def _recap(self, recap: Recap) -> None:
        dash = self.t("recap.no_stance")
        self.say()
        self.say(f"== {self.t('recap.title')} ==")
        self.say(self.t("recap.claim", claim=recap.claim))
        self.say(self.t("recap.shift", before=recap.before or dash, after=recap.after or dash))
        if recap.choices:
            self.say(self.t("recap.chosen", choices=", ".join(recap.choices)))
        self.say()
        self.say(self.t("recap.answers"))
        for item in recap.items:
            self.say()
            heading = f"{self.t('recap.followup')}: {item.question}" if item.probe else item.title or item.question
            self.say(heading, indent="  ")
            for line in item.answer.splitlines() or [""]:
                self.say(line, indent="  » ")
        self.say()
        self.say(self.t("recap.sources"))
        for source in recap.sources:
            self.say(reference(source), indent="  ")
        self.say()
        self.say(self.t("recap.kept"))


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
