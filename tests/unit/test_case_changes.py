"""The rules a change follows, identical on workstation and server (``console.cases.changes``)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.cases.changes import (
    ACCEPTED,
    NEXT_SHIFT,
    PENDING,
    RETURNED,
    SUPERSEDED,
    Case,
    Change,
    FieldConflict,
    InvalidChange,
    apply_change,
    case_vocabulary,
    new_change,
    new_id,
)

AT = "2026-11-24T15:00:00.000+00:00"


def created(actor: str = "alice", **fields: Any) -> Case:
    payload = {"call_type": "tip", "urgency": "urgent", "status": "open", **fields}
    return apply_change(None, new_change("create", new_id(), payload, at=AT), actor).case


def change(case: Case, kind: str, payload: dict[str, Any], base_version: int = 0) -> Change:
    return new_change(kind, case["id"], payload, base_version=base_version)


def test_create_builds_a_case_owned_by_its_creator() -> None:
    case = created(summary="Caller reports a tip")
    assert case["call_type"] == "tip" and case["urgency"] == "urgent"
    assert case["status"] == "open" and case["summary"] == "Caller reports a tip"
    assert case["created_by"] == case["assigned_to"] == "alice"
    assert case["version"] == 1 and case["created_at"] == case["updated_at"] == AT
    assert case["notes"] == case["referrals"] == case["handoffs"] == []


def test_create_of_an_existing_case_is_refused() -> None:
    case = created()
    again = new_change("create", case["id"], {"call_type": "tip", "urgency": "urgent",
                                               "status": "open"})
    with pytest.raises(InvalidChange, match="already exists"):
        apply_change(case, again, "alice")


def test_update_moves_a_field_from_its_old_value() -> None:
    case = created()
    edit = change(case, "update",
                  {"fields": {"status": {"from": "open", "to": "awaiting follow-up"}}}, 1)
    applied = apply_change(case, edit, "bob")
    assert applied.changed and applied.conflicts == []
    assert applied.case["status"] == "awaiting follow-up" and applied.case["version"] == 2
    assert case["status"] == "open", "the caller's copy is never altered"


def test_update_already_in_place_changes_nothing() -> None:
    case = created(urgency="non-urgent")
    edit = change(case, "update", {"fields": {"urgency": {"from": "urgent", "to": "non-urgent"}}})
    applied = apply_change(case, edit, "bob")
    assert not applied.changed and applied.conflicts == [] and applied.case == case


def test_field_conflict_keeps_the_server_value_and_both_texts() -> None:
    case = created(summary="Server text")
    edit = change(case, "update", {"fields": {
        "summary": {"from": "", "to": "Client text"},
        "status": {"from": "open", "to": "awaiting follow-up"}}})
    applied = apply_change(case, edit, "bob")
    assert applied.case["summary"] == "Server text"
    assert applied.case["status"] == "awaiting follow-up"
    assert applied.conflicts == [FieldConflict(case["id"], edit["change_id"], "summary", "",
                                               "Server text", "Client text")]
    assert applied.conflicts[0].as_dict()["client_value"] == "Client text"


def test_notes_and_referrals_are_added_once_by_id() -> None:
    case = created()
    note = change(case, "add_note", {"id": new_id(), "text": "Caller is safe tonight"})
    case = apply_change(case, note, "bob").case
    referral = change(case, "add_referral", {"id": new_id(), "service_id": "svc-1",
                                              "service_name": "Safe Harbor"})
    case = apply_change(case, referral, "bob").case
    assert [n["text"] for n in case["notes"]] == ["Caller is safe tonight"]
    assert case["notes"][0]["author"] == "bob"
    assert case["referrals"][0]["service_name"] == "Safe Harbor"
    assert case["referrals"][0]["given_by"] == "bob" and case["version"] == 3
    again = apply_change(case, note, "bob")
    assert not again.changed and again.case == case


def test_hand_off_reassigns_and_acknowledgement_is_recorded_once() -> None:
    case = created()
    handoff_id = new_id()
    case = apply_change(case, change(case, "hand_off", {"id": handoff_id, "to_user": "carol",
                                                        "note": "Needs a callback"}),
                        "alice").case
    assert case["assigned_to"] == "carol"
    assert case["handoffs"][0]["from_user"] == "alice"
    assert case["handoffs"][0]["acknowledged_at"] is None
    ack = change(case, "acknowledge_handoff", {"handoff_id": handoff_id})
    acked = apply_change(case, ack, "carol").case
    assert acked["handoffs"][0]["acknowledged_by"] == "carol"
    assert acked["handoffs"][0]["acknowledged_at"] == ack["at"]
    assert not apply_change(acked, ack, "carol").changed


@pytest.mark.parametrize(("mutate", "reason"), [
    (lambda c: c.update(kind="delete"), "unknown change kind"),
    (lambda c: c.update(change_id="not-a-uuid"), "change_id must be a UUID"),
    (lambda c: c.update(base_version=-1), "base_version"),
    (lambda c: c.update(at="2026-11-24T15:00:00"), "at must be"),
    (lambda c: c.update(payload=[]), "payload must be an object"),
    (lambda c: c.update(kind="add_note", payload={"id": new_id(), "text": "  "}),
     "text must be non-empty"),
    (lambda c: c.update(payload={"fields": {"created_by": {"from": "a", "to": "b"}}}),
     "not a field that can be edited"),
    (lambda c: c.update(payload={"fields": {"status": {"from": "open", "to": "lost"}}}),
     "status must be one of"),
    (lambda c: c.update(payload={"fields": {}}), "names the fields"),
    (lambda c: c.update(kind="acknowledge_handoff", payload={"handoff_id": new_id()}),
     "no such handoff"),
])
def test_invalid_changes_are_refused_with_a_reason(mutate: Any, reason: str) -> None:
    case = created()
    bad = change(case, "update", {"fields": {"status": {"from": "open", "to": "closed"}}})
    mutate(bad)
    with pytest.raises(InvalidChange, match=reason):
        apply_change(case, bad, "bob")


def test_changes_to_a_missing_case_or_of_the_wrong_shape_are_refused() -> None:
    note = new_change("add_note", new_id(), {"id": new_id(), "text": "hello"})
    with pytest.raises(InvalidChange, match="no such case"):
        apply_change(None, note, "bob")
    with pytest.raises(InvalidChange, match="must be an object"):
        apply_change(None, "create", "bob")  # type: ignore[arg-type]
    too_long = "x" * (case_vocabulary().limits["note"] + 1)
    with pytest.raises(InvalidChange, match="longer than"):
        apply_change(created(), new_change("add_note", note["case_id"],
                                           {"id": new_id(), "text": too_long}), "bob")


# --- handoffs, the next shift's queue, tasks, referral outcomes, linked contacts -----------------

def hand(case: Case, actor: str, to_user: str, note: str = "", **extra: Any) -> tuple[Case, Any]:
    """``actor`` hands ``case`` to ``to_user``; the case after it and what applying said."""
    payload = {"id": new_id(), "to_user": to_user, "note": note, **extra}
    applied = apply_change(case, change(case, "hand_off", payload), actor)
    return applied.case, applied


def handoff_of(case: Case, handoff_id: str) -> dict[str, Any]:
    return next(h for h in case["handoffs"] if h["id"] == handoff_id)


def test_an_accepted_handoff_is_pending_until_its_receiver_accepts() -> None:
    case, _ = hand(created(), "alice", "carol", "Callback at 6", from_assignee="alice")
    [handoff] = case["handoffs"]
    assert handoff["state"] == PENDING and case["assigned_to"] == "carol"
    with pytest.raises(InvalidChange, match="only the person"):
        apply_change(case, change(case, "acknowledge_handoff", {"handoff_id": handoff["id"]}),
                     "dave")
    accepted = apply_change(case, change(case, "acknowledge_handoff",
                                         {"handoff_id": handoff["id"]}), "carol").case
    assert handoff_of(accepted, handoff["id"])["state"] == ACCEPTED
    assert accepted["assigned_to"] == "carol"


def test_a_returned_handoff_goes_back_to_its_sender_with_the_reason() -> None:
    case, _ = hand(created(), "alice", "carol", from_assignee="alice")
    handoff_id = case["handoffs"][0]["id"]
    give_back = change(case, "return_handoff", {"handoff_id": handoff_id,
                                                "reason": "Off until Monday"})
    with pytest.raises(InvalidChange, match="only the person"):
        apply_change(case, give_back, "dave")
    returned = apply_change(case, give_back, "carol")
    handoff = handoff_of(returned.case, handoff_id)
    assert returned.case["assigned_to"] == "alice"
    assert handoff["state"] == RETURNED and handoff["return_reason"] == "Off until Monday"
    assert handoff["acknowledged_by"] == "carol"
    assert not apply_change(returned.case, give_back, "carol").changed
    accept = change(case, "acknowledge_handoff", {"handoff_id": handoff_id})
    with pytest.raises(InvalidChange, match="was returned"):
        apply_change(returned.case, accept, "carol")
    with pytest.raises(InvalidChange, match="reason must be non-empty"):
        apply_change(case, change(case, "return_handoff", {"handoff_id": handoff_id,
                                                           "reason": " "}), "carol")


def test_of_two_handoffs_at_once_the_first_wins_and_the_second_is_kept_superseded() -> None:
    case = created()
    case, first = hand(case, "sue", "bob", "Bob knows the caller", from_assignee="alice")
    case, second = hand(case, "tim", "carol", "Carol speaks Spanish", from_assignee="alice")
    assert not first.conflicts and case["assigned_to"] == "bob"
    winner, loser = case["handoffs"]
    assert winner["state"] == PENDING
    assert loser["state"] == SUPERSEDED and loser["note"] == "Carol speaks Spanish"
    assert loser["lost_to"] == "bob"
    [conflict] = second.conflicts
    assert (conflict.field, conflict.base_value, conflict.server_value,
            conflict.client_value) == ("assigned_to", "alice", "bob", "carol")
    with pytest.raises(InvalidChange, match="was superseded"):
        apply_change(case, change(case, "acknowledge_handoff", {"handoff_id": loser["id"]}),
                     "carol")


def test_a_handoff_that_goes_through_supersedes_one_still_waiting() -> None:
    case, _ = hand(created(), "alice", "bob", from_assignee="alice")
    case, applied = hand(case, "sue", "carol", from_assignee="bob")
    first, second = case["handoffs"]
    assert not applied.conflicts and case["assigned_to"] == "carol"
    assert (first["state"], second["state"]) == (SUPERSEDED, PENDING)
    assert "lost_to" not in first  # it did not lose a race: it was simply overtaken


def test_anyone_takes_a_case_from_the_queue_and_a_second_taker_gets_a_conflict() -> None:
    case, _ = hand(created(), "sue", NEXT_SHIFT, "Call the shelter at 8", from_assignee="alice")
    handoff_id = case["handoffs"][0]["id"]
    assert case["assigned_to"] == NEXT_SHIFT
    take = change(case, "acknowledge_handoff", {"handoff_id": handoff_id})
    taken = apply_change(case, take, "dave")
    assert taken.changed and not taken.conflicts and taken.case["assigned_to"] == "dave"
    assert handoff_of(taken.case, handoff_id)["acknowledged_by"] == "dave"
    assert not apply_change(taken.case, take, "dave").changed  # dave's resend

    late = apply_change(taken.case, change(case, "acknowledge_handoff",
                                           {"handoff_id": handoff_id}), "erin")
    assert not late.changed and late.case["assigned_to"] == "dave"
    [conflict] = late.conflicts
    assert (conflict.base_value, conflict.server_value, conflict.client_value) == (
        NEXT_SHIFT, "dave", "erin")


def test_taking_a_case_that_left_the_queue_otherwise_names_its_holder() -> None:
    case, _ = hand(created(), "sue", NEXT_SHIFT, from_assignee="alice")
    handoff_id = case["handoffs"][0]["id"]
    case, _ = hand(case, "sue", "frank", from_assignee=NEXT_SHIFT)
    late = apply_change(case, change(case, "acknowledge_handoff", {"handoff_id": handoff_id}),
                        "erin")
    assert not late.changed and late.conflicts[0].server_value == "frank"


def test_tasks_are_added_and_completed_once() -> None:
    case = created()
    add = change(case, "add_task", {"id": new_id(), "text": "Call back about shelter",
                                    "due_at": AT})
    case = apply_change(case, add, "alice").case
    assert not apply_change(case, add, "alice").changed
    [task] = case["tasks"]
    assert (task["text"], task["due_at"], task["done_at"]) == ("Call back about shelter", AT,
                                                               None)
    done = change(case, "complete_task", {"task_id": task["id"]})
    completed = apply_change(case, done, "bob").case
    assert completed["tasks"][0]["done_by"] == "bob"
    assert completed["tasks"][0]["done_at"] == done["at"]
    assert not apply_change(completed, done, "bob").changed
    later = change(case, "complete_task", {"task_id": task["id"]})
    assert apply_change(completed, later, "carol").case == completed  # done stays done once
    with pytest.raises(InvalidChange, match="ISO 8601"):
        apply_change(case, change(case, "add_task", {"id": new_id(), "text": "x",
                                                     "due_at": "Friday"}), "alice")


def test_referral_outcomes_use_the_hotline_vocabulary() -> None:
    case = created()
    referral_id = new_id()
    case = apply_change(case, change(case, "add_referral", {
        "id": referral_id, "service_id": "svc-1", "service_name": "Safe Harbor"}), "alice").case
    reached = change(case, "referral_outcome", {"referral_id": referral_id,
                                                "outcome": "services received",
                                                "note": "Bed for two nights"})
    case = apply_change(case, reached, "bob").case
    referral = case["referrals"][0]
    assert (referral["outcome"], referral["outcome_note"], referral["outcome_by"]) == (
        "services received", "Bed for two nights", "bob")
    assert not apply_change(case, reached, "bob").changed
    assert "services received" in case_vocabulary().referral_outcomes
    with pytest.raises(InvalidChange, match="outcome must be one of"):
        apply_change(case, change(case, "referral_outcome", {
            "referral_id": referral_id, "outcome": "sort of"}), "bob")
    with pytest.raises(InvalidChange, match="no such referral"):
        apply_change(case, change(case, "referral_outcome", {
            "referral_id": new_id(), "outcome": "reached"}), "bob")


def test_a_later_contact_is_linked_once() -> None:
    case, later = created(), created()
    link = change(case, "add_contact", {"id": new_id(), "case_id": later["id"],
                                        "note": "Same caller phone"})
    case = apply_change(case, link, "alice").case
    [contact] = case["contacts"]
    assert (contact["case_id"], contact["note"], contact["linked_by"]) == (
        later["id"], "Same caller phone", "alice")
    assert not apply_change(case, link, "alice").changed
    with pytest.raises(InvalidChange, match="case_id must be a UUID"):
        apply_change(case, change(case, "add_contact", {"id": new_id(), "case_id": "K7-1"}),
                     "alice")


# --- idempotence: resending a change must never alter a case twice ------------------------------

HANDOFF_IDS = [str(uuid.UUID(int=n + 1)) for n in range(3)]
ITEM_IDS = st.sampled_from([str(uuid.UUID(int=100 + n)) for n in range(4)])
PEOPLE = st.sampled_from(["alice", "bob", "carol"])
WORDS = st.sampled_from(["caller safe", "needs shelter", "call back at 6"])


def _field_values(name: str) -> st.SearchStrategy[Any]:
    vocab = case_vocabulary()
    choices = {"call_type": vocab.call_types, "urgency": vocab.urgencies,
               "status": vocab.statuses}.get(name)
    if choices is not None:
        return st.sampled_from(choices)
    if name == "assigned_to":
        return st.sampled_from(["alice", "bob", "carol", NEXT_SHIFT, None])
    return st.sampled_from(["", "first text", "second text"])


@st.composite
def updates(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    names = draw(st.lists(st.sampled_from(["call_type", "urgency", "status", "summary",
                                           "assigned_to"]), min_size=1, max_size=3, unique=True))
    fields = {name: {"from": draw(_field_values(name)), "to": draw(_field_values(name))}
              for name in names}
    return "update", {"fields": fields}


@st.composite
def handoffs(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A handoff, sometimes from someone who no longer holds the case (a lost race)."""
    payload = {"id": draw(st.sampled_from(HANDOFF_IDS)),
               "to_user": draw(st.sampled_from(["bob", "carol", NEXT_SHIFT]))}
    from_assignee = draw(st.sampled_from(["alice", "bob", "carol", NEXT_SHIFT, None]))
    if from_assignee is not None:
        payload["from_assignee"] = from_assignee
    return "hand_off", payload


def item_changes() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    return st.one_of(
        st.builds(lambda i, t: ("add_note", {"id": i, "text": t}), ITEM_IDS, WORDS),
        st.builds(lambda i, s: ("add_referral", {"id": i, "service_id": s, "service_name": s}),
                  ITEM_IDS, st.sampled_from(["shelter-1", "legal-2"])),
        st.builds(lambda i, t: ("add_task", {"id": i, "text": t, "due_at": AT}), ITEM_IDS, WORDS),
        st.builds(lambda i, n: ("add_contact", {"id": i, "case_id": str(uuid.UUID(int=999)),
                                                "note": n}), ITEM_IDS, WORDS),
        handoffs(),
    )


def follow_ups(made: dict[str, list[str]]) -> list[st.SearchStrategy[tuple[str, dict[str, Any]]]]:
    """Changes about records made earlier in the sequence (which may no longer apply)."""
    options = []
    if made["hand_off"]:
        handoff = st.sampled_from(made["hand_off"])
        options += [st.builds(lambda h: ("acknowledge_handoff", {"handoff_id": h}), handoff),
                    st.builds(lambda h, r: ("return_handoff", {"handoff_id": h, "reason": r}),
                              handoff, WORDS)]
    if made["add_task"]:
        options.append(st.builds(lambda t: ("complete_task", {"task_id": t}),
                                 st.sampled_from(made["add_task"])))
    if made["add_referral"]:
        options.append(st.builds(
            lambda r, o: ("referral_outcome", {"referral_id": r, "outcome": o, "note": ""}),
            st.sampled_from(made["add_referral"]),
            st.sampled_from(case_vocabulary().referral_outcomes)))
    return options


@st.composite
def change_sequences(draw: st.DrawFn) -> list[tuple[str, dict[str, Any], str]]:
    """Changes, each with the person making it: follow-ups only about records made before."""
    sequence: list[tuple[str, dict[str, Any], str]] = []
    for _ in range(draw(st.integers(1, 12))):
        made: dict[str, list[str]] = {"hand_off": [], "add_task": [], "add_referral": []}
        for kind, payload, _actor in sequence:
            if kind in made:
                made[kind].append(payload["id"])
        kind, payload = draw(st.one_of([updates(), item_changes(), *follow_ups(made)]))
        sequence.append((kind, payload, draw(PEOPLE)))
    return sequence


@settings(max_examples=300, deadline=None)
@given(change_sequences())
def test_every_change_applied_twice_in_a_row_equals_applied_once(
        sequence: list[tuple[str, dict[str, Any], str]]) -> None:
    """What a resend after a lost answer does: the second copy of a change alters nothing, and
    is answered as the first was; one that cannot apply is refused both times."""
    once = twice = created()
    for kind, payload, person in sequence:
        record = new_change(kind, once["id"], payload, at=AT)
        actor = _acting_user(once, kind, payload, person)
        try:
            first = apply_change(once, record, actor)
        except InvalidChange:
            with pytest.raises(InvalidChange):
                apply_change(twice, record, actor)
            continue
        once = first.case
        twice = apply_change(apply_change(twice, record, actor).case, record, actor).case
        assert twice == once
        assert apply_change(once, record, actor).conflicts == first.conflicts


def _acting_user(case: Case, kind: str, payload: dict[str, Any], person: str) -> str:
    """The receiver answers a handoff to them; anyone may take one from the queue."""
    if kind not in ("acknowledge_handoff", "return_handoff"):
        return person
    receiver = next(h["to_user"] for h in case["handoffs"] if h["id"] == payload["handoff_id"])
    return person if receiver == NEXT_SHIFT else receiver


# --- the intake: request type, protocol, due time and one answer per field -----------------------

def test_a_contact_can_be_created_whole_in_one_change() -> None:
    case = created(request_type="hang_up", protocol="national-intake@2026.12.1",
                   due_at=AT, taken_as_message=False, answers={"caller_type": "other"})
    assert case["request_type"] == "hang_up" and case["protocol"] == "national-intake@2026.12.1"
    assert case["answers"] == {"caller_type": "other"} and case["due_at"] == AT


def answer_edit(case: Case, field: str, before: Any, after: Any) -> Change:
    return change(case, "update", {"fields": {f"answers.{field}": {"from": before, "to": after}}},
                  case["version"])


def test_answers_are_edited_one_field_at_a_time() -> None:
    case = created()
    case = apply_change(case, answer_edit(case, "minors_involved", None, "yes"), "alice").case
    case = apply_change(case, answer_edit(case, "people_count", None, 3), "alice").case
    assert case["answers"] == {"minors_involved": "yes", "people_count": 3}


def test_two_people_answering_different_fields_never_conflict_but_the_same_one_does() -> None:
    case = created()
    mine = answer_edit(case, "venue", None, "nail salon on Main St")
    theirs = answer_edit(case, "vehicle", None, "white van")
    same = answer_edit(case, "venue", None, "the motel by the highway")
    case = apply_change(case, mine, "alice").case
    applied = apply_change(case, theirs, "bob")
    assert applied.conflicts == [] and applied.case["answers"]["vehicle"] == "white van"
    clash = apply_change(applied.case, same, "bob")
    assert [c.field for c in clash.conflicts] == ["answers.venue"]
    assert clash.conflicts[0].server_value == "nail salon on Main St"
    assert clash.conflicts[0].client_value == "the motel by the highway"


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("answers.Bad-Id", "x", "can be edited"),
    ("answers." + "x" * 40, "x", "can be edited"),
    ("answers.venue", {"nested": "object"}, "must be text"),
    ("answers.venue", "x" * 20_001, "longer than"),
    ("due_at", "tomorrow", "ISO 8601"),
    ("taken_as_message", "yes", "true or false"),
])
def test_intake_fields_of_the_wrong_shape_are_refused(field: str, value: Any, reason: str) -> None:
    case = created()
    edit = change(case, "update", {"fields": {field: {"from": None, "to": value}}}, 1)
    with pytest.raises(InvalidChange, match=reason):
        apply_change(case, edit, "alice")
