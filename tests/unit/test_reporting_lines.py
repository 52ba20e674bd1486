"""Which reporting lines a mandated report goes to: a directory search the protocol describes."""

from __future__ import annotations

from console.directory.search import SearchQuery, SearchResult
from console.intake.reporting import reporting_line_query, reporting_lines_text
from console.protocol import evaluate, load_protocol


def line(name: str, phone: str | None, open_24h: bool = True) -> SearchResult:
    return SearchResult(service_id=name, service_name=name, organization_name="State CPS",
                        phone=phone, address=None, confidential=False, city=None, state="TX",
                        postal_code=None, distance_miles=None, serves_caller_area=True,
                        open_now=True, open_24h=open_24h, hours_today="8 AM – 5 PM")


def test_the_search_follows_the_checklist_and_the_situations_state() -> None:
    protocol = load_protocol()

    def query(answers: dict) -> SearchQuery | None:
        return reporting_line_query(protocol, answers, evaluate(protocol, "tip", answers))

    assert query({"situation_state": "TX"}) is None  # no minor: no checklist, no search
    assert query({"minors_involved": "yes"}) is None  # no state yet
    assert query({"minors_involved": "yes", "caller_state": "OK"}) == SearchQuery(
        category="reporting-line", state="OK", limit=3)
    # Where the child is comes before where the caller is.
    assert query({"minors_involved": "yes", "caller_state": "OK",
                  "situation_state": "TX"}).state == "TX"


def test_the_lines_in_words() -> None:
    text = reporting_lines_text("TX", [line("Texas Abuse Hotline", "(800) 555-0123"),
                                       line("County intake", None, open_24h=False)])
    assert text.splitlines() == [
        "Reporting lines for Texas:",
        "• Texas Abuse Hotline (State CPS): (800) 555-0123 — 24 hours",
        "• County intake (State CPS): no phone listed — 8 AM – 5 PM"]
    assert reporting_lines_text("TX", []).startswith("The directory lists no reporting line "
                                                     "for Texas.")
