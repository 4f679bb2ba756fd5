"""Which cohort a group session counts for, without Telegram: the binding rules, members only, the
join notice once, and the control message's count edited only when it changes."""

from __future__ import annotations

import pytest

from bot.app.group_sessions import Counting, Starter
from bot.engine import Question
from bot.telegram import group_render

from ..support.prompts import t

THICK = "It matters because employers read the outcomes, for example in interviews."
CHAT = "-100"


@pytest.fixture
def x(storage):
    return storage.cohorts.create("MC-X", "cli:test")


@pytest.fixture
def y(storage):
    return storage.cohorts.create("MC-Y", "cli:test")


def person(storage, name: str, cohort=None, consent: bool = True) -> int:
    pid = storage.participants.get_or_create("telegram", name, name=name).id
    if consent:
        storage.participants.record_consent(pid, "3-en", True)
    if cohort is not None:
        storage.cohorts.join(cohort.id, pid)
    return pid


def facilitator(cohorts, group_admin: bool = False) -> Starter:
    return Starter(50, administrator=False, group_admin=group_admin, cohorts=tuple(cohorts))


def administrator(x, y, group_admin: bool = False) -> Starter:
    return Starter(60, administrator=True, group_admin=group_admin, cohorts=(x, y))


GROUP_ADMIN = Starter(70, administrator=False, group_admin=True, cohorts=())
MEMBER = Starter(80, administrator=False, group_admin=False, cohorts=())


def test_in_an_unbound_group_only_a_group_admin_facilitator_or_an_administrator_binds(sessions, x, y):
    assert sessions.counting_for(CHAT, facilitator([x]), None) == Counting(problem="group.bind_needs_admin")
    assert sessions.counting_for(CHAT, facilitator([x]), "MC-X") == Counting(problem="group.bind_needs_admin")
    assert sessions.counting_for(CHAT, facilitator([x], group_admin=True), None) == Counting(x, binds=True)
    assert sessions.counting_for(CHAT, facilitator([x], group_admin=True), "mc-x") == Counting(x, binds=True)
    assert sessions.counting_for(CHAT, facilitator([x], True), "MC-Y") == Counting(problem="staff.unknown_cohort")
    assert sessions.counting_for(CHAT, facilitator([x, y], True), None) == Counting(problem="group.name_cohort")
    assert sessions.counting_for(CHAT, administrator(x, y), "MC-Y") == Counting(y, binds=True)
    assert sessions.counting_for(CHAT, administrator(x, y), None) == Counting(problem="group.name_cohort")
    assert sessions.counting_for(CHAT, GROUP_ADMIN, None) == Counting(), "the group's own admin: no cohort"
    assert sessions.counting_for(CHAT, GROUP_ADMIN, "MC-X") == Counting(problem="staff.unknown_cohort")
    assert sessions.counting_for(CHAT, MEMBER, None) == Counting(problem="group.only_steerers")
    assert sessions.counting_for(CHAT, MEMBER, "MC-X") == Counting(problem="group.only_steerers")


def test_a_bound_group_counts_only_for_its_cohort(sessions, storage, mini, x, y):
    session, _ = sessions.start(CHAT, None, mini, x.id, started_by=50, binds=True)
    assert storage.groups.binding(CHAT).cohort_id == x.id and storage.groups.binding(CHAT).bound_by == 50
    storage.groups.end(session.id)
    assert sessions.counting_for(CHAT, facilitator([x]), None) == Counting(x), "no longer needs to be group admin"
    assert sessions.counting_for(CHAT, facilitator([x, y]), None) == Counting(x), "the group says which"
    assert sessions.counting_for(CHAT, facilitator([y], True), "MC-Y") == Counting(problem="group.bound_elsewhere")
    assert sessions.counting_for(CHAT, facilitator([y], True), None) == Counting(), "as group admin: no cohort"
    assert sessions.counting_for(CHAT, facilitator([y]), None) == Counting(problem="group.only_steerers")
    assert sessions.counting_for(CHAT, administrator(x, y), "MC-Y") == Counting(problem="group.bound_elsewhere")
    assert sessions.counting_for(CHAT, administrator(x, y), None) == Counting(x)
    assert sessions.counting_for("-200", facilitator([y]), None) == Counting(problem="group.bind_needs_admin")


def test_binding_once_unbinding_and_moving_to_a_supergroup(sessions, storage, mini, x, y):
    assert sessions.unbind(CHAT) == ("group.not_bound", None)
    session, _ = sessions.start(CHAT, None, mini, x.id, started_by=50, binds=True)
    assert storage.groups.bind(CHAT, y.id, 51).cohort_id == x.id, "a bound group is not rebound"
    with pytest.raises(ValueError):
        sessions.start(CHAT, 7, mini, y.id, started_by=51, binds=True)
    assert sessions.unbind(CHAT) == ("group.unbind_running", x)
    sessions.move_chat(CHAT, "-1009")
    assert sessions.bound_cohort("-1009") == x and sessions.bound_cohort(CHAT) is None
    storage.groups.end(session.id)
    assert sessions.unbind("-1009") == ("group.unbound", x)
    assert sessions.bound_cohort("-1009") is None


def at_first_question(sessions, mini, cohort_id):
    session, _ = sessions.start(CHAT, None, mini, cohort_id, started_by=50, binds=cohort_id is not None)
    session, outputs = sessions.next(session)
    question = next(o for o in outputs if isinstance(o, Question))
    sessions.posted(
        session.id, session.chat, 10, "question", node_id=question.node, question=question.text, move=question.move
    )
    return session, sessions.asked_by(CHAT, 10)[1]


def test_only_the_cohorts_members_answers_and_votes_are_kept(sessions, storage, mini, x, y):
    session, _ = sessions.start(CHAT, None, mini, x.id, started_by=50, binds=True)
    sessions.posted(
        session.id,
        session.chat,
        20,
        "poll",
        node_id="before",
        poll_id="p1",
        phase="before",
        question="Tests are useful.",
    )
    ada, yan, out = person(storage, "ada", x), person(storage, "yan", y), person(storage, "out")
    _, poll = sessions.poll("p1")
    assert sessions.vote(session, poll, ada, [1])
    assert not sessions.vote(session, poll, yan, [1]) and not sessions.vote(session, poll, out, [2])
    session, _ = sessions.next(session)
    sessions.posted(session.id, session.chat, 10, "question", node_id="q1", question="Why?", move="clarification")
    _, asked = sessions.asked_by(CHAT, 10)
    assert sessions.answer(session, asked, ada, THICK, (CHAT, 11)).stored
    refused = sessions.answer(session, asked, yan, THICK, (CHAT, 12))
    assert not refused.stored and refused.needs_membership and not refused.needs_consent
    assert storage.runs.reflections(yan) == [] and storage.runs.stances(yan) == [] and storage.runs.of(yan) == []
    rows = storage.db.query("select participant_id, cohort_id from reflections")
    assert [(r["participant_id"], r["cohort_id"]) for r in rows] == [(ada, x.id)]
    assert [s["participant_id"] for s in storage.db.query("select participant_id from stances")] == [ada]


def test_the_join_notice_is_due_once_per_session_and_only_to_outsiders(sessions, storage, mini, x):
    session, _asked = at_first_question(sessions, mini, x.id)
    ada, out = person(storage, "ada", x), person(storage, "out", consent=False)
    assert sessions.join_notice_due(session, ada) is None
    assert sessions.join_notice_due(session, out) == x
    sessions.posted(session.id, session.chat, 12, "join", participant_id=out)
    assert sessions.join_notice_due(session, out) is None
    free, _ = sessions.start("-300", None, mini, None, started_by=70)
    assert not sessions.outsider(free, out), "a session for no cohort has no outsiders"
    assert sessions.join_notice_due(free, out) is None


def test_the_control_message_is_edited_only_when_its_count_changes(sessions, storage, mini, x):
    session, asked = at_first_question(sessions, mini, x.id)
    assert sessions.count_to_show(session) is None, "no control message yet"
    sessions.set_control(session.id, 30, count=0)
    session = sessions.get(session.id)
    assert sessions.count_to_show(session) is None, "0 answers: shown already"
    ada, bob = person(storage, "ada", x), person(storage, "bob", x)
    sessions.answer(session, asked, ada, "yes", (CHAT, 11))
    assert sessions.count_to_show(session) == 1
    sessions.shown_count(session, 1)
    session = sessions.get(session.id)
    sessions.posted(
        session.id,
        session.chat,
        12,
        "probe",
        node_id="q1",
        participant_id=ada,
        question="Say more?",
        move="clarification",
    )
    _, probe = sessions.asked_by(CHAT, 12)
    assert sessions.answer(session, probe, ada, THICK, (CHAT, 13)).stored
    assert sessions.count_to_show(session) is None, "a follow-up is not counted: nothing to change"
    sessions.answer(session, asked, bob, THICK, (CHAT, 14))
    assert sessions.count_to_show(session) == 2
    sessions.set_control(session.id, None, count=None)
    assert sessions.count_to_show(sessions.get(session.id)) is None, "retired: never edited again"


def test_the_join_notice_as_data():
    with_link = group_render.join_notice("Yan <3", 7, "MC-X", "https://t.me/b?start=j1", 42, t)
    assert with_link.text == "group.join_needed|cohort=MC-X|name=Yan &lt;3"
    assert [(b.label, b.url) for row in with_link.keyboard for b in row] == [
        ("group.join_button|cohort=MC-X", "https://t.me/b?start=j1")
    ]
    assert with_link.reply_to == 42 and with_link.record.kind == "join" and with_link.record.participant == 7
    closed = group_render.join_notice("Yan", 7, "MC-X", None, None, t)
    assert closed.text == "group.join_closed|cohort=MC-X|name=Yan" and closed.keyboard == ()
    assert closed.reply_to is None and closed.record.kind == "join"
