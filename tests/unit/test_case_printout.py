"""The supervisor's case printout read back from its PDF: every answer and every event of the
case's story, personal answers included, and CONFIDENTIAL with the case number on every page."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from console.cases.changes import NEXT_SHIFT, Case
from console.cases.store import CaseStore
from console.printing.base import PrintError
from console.printing.casefile import case_printout, paper_words
from console.printing.phrases import texts
from console.protocol import Protocol, load_protocol

PRINTED_AT = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # 10:30 AM on the hotline's clock
LONG_ACCOUNT = " ".join(f"Sentence {number} of what the caller saw at the motel."
                        for number in range(1, 400))
ANSWERS = {
    "caller_type": "community-member", "caller_name": "Rosa", "language": "es",
    "interpreter_used": "yes", "caller_phone": "(713) 555-0150", "caller_state": "TX",
    "what_is_happening": LONG_ACCOUNT, "trafficking_type": ["labor", "unclear"],
    "people_count": 6, "minors_involved": "no", "venue": "Golden Motel",
    "vehicle": "white Ford Transit van", "safe_to_talk": "yes", "immediate_danger": "no",
    "referral_needs": ["legal"], "code_word": "blue umbrella",
}


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol()


def worked_case(engine: Engine, protocol: Protocol) -> Case:
    """A tip worked across a shift change: note, referral with outcome, task done, a handoff
    accepted, a handoff returned, the case left in the next shift's queue, a later contact."""
    alice, bob = CaseStore(engine, "alice"), CaseStore(engine, "bob")
    case = alice.create_case("tip", "urgent", summary="Workers kept at a motel; passports taken.",
                             request_type="tip", protocol=protocol.label, answers=ANSWERS)
    case_id = case["id"]
    alice.add_note(case_id, "Caller will call back tonight after 6 pm.")
    case = alice.add_referral(case_id, "svc-legal", "Victim Rights Legal Clinic")
    alice.record_outcome(case_id, case["referrals"][0]["id"], "reached", "Appointment Monday")
    case = alice.add_task(case_id, "Call back at the safe number", "2026-11-25T23:00:00+00:00")
    alice.complete_task(case_id, case["tasks"][0]["id"])
    case = alice.hand_off(case_id, "bob", "Please follow up on the legal referral")
    case = bob.acknowledge_handoff(case_id, case["handoffs"][0]["id"])
    case = bob.hand_off(case_id, "carmen", "Spanish speaker needed")
    carmen = CaseStore(engine, "carmen")
    case = carmen.return_handoff(case_id, case["handoffs"][1]["id"], "Off shift tomorrow")
    case = bob.hand_off(case_id, NEXT_SHIFT, "Night shift please")
    later = alice.create_case("tip", "non-urgent", request_type="tip")
    return alice.link_contact(case_id, later["id"], "Same caller, new address")


def printout(case: Case, protocol: Protocol, language: str = "en") -> PdfReader:
    out = io.BytesIO()
    case_printout(case, protocol, out, language=language, now=PRINTED_AT)
    return PdfReader(io.BytesIO(out.getvalue()))


def flat(text: str) -> str:
    """Text with every run of white space as one space: table cells and paragraphs wrap."""
    return re.sub(r"\s+", " ", text).strip()


def whole_text(reader: PdfReader) -> str:
    return flat(" ".join(page.extract_text() for page in reader.pages))


def test_every_answer_prints_under_its_tab_with_its_label(engine: Engine,
                                                          protocol: Protocol) -> None:
    case = worked_case(engine, protocol)
    text = whole_text(printout(case, protocol))
    words = texts("en")
    for field_id, value in ANSWERS.items():
        spec = protocol.field(field_id)
        if field_id != "what_is_happening":
            assert flat(paper_words(protocol, words).answer(field_id, value)) in text, field_id
        label = f"{spec.label} (personal)" if spec.personal else spec.label
        assert label in text, label
    # The long account runs across pages, whole and in order.
    assert "Sentence 1 of what" in text and "Sentence 399 of what" in text
    assert text.index("Sentence 1 of") < text.index("Sentence 200 of") \
        < text.index("Sentence 399 of")
    for tab_title in ("Caller", "Situation", "Safety", "Referrals"):
        assert tab_title in text
    assert "Community member" in text and "Labor, Both or unclear" in text
    assert "Summary" in text and "Workers kept at a motel; passports taken." in text


def test_unanswered_fields_are_left_out(engine: Engine, protocol: Protocol) -> None:
    text = whole_text(printout(worked_case(engine, protocol), protocol))
    for unanswered in ("Safe callback number", "Mandatory reporting", "Suspect's phone"):
        assert unanswered not in text


def test_every_event_of_the_timeline_prints_in_order(engine: Engine,
                                                     protocol: Protocol) -> None:
    case = worked_case(engine, protocol)
    text = whole_text(printout(case, protocol))
    timeline = paper_words(protocol, texts("en")).timeline(case)
    assert len(timeline) == 12
    positions = []
    for when, sentence in timeline:
        assert flat(sentence) in text, sentence
        positions.append(text.index(flat(sentence)))
        assert re.fullmatch(r"\w{3} \d{1,2} \w{3} \d{4}, \d{1,2}:\d\d [AP]M E[SD]?T", when)
    assert positions == sorted(positions)
    for expected in (
            "alice opened the case (Tip).",
            "alice added a note: Caller will call back tonight after 6 pm.",
            "alice referred the caller to Victim Rights Legal Clinic.",
            "turned out: reached: “Appointment Monday”.",
            "(due Wed 25 Nov 2026, 6:00 PM ET).",
            "alice completed the follow-up task: Call back at the safe number.",
            "bob accepted the case.",
            "carmen returned the case to bob: “Off shift tomorrow”.",
            "bob handed the case to the next shift's queue: “Night shift please”. "
            "Waiting to be accepted.",
            "alice attached a later contact to this case: “Same caller, new address”."):
        assert expected in text, expected


def test_confidential_with_the_case_number_on_every_page(engine: Engine,
                                                         protocol: Protocol) -> None:
    case = worked_case(engine, protocol)
    reader = printout(case, protocol)
    assert len(reader.pages) >= 2
    for page in reader.pages:
        page_text = flat(page.extract_text())
        assert "CONFIDENTIAL" in page_text
        assert f"Case {case['number']} · printed Tue 24 Nov 2026, 10:30 AM ET" in page_text
    assert reader.metadata is not None and reader.metadata.title == f"Case {case['number']}"


def test_spanish_printout(engine: Engine, protocol: Protocol) -> None:
    case = worked_case(engine, protocol)
    reader = printout(case, protocol, "es")
    text = whole_text(reader)
    for spanish in ("CONFIDENCIAL", f"Caso {case['number']}", "Cronología", "Tipo de solicitud",
                    "Name (dato personal)", "urgente", "alice abrió el caso (Tip).",
                    "carmen devolvió el caso a bob: «Off shift tomorrow».",
                    "mar 24 nov 2026, 10:30 a. m. ET", "Página 1 de"):
        assert spanish in text, spanish
    assert "Timeline" not in text and "opened the case" not in text


def test_an_old_case_without_the_newer_records_prints(protocol: Protocol) -> None:
    old = {"id": "5c8f3a9e-55b5-4f43-9d0e-3b7a4f0c1e2a", "created_at": "2025-02-03T14:00:00Z",
           "created_by": "dana", "call_type": "crisis", "urgency": "urgent", "status": "closed",
           "answers": {"caller_type": "potential-victim", "retired_field": "kept as stored"},
           "notes": [{"id": "n1", "text": "Found shelter.", "author": "dana",
                      "created_at": "not a time"}]}
    text = whole_text(printout(old, protocol))
    assert "Case 5c8f3a9e-55b5-4f43-9d0e-3b7a4f0c1e2a" in text
    assert "Potential victim" in text and "Other answers" in text
    assert "retired_field kept as stored" in text
    assert "— dana added a note: Found shelter." in text  # its time could not be read
    assert "dana opened the case (crisis)." in text


def handed(handoff_id: str, sender: str, receiver: str, at: str, **more: object) -> dict:
    return {"id": handoff_id, "from_user": sender, "to_user": receiver, "note": "",
            "created_at": at, "acknowledged_at": None, "acknowledged_by": None, **more}


def test_a_handoff_overtaken_by_a_later_one_names_the_later_one(protocol: Protocol) -> None:
    case = {"id": "c1", "created_at": "2026-11-24T14:00:00Z", "created_by": "dana",
            "call_type": "crisis", "assigned_to": "lee", "handoffs": [
                handed("h1", "dana", "tom", "2026-11-24T14:10:00Z", state="superseded"),
                handed("h2", "dana", "lee", "2026-11-24T14:20:00Z", state="pending")]}
    text = whole_text(printout(case, protocol))
    assert "dana handed the case to tom. Overtaken before it was answered: dana handed the " \
           "case on to lee." in text
    assert "nobody" not in text


def test_a_handoff_that_lost_a_race_names_who_held_the_case(protocol: Protocol) -> None:
    case = {"id": "c1", "created_at": "2026-11-24T14:00:00Z", "created_by": "dana",
            "call_type": "crisis", "assigned_to": "lee", "handoffs": [
                handed("h1", "bob", "lee", "2026-11-24T14:10:00Z", state="pending"),
                handed("h2", "dana", "tom", "2026-11-24T14:11:00Z", state="superseded",
                       lost_to="lee")]}
    text = whole_text(printout(case, protocol))
    assert "dana handed the case to tom. Not applied: lee already held the case." in text


def test_an_older_handoff_without_a_state_prints_as_what_happened(protocol: Protocol) -> None:
    case = {"id": "c1", "created_at": "2026-11-24T14:00:00Z", "created_by": "dana",
            "call_type": "crisis", "assigned_to": "carol", "handoffs": [
                handed("h1", "dana", "carol", "2026-11-24T14:10:00Z",
                       acknowledged_at="2026-11-24T14:30:00Z", acknowledged_by="carol"),
                handed("h2", "carol", "erin", "2026-11-24T15:10:00Z")]}
    text = whole_text(printout(case, protocol))
    assert "carol accepted the case." in text
    assert "carol handed the case to erin. Waiting to be accepted." in text


def test_written_to_a_path_atomically(engine: Engine, protocol: Protocol,
                                      tmp_path: Path) -> None:
    target = tmp_path / "prints" / "case.pdf"
    case_printout(worked_case(engine, protocol), protocol, target, now=PRINTED_AT)
    assert target.read_bytes().startswith(b"%PDF")
    assert [path.name for path in target.parent.iterdir()] == ["case.pdf"]


def test_unknown_language_is_a_print_error(engine: Engine, protocol: Protocol) -> None:
    with pytest.raises(PrintError, match="unknown print language"):
        case_printout(worked_case(engine, protocol), protocol, io.BytesIO(), language="fr")


def test_names_in_other_scripts_print_with_embedded_fonts(tmp_path: Path) -> None:
    """Chinese in the embedded fallback font; Arabic joined and in reading order."""
    import arabic_reshaper
    from bidi import get_display
    from pypdf import PdfReader

    from console.printing.base import FALLBACK_FONT, markup

    assert f'<font name="{FALLBACK_FONT}">王秀英</font>' in markup("Caller 王秀英")
    assert "&lt;b&gt;" in markup("<b>not markup</b>")
    out = tmp_path / "scripts.pdf"
    from console.printing.base import PageSetup, para, render, styles

    render([para("王秀英 — 김민지 — مريم — Ngọc", styles()["Body"])], PageSetup(title="t"), out)
    reader = PdfReader(out)
    text = reader.pages[0].extract_text()
    assert "王秀英" in text and "김민지" in text and "Ngọc" in text
    joined = arabic_reshaper.reshape("مريم")  # letters in their joined forms
    assert joined in text or get_display(joined) in text  # text extraction may reorder it
    fonts = [font.get_object() for font in reader.pages[0]["/Resources"]["/Font"].values()]
    names = {str(font["/BaseFont"]) for font in fonts}
    assert any("WenQuanYi" in name for name in names), names
    assert all("/FontFile2" in font["/FontDescriptor"].get_object() for font in fonts)
