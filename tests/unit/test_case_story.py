"""A case's story as typed facts: handoff states, what is owed and when, alerts, the timeline."""

from __future__ import annotations

from datetime import UTC, datetime

from console.cases.changes import NEXT_SHIFT, apply_change, new_change, new_id
from console.cases.story import (
    RETYPE_NOTE,
    EventKind,
    HandoffState,
    alerts,
    case_overdue,
    case_owed_at,
    handoffs,
    outstanding_mandated_steps,
    pending_handoff_to,
    timeline,
    waiting_for,
)

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
PAST, LATER = "2026-11-24T12:00:00+00:00", "2026-11-25T12:00:00+00:00"


def handed(sender: str, receiver: str, at: str, **more: object) -> dict:
    return {"id": new_id(), "from_user": sender, "to_user": receiver, "note": "",
            "created_at": at, "acknowledged_at": None, "acknowledged_by": None, **more}


def case_with(**fields: object) -> dict:
    return {"id": "c1", "created_at": "2026-11-24T10:00:00Z", "created_by": "dana",
            "status": "open", "assigned_to": "dana", **fields}


def test_a_handoff_overtaken_by_a_later_one_names_it_and_one_that_lost_names_the_holder() -> None:
    case_id = new_id()
    case = apply_change(None, new_change("create", case_id, {"call_type": "crisis"}), "dana").case
    for receiver in ("tom", "lee"):
        case = apply_change(case, new_change("hand_off", case_id, {
            "id": new_id(), "to_user": receiver, "from_assignee": case["assigned_to"]}),
            case["assigned_to"]).case
    # Tom hands the case on to Lee without answering Dana's handoff, which is so overtaken; a
    # handoff Dana made to Erin while she thought Tom held the case then loses its race.
    case = apply_change(case, new_change("hand_off", case_id, {
        "id": new_id(), "to_user": "erin", "from_assignee": "tom"}), "dana").case

    first, second, third = handoffs(case)
    assert first.state == HandoffState.OVERTAKEN
    assert (first.overtaken_by.from_user, first.overtaken_by.to_user) == ("tom", "lee")
    assert second.state == HandoffState.PENDING
    assert (third.state, third.holder) == (HandoffState.LOST, "lee")
    assert pending_handoff_to(case) == "lee"
    assert waiting_for(case, "lee") == second
    assert waiting_for(case, "tom") is None


def test_older_handoffs_without_a_state_are_accepted_or_pending() -> None:
    case = case_with(assigned_to="erin", handoffs=[
        handed("dana", "carol", PAST, acknowledged_at=PAST, acknowledged_by="carol"),
        handed("carol", "erin", LATER)])
    accepted, waiting = handoffs(case)
    assert (accepted.state, accepted.answered_by) == (HandoffState.ACCEPTED, "carol")
    assert waiting.state == HandoffState.PENDING
    assert waiting_for(case, "erin") == waiting


def test_the_next_shifts_queue_waits_for_anyone_while_the_case_is_in_it() -> None:
    case = case_with(assigned_to=NEXT_SHIFT, handoffs=[handed("dana", NEXT_SHIFT, PAST)])
    assert waiting_for(case, "lee").to_queue
    assert waiting_for({**case, "assigned_to": "lee"}, "lee") is None


def test_overdue_counts_open_tasks_and_stops_when_referred_or_closed() -> None:
    task = {"id": "t1", "text": "Call back", "due_at": PAST, "done_at": None}
    on_time = case_with(due_at=LATER, tasks=[{**task, "due_at": LATER}])
    late_task = case_with(due_at=LATER, tasks=[task])
    assert not case_overdue(on_time, NOW)
    assert case_overdue(late_task, NOW)  # the case's own response is not late; its task is
    assert case_owed_at(late_task) == "2026-11-24T12:00:00.000+00:00"
    assert case_overdue({**late_task, "status": "referred", "due_at": PAST}, NOW)
    assert not case_overdue({**on_time, "status": "referred", "due_at": PAST}, NOW)
    assert not case_overdue({**late_task, "status": "closed"}, NOW)
    done = {**task, "done_at": PAST, "done_by": "dana"}
    assert not case_overdue(case_with(due_at=LATER, tasks=[done]), NOW)


def test_mandated_steps_outstanding_and_supervisor_alerts() -> None:
    case = case_with(
        tasks=[{"id": "t1", "text": "Report", "due_at": PAST, "mandated_step": "report_filed"},
               {"id": "t2", "text": "Done", "mandated_step": "x", "done_at": PAST},
               {"id": "t3", "text": "Plain task"}],
        notes=[{"text": "Supervisor alert: a minor is involved", "author": "dana"},
               {"text": "Called back", "author": "dana"}])
    assert [task.id for task in outstanding_mandated_steps(case)] == ["t1"]
    assert alerts(case) == ["a minor is involved"]


def test_the_timeline_is_in_order_with_unreadable_times_first() -> None:
    case = case_with(
        notes=[{"text": "later", "author": "dana", "created_at": LATER},
               {"text": "unreadable", "author": "dana", "created_at": "not a time"}],
        handoffs=[handed("dana", "lee", PAST, state="returned", acknowledged_at=LATER,
                         acknowledged_by="lee", return_reason="Off shift")])
    kinds = [(event.kind, event.text) for event in timeline(case)]
    assert kinds == [(EventKind.NOTE, "unreadable"), (EventKind.OPENED, ""),
                     (EventKind.HANDED_OFF, ""), (EventKind.NOTE, "later"),
                     (EventKind.RETURNED, "")]


def test_a_corrected_contact_type_leaves_what_the_case_was_opened_as() -> None:
    retyped = [{"text": RETYPE_NOTE.format(old=old, new=new), "author": "dana", "created_at": at}
               for old, new, at in (("Tip", "Crisis call", LATER), ("Hang-up", "Tip", PAST))]
    (opened,) = [event for event in timeline(case_with(notes=retyped, request_type="crisis"))
                 if event.kind is EventKind.OPENED]
    assert opened.text == "Hang-up"  # the first type, not the type it has now
    (never,) = [event for event in timeline(case_with(notes=[])) if event.kind is EventKind.OPENED]
    assert never.text == ""
