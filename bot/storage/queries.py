"""Rows for exports and reports, streamed from SQLite: a scope of cohorts, optionally one dialogue,
one participant, or a start date. An empty cohort list selects nothing, never everything."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .database import Database
from .rows import AnswerRow, InstallationRow, RunRow, StanceRow


def _stance_columns(run_id: str) -> str:
    """SQL columns stance_before and stance_after: a run's latest rating in each phase."""
    return ", ".join(
        f"(select value from stances s where s.run_id = {run_id} and s.phase = '{phase}' "
        f"order by s.id desc limit 1) as stance_{phase}"
        for phase in ("before", "after")
    )


def _run_locale(run: str) -> str:
    """SQL: the language a run was played in; a group member's run has the group session's."""
    return (
        f"coalesce(json_extract({run}.state, '$.locale'), (select json_extract(g.state, '$.locale') "
        f"from group_sessions g where g.id = {run}.group_session_id))"
    )


class ExportQueries:
    def __init__(self, db: Database):
        self.db = db

    def answers(
        self,
        cohort_ids: Iterable[int],
        *,
        dialogue_id: str | None = None,
        participant_id: int | None = None,
        since: str | None = None,
        with_locale: bool = False,
    ) -> Iterator[AnswerRow]:
        """Answers written for these cohorts, oldest first, with what an export row needs; lazily.

        with_locale adds the language of each answer's run and when the run began (xAPI needs
        them); that reads the run's state, which costs about a tenth of the query's time, so the
        other formats go without."""
        where, args = _scope_filter("r", cohort_ids, dialogue_id, participant_id, since, "created")
        run = "(select {} from runs x where x.id = r.run_id)"
        locale, started = (run.format(_run_locale("x")), run.format("x.started")) if with_locale else ("null", "null")
        yield from self.db.iter_rows(
            AnswerRow,
            f"""select r.id as reflection_id, r.run_id, r.participant_id, p.name as participant_name,
                       r.cohort_id, c.name as cohort, r.dialogue_id, r.dialogue_version, r.node_id, r.question,
                       r.answer, r.move, r.probe, r.created, r.edited, r.group_session_id as group_session,
                       {_stance_columns("r.run_id")},
                       {locale} as locale, {started} as run_started, p.created as participant_since
                from reflections r join participants p on p.id = r.participant_id
                left join cohorts c on c.id = r.cohort_id
                where {where} order by r.id""",
            args,
        )

    def runs(
        self,
        cohort_ids: Iterable[int],
        *,
        dialogue_id: str | None = None,
        participant_id: int | None = None,
        since: str | None = None,
    ) -> Iterator[RunRow]:
        where, args = _scope_filter("u", cohort_ids, dialogue_id, participant_id, since, "started")
        yield from self._runs(where, args)

    def stances(
        self,
        cohort_ids: Iterable[int],
        *,
        dialogue_id: str | None = None,
        participant_id: int | None = None,
        since: str | None = None,
    ) -> Iterator[StanceRow]:
        """Every rating given for these cohorts, oldest first, finished run or not."""
        where, args = _scope_filter("s", cohort_ids, dialogue_id, participant_id, since, "created")
        yield from self.db.iter_rows(
            StanceRow,
            f"""select s.id as stance_id, s.run_id, s.participant_id, s.cohort_id, c.name as cohort, s.dialogue_id,
                       u.dialogue_version, s.phase, s.claim, s.value, s.created,
                       {_run_locale("u")} as locale, u.started as run_started, p.created as participant_since
                from stances s join runs u on u.id = s.run_id join participants p on p.id = s.participant_id
                left join cohorts c on c.id = s.cohort_id
                where {where} order by s.id""",
            args,
        )

    def installation(self) -> InstallationRow:
        """This installation's id and pseudonym secret (schema.py makes them once)."""
        row = self.db.one(InstallationRow, "select uuid, secret, created from installation where id = 1")
        if row is None:
            raise RuntimeError("the installation row is missing: the database was changed by hand")
        return row

    def group_runs(self, session_id: int) -> Iterator[RunRow]:
        """The members' runs of one group session."""
        yield from self._runs("u.group_session_id = ?", [session_id])

    def _runs(self, where: str, args: list[Any]) -> Iterator[RunRow]:
        yield from self.db.iter_rows(
            RunRow,
            f"""select u.id as run_id, u.participant_id, p.name as participant_name, u.cohort_id,
                       c.name as cohort, u.dialogue_id, u.status, u.started, u.finished,
                       {_stance_columns("u.id")}, {_run_locale("u")} as locale,
                       p.created as participant_since
                from runs u join participants p on p.id = u.participant_id
                left join cohorts c on c.id = u.cohort_id
                where {where} order by u.id""",
            args,
        )


def _scope_filter(
    alias: str,
    cohort_ids: Iterable[int],
    dialogue_id: str | None,
    participant_id: int | None,
    since: str | None,
    time_column: str,
) -> tuple[str, list[Any]]:
    ids = [int(i) for i in cohort_ids]
    clauses = [f"{alias}.cohort_id in ({', '.join('?' * len(ids))})" if ids else "0"]
    args: list[Any] = list(ids)
    for column, value in (("dialogue_id", dialogue_id), ("participant_id", participant_id)):
        if value is not None:
            clauses.append(f"{alias}.{column} = ?")
            args.append(value)
    if since is not None:
        clauses.append(f"{alias}.{time_column} >= ?")
        args.append(since)
    return " and ".join(clauses), args
