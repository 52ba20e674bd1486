"""The shift handoff packet read back from its PDF: each specialist's open cases, what falls due
this shift and the handoffs waiting for them, the next shift's queue and the shift's counts;
table headers repeat on every page and no row is split across two."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from console.cases.changes import NEXT_SHIFT, Case, apply_change, new_change, new_id
from console.cases.store import CaseStore
from console.printing.packet import shift_packet
from console.protocol import load_protocol
from console.tasks import Cancelled

NOW = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)  # Tue 5 PM ET: the evening shift, 3–11 PM
CASE_HEADER = "Case Urgency Status About Due (ET)"
MANY = 60  # enough of one specialist's cases to fill more than a page


def received(store: CaseStore, holder: str, number: str, *, urgency: str = "non-urgent",
             due_in: timedelta = timedelta(days=2), status: str = "open",
             summary: str = "", task_due_in: timedelta | None = None,
             handed_to: str | None = None) -> Case:
    """A case ``holder`` took two hours ago (as the server sends it), due ``due_in`` from now,
    optionally with a follow-up task and a handoff still waiting for its receiver."""
    created = NOW - timedelta(hours=2)

    def change(kind: str, payload: dict[str, Any], case: Case | None) -> Case:
        made = new_change(kind, case["id"] if case else new_id(), payload,
                          at=(created + timedelta(minutes=5)).isoformat())
        return apply_change(case, made, holder).case

    case = change("create", {
        "call_type": "tip", "urgency": urgency, "status": status, "request_type": "tip",
        "number": number, "summary": summary or f"Tip number {number}",
        "due_at": (NOW + due_in).isoformat(),
        "answers": {"caller_type": "community-member", "caller_state": "TX"}}, None)
    if task_due_in is not None:
        case = change("add_task", {"id": new_id(), "text": "Call back",
                                   "due_at": (NOW + task_due_in).isoformat()}, case)
    if handed_to is not None:
        case = change("hand_off", {"id": new_id(), "to_user": handed_to, "note": "Yours now",
                                   "from_assignee": holder}, case)
    store.apply_server_cases([case], "1")
    return case


@pytest.fixture
def store(engine: Engine) -> CaseStore:
    return CaseStore(engine, "supervisor")


@pytest.fixture
def evening(store: CaseStore) -> None:
    received(store, "alice", "ALICE0-0001", urgency="urgent", due_in=timedelta(hours=1),
             summary="Caller needs shelter tonight in Houston")
    received(store, "alice", "ALICE0-0002", due_in=timedelta(days=1),
             task_due_in=timedelta(hours=3))
    received(store, "alice", "ALICE0-0003", due_in=-timedelta(hours=10))
    received(store, "alice", "ALICE0-0004", status="closed")
    received(store, "bob", "BOB000-0001")
    received(store, "alice", "HANDED-0001", handed_to="bob", summary="Handed from alice")
    received(store, "dana", "QUEUED-0001", handed_to=NEXT_SHIFT, summary="Waiting for nights")


def packet(engine: Engine) -> PdfReader:
    out = io.BytesIO()
    shift_packet(engine, out, now=NOW, protocol=load_protocol())
    return PdfReader(io.BytesIO(out.getvalue()))


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def whole_text(reader: PdfReader) -> str:
    return flat(" ".join(page.extract_text() for page in reader.pages))


def section(text: str, start: str, end: str) -> str:
    """The text from ``start`` up to ``end`` (both must be there)."""
    first = text.index(start)
    return text[first:text.index(end, first)]


@pytest.mark.usefixtures("evening")
def test_each_specialist_has_their_open_cases(engine: Engine) -> None:
    text = whole_text(packet(engine))
    assert "Shift handoff packet" in text
    assert "Evening shift, Tue 24 Nov. Printed Tue 24 Nov 2026, 5:00 PM ET." in text
    alice = section(text, "alice Open cases: 3 · Urgent: 1 · Due this shift: 2 · "
                          "Handoffs waiting: 0", "bob Open cases:")
    for number in ("ALICE0-0001", "ALICE0-0002", "ALICE0-0003"):
        assert number in alice
    assert "ALICE0-0004" not in text  # closed
    assert "Overdue since Tue 24 Nov, 7:00 AM" in alice
    assert "Caller needs shelter tonight in Houston" in alice
    bob = section(text, "bob Open cases: 2 · Urgent: 0 · Due this shift: 0 · "
                        "Handoffs waiting: 1", "Next shift's queue Cases handed")
    assert "BOB000-0001" in bob and "HANDED-0001" in bob
    assert "ALICE0" not in bob


@pytest.mark.usefixtures("evening")
def test_deadlines_of_the_shift_and_unaccepted_handoffs(engine: Engine) -> None:
    text = whole_text(packet(engine))
    alice = section(text, "alice Open cases:", "bob Open cases:")
    due = section(alice, "Due before this shift ends", "Handed to them, not yet accepted")
    assert "ALICE0-0001 Tue 24 Nov, 6:00 PM Response urgent" in due
    assert "ALICE0-0002 Tue 24 Nov, 8:00 PM Follow-up task non-urgent" in due
    assert "ALICE0-0003" not in due  # overdue from before the shift began
    assert "Handed to them, not yet accepted None." in alice
    bob = section(text, "bob Open cases:", "Next shift's queue Cases handed")
    waiting = bob[bob.index("Handed to them, not yet accepted"):]
    assert "HANDED-0001" in waiting and "BOB000-0001" not in waiting


@pytest.mark.usefixtures("evening")
def test_the_queue_and_the_counts(engine: Engine) -> None:
    text = whole_text(packet(engine))
    overview = section(text, "Who holds what", "alice Open cases:")
    assert "alice 3 1 2 0" in overview and "bob 2 0 0 1" in overview
    assert "Next shift's queue 1 0 0 1" in overview
    queue = section(text, "Next shift's queue Cases handed", "Contacts this shift and today")
    assert "QUEUED-0001" in queue and "Waiting for nights" in queue
    counts = text[text.index("Contacts this shift and today"):]
    assert "Counted by Value Evening shift Tue 24 Nov" in counts
    assert "All contacts 7 7" in counts
    assert "Request type Tip 7 7" in counts
    assert "Caller type Community member 7 7" in counts and "State Texas 7 7" in counts


def test_headers_repeat_and_rows_never_split(store: CaseStore, engine: Engine) -> None:
    titles = {f"CAROL0-{index:04d}": f"Long report {index} " + "with many words " * 4
              for index in range(1, MANY + 1)}
    for number, title in titles.items():
        received(store, "carol", number, summary=title)
    reader = packet(engine)
    pages = [flat(page.extract_text()) for page in reader.pages]
    assert len(pages) >= 3
    for page_text in pages:
        assert "CONFIDENTIAL" in page_text
        assert "Shift handoff packet · Evening shift, Tue 24 Nov" in page_text
    continued = [page_text for page_text in pages[1:] if "CAROL0-" in page_text]
    assert len(continued) >= 2
    for page_text in continued:
        assert page_text.index(CASE_HEADER) < page_text.index("CAROL0-")
    for number, title in titles.items():
        # A row kept whole has its case number and all of its title on one page.
        assert any(number in page and flat(title) in page for page in pages), number


def test_an_empty_store_prints_a_packet_that_says_so(engine: Engine) -> None:
    text = whole_text(packet(engine))
    assert "Next shift's queue" in text and "None." in text and "All contacts 0 0" in text


@pytest.mark.usefixtures("evening")
def test_mandated_steps_left_undone_open_the_packet(engine: Engine, store: CaseStore) -> None:
    assert "Mandated steps outstanding" in whole_text(packet(engine))
    assert "No mandated" not in whole_text(packet(engine))
    case = received(store, "alice", "MINOR0-0001", urgency="urgent", status="closed")
    alice = CaseStore(engine, "alice")
    alice.add_task(case["id"], "Mandated step not done on the call: Report to child "
                   "protective services in the state", (NOW + timedelta(hours=2)).isoformat(),
                   mandated_step="child-protective-services")
    text = whole_text(packet(engine))
    mandated = section(text, "Mandated steps outstanding", "Who holds what")
    assert "Case Step Due (ET) Specialist" in mandated
    assert ("MINOR0-0001 Mandated step not done on the call: Report to child protective "
            "services in the state Tue 24 Nov, 7:00 PM alice") in mandated
    assert text.index("Mandated steps outstanding") < text.index("Who holds what")


@pytest.mark.usefixtures("evening")
def test_urgent_cases_come_first_then_by_time_owed(engine: Engine) -> None:
    alice = section(whole_text(packet(engine)), "alice Open cases:", "Due before this shift")
    positions = [alice.index(number) for number in ("ALICE0-0001", "ALICE0-0003",
                                                    "ALICE0-0002")]
    assert positions == sorted(positions)  # urgent, then overdue, then due tomorrow


def test_handoff_notes_are_printed_with_their_cases(engine: Engine, store: CaseStore) -> None:
    received(store, "alice", "CPS000-0001", urgency="urgent", handed_to="bob",
             summary="Minor at a motel")
    alice = CaseStore(engine, "alice")
    case = alice.list_cases()[0]
    alice.hand_off(case["id"], "bob", "CPS report NOT yet made — do first")
    bob = section(whole_text(packet(engine)), "bob Open cases:", "Next shift's queue")
    assert "Minor at a motel · TX — Handoff note: CPS report NOT yet made — do first" in bob


class StopAfter:
    """A task state that notes each report and asks to stop after ``reports`` of them."""

    def __init__(self, reports: int) -> None:
        self.reports, self.seen = reports, []

    def progress(self, stage: str, done: int, total: int) -> None:
        self.seen.append((stage, done, total))

    def cancelled(self) -> bool:
        return len(self.seen) >= self.reports


@pytest.mark.usefixtures("evening")
def test_the_packet_reports_each_specialist_and_stops_when_asked(engine: Engine) -> None:
    whole = StopAfter(reports=100)
    shift_packet(engine, io.BytesIO(), now=NOW, protocol=load_protocol(), state=whole)
    assert whole.seen == [("each specialist's cases", done, 2) for done in (0, 1, 2)]

    stopped, out = StopAfter(reports=2), io.BytesIO()
    with pytest.raises(Cancelled):
        shift_packet(engine, out, now=NOW, protocol=load_protocol(), state=stopped)
    assert out.getvalue() == b""
