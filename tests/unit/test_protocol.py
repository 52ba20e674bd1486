"""The intake protocol and its engine (``console.protocol``): loading, checking, evaluating."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.cases.changes import case_vocabulary
from console.protocol import (
    Field,
    Protocol,
    ProtocolError,
    effective_urgency,
    evaluate,
    load_protocol,
)
from console.protocol.definition import protocols_dir

Raw = dict[str, Any]


@cache
def shipped() -> Protocol:
    return load_protocol()


def shipped_json() -> Raw:
    return json.loads((protocols_dir() / "intake.json").read_text("utf-8"))


def load_changed(tmp_path: Path, change: Callable[[Raw], None]) -> Protocol:
    data = copy.deepcopy(shipped_json())
    change(data)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data), "utf-8")
    return load_protocol(path)


def raw_field(data: Raw, field_id: str) -> Raw:
    return next(field for tab in data["tabs"] for field in tab["fields"] if field["id"] == field_id)


def missing_ids(request_type: str, answers: dict[str, Any]) -> list[str]:
    return [item.field_id for item in evaluate(shipped(), request_type, answers).missing]


# --- the shipped protocol ------------------------------------------------------------------------


def test_shipped_protocol_loads_with_its_label() -> None:
    protocol = shipped()
    assert protocol.label == "national-intake@2026.12.1"
    # Safety is asked first: the first tab, and where a crisis, tip or referral call opens.
    assert [tab.id for tab in protocol.tabs] == ["safety", "caller", "situation", "referrals",
                                                 "summary"]
    assert [tab.key for tab in protocol.tabs] == ["1", "2", "3", "4", "5"]
    assert all(1 <= len(tab.prompts) <= 3 for tab in protocol.tabs)


def test_request_types_have_one_key_each_and_known_call_types() -> None:
    kinds = shipped().request_types
    keys = [kind.key for kind in kinds]
    assert keys == ["1", "2", "3", "4", "5", "6", "7", "h", "s", "w", "p", "t"]
    assert {kind.call_type for kind in kinds} <= set(case_vocabulary().call_types)
    no_data = [kind for kind in kinds if kind.no_data]
    assert [kind.id for kind in no_data] == ["hang-up", "silent", "wrong-number", "prank",
                                             "test-call"]
    assert all(kind.call_type == "no-data contact" and kind.urgency == "non-urgent"
               for kind in no_data)
    assert shipped().request_type("crisis").urgency == "urgent"
    assert all(kind.description and kind.group for kind in kinds)


def test_lookups_by_id() -> None:
    protocol = shipped()
    assert protocol.field("safe_to_talk").kind == "yesno"
    assert protocol.tab_of("safe_to_talk").id == "safety"
    assert protocol.tab_of("safe_to_talk").fields[0].id == "safe_to_talk"  # asked first
    assert [option.value for option in protocol.field("minors_involved").options] == \
        ["yes", "no", "unknown"]
    with pytest.raises(KeyError):
        protocol.field("favourite_colour")
    with pytest.raises(KeyError):
        protocol.request_type("chat")


def test_personal_fields_are_marked() -> None:
    personal = {field.id for field in shipped().fields if field.personal}
    assert {"caller_name", "caller_phone", "safe_callback_number", "code_word",
            "callback_window", "safe_contact_method"} <= personal
    assert not {"caller_zip", "location_description", "summary"} & personal


# --- broken protocol files -----------------------------------------------------------------------


def _unknown_field_in_condition(data: Raw) -> None:
    raw_field(data, "labor_indicators")["when"] = {"field": "trafficking_kind", "in": ["labor"]}


def _unknown_option_in_condition(data: Raw) -> None:
    raw_field(data, "labor_indicators")["when"] = {"field": "trafficking_type", "in": ["labour"]}


def _duplicate_field_id(data: Raw) -> None:
    raw_field(data, "follow_up_notes")["id"] = "summary"


def _duplicate_request_key(data: Raw) -> None:
    data["request_types"][1]["key"] = "1"


def _wrong_type(data: Raw) -> None:
    raw_field(data, "caller_type")["required"] = "yes"


def _unknown_property(data: Raw) -> None:
    raw_field(data, "caller_type")["colour"] = "red"


def _options_on_text(data: Raw) -> None:
    raw_field(data, "caller_name")["options"] = [{"value": "a", "label": "A"}]


def _misspelt_condition(data: Raw) -> None:
    raw_field(data, "supervisor_notified")["when"] = {"any": [{"field": "immediate_danger",
                                                               "equal": "yes"}]}


def _unknown_call_type(data: Raw) -> None:
    data["request_types"][1]["call_type"] = "tip-off"


def _unknown_request_type(data: Raw) -> None:
    data["urgency_rules"][3]["when"]["all"][0] = {"request_type": ["crisis-call"]}


def _fields_hide_each_other(data: Raw) -> None:
    raw_field(data, "trafficking_type")["when"] = {"field": "labor_indicators", "answered": True}


def _text_compared_with_number(data: Raw) -> None:
    raw_field(data, "venue")["when"] = {"field": "people_count", "equals": "3"}


def _closes_before_opening(data: Raw) -> None:
    data["service_chart"]["opens"] = "20:00"


def _unknown_time_zone(data: Raw) -> None:
    data["service_chart"]["timezone"] = "Mars/Olympus"


def _reporting_lines_not_a_checklist(data: Raw) -> None:
    data["reporting_lines"]["checklist"] = "summary"


def _reporting_lines_unknown_category(data: Raw) -> None:
    data["reporting_lines"]["category"] = "cps-line"


def _safety_first_unknown_field(data: Raw) -> None:
    data["safety_first"]["ask_first"] = ["safe_to_talk", "is_safe"]


def _safety_first_on_two_tabs(data: Raw) -> None:
    data["safety_first"]["ask_first"] = ["safe_to_talk", "caller_type"]


def _safety_first_impossible_answer(data: Raw) -> None:
    data["safety_first"]["not_safe"]["equals"] = "nope"


@pytest.mark.parametrize(("change", "where", "what"), [
    (_unknown_field_in_condition, "$.tabs[2].fields[5].when.field", "unknown field"),
    (_unknown_option_in_condition, "$.tabs[2].fields[5].when.in[0]", "'labour'"),
    (_duplicate_field_id, "$.tabs[4].fields[2].id", "duplicate id 'summary'"),
    (_duplicate_request_key, "$.request_types[1].key", "duplicate key '1'"),
    (_wrong_type, "$.tabs[1].fields[0].required", "is not of type 'boolean'"),
    (_unknown_property, "$.tabs[1].fields[0]", "'colour' was unexpected"),
    (_options_on_text, "$.tabs[1].fields[1].options", "not allowed for this kind of field"),
    (_misspelt_condition, "$.tabs[0].fields[10].when.any[0]", "not a valid condition"),
    (_unknown_call_type, "$.request_types[1].call_type", "'tip-off'"),
    (_unknown_request_type, "$.urgency_rules[3].when.all[0].request_type[0]", "'crisis-call'"),
    (_fields_hide_each_other, "$.tabs[2].fields[5].when", "circle"),
    (_text_compared_with_number, "$.tabs[2].fields[10].when.equals", "takes numbers"),
    (_closes_before_opening, "$.service_chart", "closes at 19:00"),
    (_unknown_time_zone, "$.service_chart", "Mars/Olympus"),
    (_safety_first_unknown_field, "$.safety_first.ask_first[1]", "unknown field 'is_safe'"),
    (_safety_first_on_two_tabs, "$.safety_first.ask_first", "share one tab"),
    (_safety_first_impossible_answer, "$.safety_first.not_safe.equals", "'nope'"),
    (_reporting_lines_not_a_checklist, "$.reporting_lines.checklist", "not a checklist"),
    (_reporting_lines_unknown_category, "$.reporting_lines.category",
     "'cps-line' is not a directory category"),
])
def test_a_broken_protocol_names_the_file_and_the_place(
        tmp_path: Path, change: Callable[[Raw], None], where: str, what: str) -> None:
    with pytest.raises(ProtocolError) as raised:
        load_changed(tmp_path, change)
    message = str(raised.value)
    assert message.startswith(f"edited.json at {where}: "), message
    assert what in message


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "intake.json"
    path.write_text('{"id": "national-intake",\n "version": }', "utf-8")
    with pytest.raises(ProtocolError, match=r"^intake\.json: not valid JSON at line 2, column 13"):
        load_protocol(path)


def test_a_missing_file_is_a_protocol_error(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match=r"^absent\.json: cannot be read"):
        load_protocol(tmp_path / "absent.json")


def test_a_protocol_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[]", "utf-8")
    with pytest.raises(ProtocolError, match=r"^list\.json at \$: "):
        load_protocol(path)


# --- visibility ----------------------------------------------------------------------------------


def visible(request_type: str, answers: dict[str, Any]) -> frozenset[str]:
    return evaluate(shipped(), request_type, answers).visible


def test_indicators_follow_the_type_of_trafficking() -> None:
    assert not {"labor_indicators", "sex_indicators"} & visible("tip", {})
    labor = visible("tip", {"trafficking_type": ["labor"]})
    assert "labor_indicators" in labor and "sex_indicators" not in labor
    sex = visible("tip", {"trafficking_type": ["sex"]})
    assert "sex_indicators" in sex and "labor_indicators" not in sex
    assert {"labor_indicators", "sex_indicators"} <= visible("tip", {"trafficking_type":
                                                                     ["unclear"]})


def test_assistance_topics_show_only_for_training_requests() -> None:
    assert "ta_topics" in visible("ta-urgent", {})
    assert "ta_topics" in visible("ta-non-urgent", {})
    assert "ta_topics" not in visible("crisis", {})
    assert "ta_topics" in missing_ids("ta-non-urgent", {})
    assert "ta_topics" not in missing_ids("ta-non-urgent", {"ta_topics": ["speakers-trainers"]})


def test_safety_follow_ups_appear_with_danger_or_a_minor() -> None:
    calm = visible("crisis", {"immediate_danger": "no", "minors_involved": "no"})
    assert not {"emergency_services_contacted", "supervisor_notified",
                "mandatory_reporting"} & calm
    danger = visible("crisis", {"immediate_danger": "yes"})
    assert {"emergency_services_contacted", "supervisor_notified"} <= danger
    assert "mandatory_reporting" not in danger
    minor = evaluate(shipped(), "tip", {"minors_involved": "yes"})
    assert {"mandatory_reporting", "supervisor_notified"} <= minor.visible
    assert [field.id for field in minor.checklists] == ["mandatory_reporting"]
    assert minor.checklists[0].kind == "checklist" and len(minor.checklists[0].options) >= 4


def test_a_hidden_answer_no_longer_counts() -> None:
    # The specialist ticked a sex-trafficking indicator, then re-read the story as labor only.
    answers = {"trafficking_type": ["labor"], "sex_indicators": ["minor-in-commercial-sex"]}
    result = evaluate(shipped(), "tip", answers)
    assert "sex_indicators" not in result.visible
    assert result.urgency == "non-urgent" and result.urgency_reasons == ()


# --- required fields -----------------------------------------------------------------------------


def test_missing_fields_come_in_tab_order_with_messages() -> None:
    result = evaluate(shipped(), "crisis", {})
    assert [item.field_id for item in result.missing] == [
        "safe_to_talk", "immediate_danger", "caller_type", "what_is_happening",
        "minors_involved", "summary"]
    assert [item.tab_id for item in result.missing] == [
        "safety", "safety", "caller", "situation", "situation", "summary"]
    assert result.missing[0].message == "Safety: Safe to talk is required"
    assert result.required == {item.field_id for item in result.missing}


def test_required_when_follows_the_answers() -> None:
    assert "safe_callback_number" not in missing_ids("crisis", {"safe_to_talk": "yes"})
    assert "safe_callback_number" in missing_ids("crisis", {"safe_to_talk": "no"})
    assert "safe_callback_number" not in missing_ids(
        "crisis", {"safe_to_talk": "no", "safe_callback_number": "555-0100"})
    assert "safe_callback_number" in missing_ids("crisis", {"safe_to_talk": False})


def test_required_fields_depend_on_the_request_type() -> None:
    assert "what_is_happening" in missing_ids("tip", {})
    for asked_first in ("crisis", "tip", "referral-urgent", "referral-non-urgent"):
        assert missing_ids(asked_first, {})[:2] == ["safe_to_talk", "immediate_danger"]
    assert "safe_to_talk" not in missing_ids("ta-urgent", {})
    assert missing_ids("general-information", {}) == ["caller_type", "summary"]


def test_blank_answers_are_unanswered_and_unknown_is_an_answer() -> None:
    answers = {"caller_type": "community-member", "summary": "   ", "minors_involved": "unknown",
               "what_is_happening": "", "immediate_danger": "unknown", "safe_to_talk": "yes"}
    assert missing_ids("tip", answers) == ["what_is_happening", "summary"]


def test_no_data_contacts_need_nothing() -> None:
    for kind in shipped().request_types:
        if kind.no_data:
            result = evaluate(shipped(), kind.id, {})
            assert result.missing == () and result.required == frozenset(), kind.id
            assert result.urgency == "non-urgent" and result.alerts == ()


# --- urgency -------------------------------------------------------------------------------------


def test_urgency_starts_from_the_request_type() -> None:
    crisis = evaluate(shipped(), "crisis", {})
    assert crisis.urgency == "urgent" and crisis.urgency_reasons == ("Crisis call",)
    tip = evaluate(shipped(), "tip", {})
    assert tip.urgency == "non-urgent" and tip.urgency_reasons == () and tip.alerts == ()


def test_danger_and_minors_make_a_tip_urgent_and_alert_a_supervisor() -> None:
    danger = evaluate(shipped(), "tip", {"immediate_danger": "yes"})
    assert (danger.urgency, danger.urgency_reasons, danger.alerts) == \
        ("urgent", ("Immediate danger",), ("supervisor",))
    both = evaluate(shipped(), "tip", {"immediate_danger": "yes", "minors_involved": "yes"})
    assert both.urgency_reasons == ("Immediate danger", "A minor is involved")
    assert both.alerts == ("supervisor",)


def test_a_minor_in_commercial_sex_is_urgent() -> None:
    answers = {"trafficking_type": ["sex"], "sex_indicators": ["minor-in-commercial-sex"]}
    result = evaluate(shipped(), "general-information", answers)
    assert result.urgency == "urgent" and "A minor in commercial sex" in result.urgency_reasons


def test_a_caller_not_safe_to_talk_in_a_crisis() -> None:
    crisis = evaluate(shipped(), "crisis", {"safe_to_talk": "no"})
    assert crisis.urgency_reasons == ("Crisis call", "Caller is not safe to talk")
    tip = evaluate(shipped(), "tip", {"safe_to_talk": "no"})
    assert tip.urgency == "non-urgent"


def test_safety_is_asked_first_on_crisis_tip_and_referral_calls() -> None:
    protocol = shipped()
    for kind in ("crisis", "tip", "referral-urgent", "referral-non-urgent"):
        assert protocol.opening(kind) == ("safety", "safe_to_talk"), kind
    # A professional's training request opens on the caller, not on safety questions.
    assert protocol.opening("ta-non-urgent") == ("caller", None)
    assert protocol.safety_first is not None
    assert protocol.safety_first.not_safe.plan == (
        "safe_callback_number", "callback_window", "code_word", "hang_up_plan")


def test_mandated_steps_not_ticked_are_outstanding() -> None:
    minor = {"minors_involved": "yes", "mandatory_reporting": ["shift-supervisor"]}
    steps = evaluate(shipped(), "tip", minor).outstanding_steps
    assert [step.value for step in steps] == [
        "confidentiality-explained", "child-protective-services", "law-enforcement"]
    assert steps[1].label == "Report to child protective services in the state"
    done = {**minor, "mandatory_reporting": [
        "confidentiality-explained", "child-protective-services", "law-enforcement",
        "shift-supervisor"]}
    assert evaluate(shipped(), "tip", done).outstanding_steps == ()
    # No minor: the checklist is hidden and nothing is owed.
    assert evaluate(shipped(), "tip", {"minors_involved": "no"}).outstanding_steps == ()


def test_effective_urgency_may_rise_but_never_fall() -> None:
    assert effective_urgency("non-urgent", None) == "non-urgent"
    assert effective_urgency("non-urgent", "urgent") == "urgent"
    assert effective_urgency("urgent", "non-urgent") == "urgent"
    assert effective_urgency("urgent", None) == "urgent"
    with pytest.raises(ValueError, match="unknown urgency"):
        effective_urgency("urgent", "soon")


# --- evaluate never raises -----------------------------------------------------------------------


def answer_strategy(field: Field) -> st.SearchStrategy[Any]:
    odd = st.one_of(st.none(), st.text(max_size=8), st.integers(), st.booleans())
    values = [option.value for option in field.options] or [""]
    if field.kind in ("multichoice", "checklist"):
        return st.one_of(st.lists(st.one_of(st.sampled_from(values), odd), max_size=4), odd)
    if field.kind in ("choice", "yesno"):
        return st.one_of(st.sampled_from(values), odd)
    if field.kind == "number":
        return st.one_of(st.integers(), st.floats(), st.text(max_size=6), st.none())
    return st.one_of(st.text(max_size=30), st.none())


answers_strategy = st.fixed_dictionaries(
    {}, optional={field.id: answer_strategy(field) for field in shipped().fields})


@settings(max_examples=300, deadline=None)
@given(request_type=st.sampled_from([kind.id for kind in shipped().request_types]),
       answers=answers_strategy)
def test_evaluate_never_raises(request_type: str, answers: dict[str, Any]) -> None:
    result = evaluate(shipped(), request_type, answers)
    assert result.required <= result.visible
    assert {item.field_id for item in result.missing} <= result.required
    assert result.urgency in ("urgent", "non-urgent")
    assert bool(result.urgency_reasons) == (result.urgency == "urgent")
    if shipped().request_type(request_type).urgency == "urgent":
        assert result.urgency == "urgent"
    if shipped().request_type(request_type).no_data:
        assert result.required == frozenset()


def test_an_alert_names_only_the_answers_that_call_for_it() -> None:
    evaluation = evaluate(shipped(), "crisis", {"immediate_danger": "yes"})
    assert evaluation.urgency_reasons == ("Crisis call", "Immediate danger")
    assert evaluation.alerts == ("supervisor",)
    assert evaluation.alert_reasons == ("Immediate danger",)
    quiet = evaluate(shipped(), "crisis", {"safe_to_talk": "yes"})
    assert quiet.alerts == () and quiet.alert_reasons == ()


def test_the_protocol_schema_is_itself_a_valid_draft_2020_12_schema() -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads((protocols_dir() / "protocol.schema.json").read_text("utf-8"))
    Draft202012Validator.check_schema(schema)  # load_protocol trusts it, to start faster
