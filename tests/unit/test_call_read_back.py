"""What the call screen says without Qt: the read-back, the linked supervisor answers, a case
number from the start, a contact type corrected later."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from console.cases.store import CaseStore
from console.intake.desk import OPEN_CALL_KEY, CallDesk, follow_supervisor_link
from console.intake.readback import answers_by_tab, still_owed
from console.models.database import open_case_store
from console.protocol import Protocol, load_protocol


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol()


@pytest.fixture
def desk(tmp_path: Path, protocol: Protocol) -> Iterator[CallDesk]:
    engine = open_case_store(tmp_path / "cases.db")
    yield CallDesk(CaseStore(engine, "maria"), protocol)
    engine.dispose()


def test_the_read_back_uses_the_protocols_words_tab_by_tab(desk: CallDesk) -> None:
    call = desk.start("crisis")
    call.answers.update(caller_type="potential-victim", caller_state="TX", minors_involved="yes",
                        safe_to_talk="yes", code_word="")
    evaluation = desk.evaluation(call)
    groups = dict(answers_by_tab(desk.protocol, call.answers, evaluation))
    assert [(a.label, a.text) for a in groups["Caller"]] == [
        ("Caller type", "Potential victim"), ("Caller's state", "TX — Texas")]
    assert [(a.label, a.text) for a in groups["Safety"]] == [("Safe to talk", "Yes")]
    owed = still_owed(desk.protocol, evaluation)
    assert owed[0].field_id == "mandatory_reporting" and owed[0].option is not None
    assert "Safety: Immediate danger is required" in [item.text for item in owed]


@pytest.mark.parametrize(("answers", "changed", "follows"), [
    ({"mandatory_reporting": ["shift-supervisor"]}, "mandatory_reporting",
     {"supervisor_notified": "yes"}),
    ({"mandatory_reporting": [], "supervisor_notified": "yes"}, "mandatory_reporting",
     {"supervisor_notified": None}),
    ({"supervisor_notified": "yes"}, "supervisor_notified",
     {"mandatory_reporting": ["shift-supervisor"]}),
    ({"supervisor_notified": "no", "mandatory_reporting": ["shift-supervisor", "law-enforcement"]},
     "supervisor_notified", {"mandatory_reporting": ["law-enforcement"]}),
    ({"supervisor_notified": "yes", "mandatory_reporting": ["shift-supervisor"]},
     "supervisor_notified", {}),
])
def test_notifying_the_supervisor_is_one_fact(answers: dict, changed: str,
                                              follows: dict) -> None:
    assert follow_supervisor_link(answers, changed) == follows


def test_the_case_number_is_known_from_the_start(desk: CallDesk) -> None:
    call = desk.start("tip")
    assert call.number and call.number == desk.store.get(call.case_id)["number"]


def test_a_contact_type_corrected_from_the_case_stays_a_case(desk: CallDesk) -> None:
    logged = desk.start("hang-up")
    desk.store.set_state(OPEN_CALL_KEY, "")
    assert desk.retype(logged.case_id, "tip", as_call=False) is None
    case = desk.store.get(logged.case_id)
    assert case["request_type"] == "tip" and case["status"] == "open"
    assert not desk.store.get_state(OPEN_CALL_KEY)  # never the call in progress
