"""Printing speed: a referral sheet of ten services and a shift packet of 200 open cases.

    python benchmarks/print.py

The sheet takes ten services of the demo directory (the one a new workstation starts with); the
packet reads a temporary case store holding 200 open cases of one busy evening: eight
specialists, the next shift's queue, deadlines and follow-up tasks falling in the shift, handoffs
waiting to be accepted. Each case is built with the real ``apply_change`` from the changes a
workstation makes, so the store holds what the console would. Times are medians (the sheet over
several runs, the packet over three). Bars: sheet ≤ 150 ms, packet ≤ 2 s.
"""

from __future__ import annotations

import io
import os
import random
import statistics
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pypdf import PdfReader

from common import report, say, timed_ms
from console import settings
from console.cases.changes import NEXT_SHIFT, Case, apply_change, new_change, new_id
from console.cases.store import CaseStore
from console.directory.search import DirectorySearch, SearchQuery
from console.directory.store import open_local_directory
from console.models.database import open_case_store
from console.printing.packet import shift_packet
from console.printing.sheet import ReferralSheetOptions, referral_sheet, sheet_services
from console.protocol import load_protocol

NOW = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)  # a Tuesday, 5 PM: the evening shift
TODAY = date(2026, 11, 24)
SHEET_RUNS = 7
PACKET_RUNS = 3
PACKET_CASES = 200
SPECIALISTS = ("alice", "bob", "carmen", "dmitri", "esther", "farid", "grace", "hoang")
REQUEST_TYPES = (("crisis", "crisis", "urgent"), ("tip", "tip", "non-urgent"),
                 ("referral-urgent", "service referral", "urgent"),
                 ("referral-non-urgent", "service referral", "non-urgent"),
                 ("general-information", "general information", "non-urgent"))
PLACES = (("Houston", "TX"), ("Miami", "FL"), ("Fresno", "CA"), ("Queens", "NY"),
          ("Atlanta", "GA"), ("Denver", "CO"), ("Seattle", "WA"), ("Newark", "NJ"))
SUMMARIES = ("Workers at a {city} motel are not allowed to leave; a manager keeps passports",
             "Caller needs shelter tonight in {city}",
             "Survivor asks for legal help with a T visa",
             "Young women driven to apartments in {city} at night",
             "Farm workers say they owe thousands for transport")


class Draft:
    """One case being built from the changes its workstation would send, at given times."""

    def __init__(self, actor: str, created: datetime, payload: dict[str, Any]) -> None:
        self.actor = actor
        self.case = apply_change(None, new_change("create", new_id(), payload,
                                                  at=created.isoformat()), actor).case

    def apply(self, kind: str, payload: dict[str, Any], at: datetime) -> None:
        change = new_change(kind, self.case["id"], {"id": new_id(), **payload},
                            at=at.isoformat())
        self.case = apply_change(self.case, change, self.actor).case


def evening_case(rng: random.Random, number: int) -> Case:
    """An open case of the evening: some due in the shift, some handed on, some with tasks."""
    actor = rng.choice(SPECIALISTS)
    request_type, call_type, urgency = rng.choice(REQUEST_TYPES)
    city, state = rng.choice(PLACES)
    created = NOW - timedelta(hours=rng.uniform(1, 72))
    summary = rng.choice(SUMMARIES).format(city=city)
    draft = Draft(actor, created, {
        "call_type": call_type, "urgency": urgency, "status": "open", "summary": summary,
        "request_type": request_type, "number": f"BENCH1-{number:04d}",
        "due_at": (NOW + timedelta(hours=rng.uniform(-6, 30))).isoformat(),
        "answers": {"caller_type": "community-member", "caller_state": state, "city": city,
                    "summary": summary}})
    later = created + timedelta(minutes=20)
    if rng.random() < 0.4:
        draft.apply("add_task", {"text": "Call back at the safe number",
                                 "due_at": (NOW + timedelta(hours=rng.uniform(0, 5))).isoformat()},
                    later)
    roll = rng.random()
    if roll < 0.1:
        draft.apply("hand_off", {"to_user": NEXT_SHIFT, "note": "For the night shift",
                                 "from_assignee": actor}, later)
    elif roll < 0.25:
        receiver = rng.choice([name for name in SPECIALISTS if name != actor])
        draft.apply("hand_off", {"to_user": receiver, "note": "Please follow up",
                                 "from_assignee": actor}, later)
    return draft.case


def timed_median(action: Callable[[], object], runs: int) -> float:
    return statistics.median(timed_ms(action) for _ in range(runs))


def sheet_ms() -> float:
    engine = open_local_directory()
    search = DirectorySearch(engine)
    try:
        ids = [result.service_id for result in search.search(SearchQuery(limit=10))]
    finally:
        search.close()
    say(f"sheet: {len(ids)} services of the demo directory, median of {SHEET_RUNS} runs")

    def build() -> None:
        services = sheet_services(engine, ids, today=TODAY)
        referral_sheet(services, ReferralSheetOptions(), io.BytesIO(), today=TODAY)

    build()  # fonts and translations load once per process, not per sheet
    return timed_median(build, SHEET_RUNS)


def packet_ms() -> tuple[float, int]:
    """The packet's median time and its number of pages."""
    engine = open_case_store(settings.case_db_path())
    rng = random.Random(7)
    CaseStore(engine, "benchmark").apply_server_cases(
        [evening_case(rng, number) for number in range(1, PACKET_CASES + 1)], "1")
    protocol = load_protocol()
    say(f"packet: {PACKET_CASES} open cases, median of {PACKET_RUNS} runs")
    buffer = io.BytesIO()

    def build() -> None:
        buffer.seek(0)
        buffer.truncate()
        shift_packet(engine, buffer, now=NOW, protocol=protocol)

    try:
        elapsed = timed_median(build, PACKET_RUNS)
    finally:
        engine.dispose()
    return elapsed, len(PdfReader(io.BytesIO(buffer.getvalue())).pages)


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["HOTLINE_HOME"] = home  # a scratch profile: the demo directory, no cases
        sheet = sheet_ms()
        say(f"sheet of 10 services: {sheet:.0f} ms")
        packet, pages = packet_ms()
        say(f"packet of {PACKET_CASES} cases ({pages} pages): {packet:.0f} ms")
    report({"sheet_10_ms": round(sheet, 1), "packet_200_cases_ms": round(packet, 1),
            "packet_pages": pages})


if __name__ == "__main__":
    main()
