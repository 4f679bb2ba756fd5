"""Rows for exports and reports, streamed from SQLite: a scope of cohorts, optionally one dialogue,
one participant, or a start date. An empty cohort list selects nothing, never everything."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from ..engine.listening import word_count
from .database import Database
from .rows import AnswerRow, InstallationRow, Progress, RunCount, RunRow, StanceRow, ValueCount

BATCH = 2000
"""Rows fetched from SQLite at a time by `lines`."""


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

    def lines(
        self,
        select: str,
        cohort_ids: Iterable[int],
        *,
        titles: Mapping[str, str],
        functions: Mapping[str, Callable[..., Any]] | None = None,
        extra: Mapping[str, str] | None = None,
        dialogue_id: str | None = None,
        participant_id: int | None = None,
        since: str | None = None,
    ) -> Iterator[list[bytes]]:
        """An export's rows as SQLite builds them: `select` is one expression over the columns below
        (reflection_id, participant_name, dialogue_title, word_count, stance_before, ...), computed
        per answer, oldest first, in batches, as UTF-8 (Python never decodes or encodes them). `titles` maps dialogue ids to their shown titles (an
        unknown dialogue shows its id); `functions` are registered on the connection first; `extra`
        adds columns (name: an SQL expression over the answer `r`, such as its comments)."""
        where, args = _scope_filter("r", cohort_ids, dialogue_id, participant_id, since, "created")
        self.db.conn.create_function("elenchus_word_count", 1, word_count, deterministic=True)
        for name, function in (functions or {}).items():
            self.db.conn.create_function(name, 1, function, deterministic=True)
        # The OFFSET keeps SQLite from flattening the inner select into the outer one, which would
        # compute a column (a stance subquery) again for every use of it in `select`.
        title = (
            "case r.dialogue_id " + " ".join("when ? then ?" for _ in titles) + " else r.dialogue_id end"
            if titles
            else "r.dialogue_id"
        )
        cursor = self.db.conn.execute(
            f"""select cast({select} as blob) from (
                select r.id as reflection_id, r.run_id, r.participant_id, p.name as participant_name,
                       r.cohort_id, c.name as cohort, r.dialogue_id, {title} as dialogue_title,
                       r.dialogue_version, r.node_id, r.question, r.answer, r.move, r.probe,
                       coalesce(r.word_count, elenchus_word_count(r.answer)) as word_count,
                       r.created, r.edited, r.group_session_id as group_session,
                       {_stance_columns("r.run_id")}{"".join(f", {sql} as {name}" for name, sql in (extra or {}).items())}
                from reflections r join participants p on p.id = r.participant_id
                left join cohorts c on c.id = r.cohort_id
                where {where} order by r.id limit -1 offset 0)""",
            [value for pair in titles.items() for value in pair] + args,
        )
        while batch := cursor.fetchmany(BATCH):
            yield [line for (line,) in batch]

    # ---- the cohort overview, in aggregates: its memory does not grow with the answers ---------

    def run_counts(self, cohort_ids: Iterable[int]) -> list[RunCount]:
        """Per dialogue: participants with a run of it, and those who finished it at least once."""
        where, args = _scope_filter("u", cohort_ids, None, None, None, "started")
        return self.db.rows(
            RunCount,
            f"""select u.dialogue_id, count(distinct u.participant_id) as started,
                       count(distinct case when u.status = 'finished' then u.participant_id end) as finished
                from runs u where {where} group by u.dialogue_id""",
            args,
        )

    def word_counts(self, cohort_ids: Iterable[int]) -> list[ValueCount]:
        """Per dialogue and word count: how many answers have that many words (from the index on
        cohort, dialogue and word count; an answer stored without its count is counted here)."""
        where, args = _scope_filter("r", cohort_ids, None, None, None, "created")
        counted = self.db.rows(
            ValueCount,
            f"""select r.dialogue_id, r.word_count as value, count(*) as n from reflections r
                where {where} and r.word_count is not null group by 1, 2""",
            args,
        )
        missing = self.db.execute(
            f"select r.dialogue_id, r.answer from reflections r where {where} and r.word_count is null", args
        )
        extra: dict[tuple[str, int], int] = {}
        for dialogue_id, answer in missing:
            key = (dialogue_id, word_count(answer))
            extra[key] = extra.get(key, 0) + 1
        return counted + [ValueCount(d, v, n) for (d, v), n in extra.items()]

    def latest_stances(self, cohort_ids: Iterable[int], phase: str) -> list[ValueCount]:
        """Per dialogue and rating: how many participants gave it in their latest run of the
        dialogue that has a rating of this phase (each run's own latest rating of the phase)."""
        where, args = _scope_filter("u", cohort_ids, None, None, None, "started")
        return self.db.rows(
            ValueCount,
            f"""with rated as (
                    select u.dialogue_id, u.participant_id, u.id as run_id,
                           (select value from stances s where s.run_id = u.id and s.phase = ?
                            order by s.id desc limit 1) as value
                    from runs u where {where}),
                latest as (
                    select dialogue_id, value, max(run_id) from rated where value is not null
                    group by dialogue_id, participant_id)
                select dialogue_id, value, count(*) as n from latest group by dialogue_id, value""",
            [phase, *args],
        )

    def progress(self, cohort_ids: Iterable[int]) -> Iterator[Progress]:
        """Per participant and dialogue they have a run of: whether they finished it once."""
        where, args = _scope_filter("u", cohort_ids, None, None, None, "started")
        yield from self.db.iter_rows(
            Progress,
            f"""select u.participant_id, p.name as participant_name, u.dialogue_id,
                       max(u.status = 'finished') as finished
                from runs u join participants p on p.id = u.participant_id
                where {where} group by u.participant_id, u.dialogue_id""",
            args,
        )

    def answer_count(self, cohort_ids: Iterable[int]) -> int:
        where, args = _scope_filter("r", cohort_ids, None, None, None, "created")
        return self.db.count(f"reflections r where {where}", args)

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
