"""Case list, search and repeat-contact speed on a workstation holding many cases.

    python benchmarks/cases.py --cases 50000

The case store is filled once with synthetic cases of a year of calls (40 specialists, a few
dozen workstations; crises, tips, referral and information requests, hang-ups; notes,
referrals, handoffs accepted, returned or still waiting, follow-up tasks, callers who call
again). Every case is built with the real ``apply_change`` from the changes a workstation would
make, dated across the year (``CaseStore``'s own methods stamp the present time), and written
with ``CaseStore._write_case`` in one transaction, so the rows are what the console would hold.
The store is cached under ``benchmarks/.data``, keyed on the code.

Then, at a fixed "now", it times every case list view (p95 over users and repeats), searches as
specialists type them (case numbers, phone numbers in any format, names, places, words), the
repeat-contact check, and writing one case. Bar: list and search p95 ≤ 50 ms at 50,000 cases,
on an encrypted (SQLCipher) store as the console keeps them.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATA, code_version, percentile, report, say, timed_ms
from console.cases.changes import NEXT_SHIFT, Case, apply_change, new_change, new_id
from console.cases.listing import VIEWS, CaseList, CaseQuery
from console.cases.repeat import find_repeats
from console.cases.store import CROCKFORD, CaseStore
from console.models.database import open_case_store
from console.protocol import load_protocol
from console.protocol.calendar import ServiceChart

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday, 10 AM on the hotline's clock
YEAR = timedelta(days=365)
RECENT = timedelta(days=14)
PROGRESS_EVERY = 5000
FIRST_NAMES = ("Maria", "Jose", "Ana", "Luis", "Carmen", "Juan", "Rosa", "Carlos", "Linh",
               "Minh", "Wei", "Mei", "Ji-woo", "Min-jun", "Olena", "Ivan", "Fatima", "Omar",
               "Grace", "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael",
               "Aisha", "Kwame", "Esperanza", "Guadalupe", "Marisol", "Rafael", "Tomas",
               "Nadia", "Samuel", "Ruth", "Daniel", "Sofia", "Elena", "David")
LAST_NAMES = ("Gonzalez", "Hernandez", "Garcia", "Martinez", "Lopez", "Rodriguez", "Perez",
              "Nguyen", "Tran", "Pham", "Chen", "Wang", "Li", "Kim", "Park", "Lee", "Smith",
              "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Moore",
              "Taylor", "Anderson", "Thomas", "Jackson", "White", "Harris", "Martin",
              "Thompson", "Robinson", "Clark", "Lewis", "Walker", "Hall", "Young", "Allen",
              "Kovalenko", "Shevchenko", "Okafor", "Mensah", "Haddad", "Rahman", "Santos")
CITIES = (("Houston", "TX", "77002"), ("Dallas", "TX", "75201"), ("San Antonio", "TX", "78205"),
          ("El Paso", "TX", "79901"), ("Los Angeles", "CA", "90012"), ("Fresno", "CA", "93721"),
          ("San Diego", "CA", "92101"), ("Oakland", "CA", "94612"), ("New York", "NY", "10001"),
          ("Queens", "NY", "11354"), ("Miami", "FL", "33130"), ("Orlando", "FL", "32801"),
          ("Immokalee", "FL", "34142"), ("Atlanta", "GA", "30303"), ("Chicago", "IL", "60601"),
          ("Newark", "NJ", "07102"), ("Phoenix", "AZ", "85004"), ("Las Vegas", "NV", "89101"),
          ("Seattle", "WA", "98101"), ("Denver", "CO", "80202"), ("Charlotte", "NC", "28202"),
          ("Columbus", "OH", "43215"), ("Detroit", "MI", "48226"), ("Nashville", "TN", "37203"),
          ("New Orleans", "LA", "70112"), ("Baltimore", "MD", "21202"),
          ("Washington", "DC", "20001"), ("Boston", "MA", "02108"),
          ("Minneapolis", "MN", "55401"), ("Oklahoma City", "OK", "73102"))
AREA_CODES = ("713", "832", "214", "210", "915", "213", "559", "619", "510", "212", "718", "305",
              "407", "239", "404", "312", "973", "602", "702", "206", "303", "704", "614", "313",
              "615", "504", "410", "202", "617", "612", "405")
VENUE_WORDS = ("Golden", "Lucky", "Sunrise", "Royal", "Happy", "Jade", "Silver", "Star",
               "Pearl", "Lotus", "Paradise", "Ocean", "Crystal", "Diamond", "Blue Moon", "Palm",
               "Orchid", "Phoenix", "Dragon", "Tropical", "Sunset", "Eagle", "Rainbow", "Oasis",
               "Magnolia", "Liberty", "Mountain View", "Riverside", "Green Valley", "El Sol")
VENUE_KINDS = ("Spa", "Massage", "Nail Salon", "Motel", "Inn", "Restaurant", "Bar", "Cantina",
               "Farm", "Dairy", "Construction", "Cleaning Services", "Landscaping", "Karaoke",
               "Night Club", "Buffet", "Health Center", "Foot Massage", "Truck Stop", "Ranch")
STREETS = ("Main", "Oak", "Bellaire", "Harwin", "Washington", "Lincoln", "Park", "Lake",
           "Broadway", "Market", "Airline", "Westheimer", "Buford", "Pacific", "Canal",
           "Flagler", "Colfax", "Halsted", "Aurora", "Federal")
STREET_TYPES = ("St", "Ave", "Blvd", "Rd", "Dr", "Hwy")
COLORS = ("white", "black", "silver", "gray", "red", "blue", "dark green", "tan")
VEHICLES = ("Ford Transit van", "Chevy Express van", "Toyota Camry", "Honda Odyssey",
            "Nissan Altima", "Ford F-150 pickup", "Dodge Ram pickup", "GMC Savana van",
            "Toyota Sienna", "Chevy Tahoe", "Hyundai Sonata", "box truck", "school bus")
SITUATIONS = (
    "Workers live at the {kind_lower} and are not allowed to leave; a manager keeps their "
    "passports.",
    "A girl who looks about 16 is brought to the {kind_lower} every night by an older man.",
    "Farm workers say they owe thousands for transport and are paid nothing until it is "
    "repaid.",
    "Women are driven from the {kind_lower} to apartments in a {vehicle} at night.",
    "Caller was recruited for a cleaning job abroad; her employer took her documents and "
    "threatens to call immigration.",
    "Men sleep in a trailer behind the {kind_lower}, work 14 hours a day and are watched.",
    "A neighbor sees young women arriving with luggage and never leaving alone.",
    "Caller's cousin works at the {kind_lower} for tips only and is told she owes rent and "
    "fees.",
)
SUMMARIES = ("Tip about possible labor trafficking at {venue} in {city}",
             "Possible sex trafficking of a minor at {venue}",
             "Caller needs shelter tonight in {city}", "Survivor asks for legal help with a T visa",
             "Law enforcement officer asks for guidance on an open case",
             "Service provider requests training materials",
             "Caller asks what the signs of trafficking are",
             "Domestic worker held by employer in {city}",
             "Caller wants to report a {vehicle} moving workers at night",
             "Referral for case management and counseling in {city}")
NOTES = ("Called back, no answer; left no message per safety plan.",
         "Caller safe for now; will call again tomorrow evening.",
         "Gave referrals for emergency shelter and legal services.",
         "Law enforcement contacted with caller's consent.",
         "Caller asked us to use the code word before speaking.",
         "Spoke with the shelter intake coordinator; bed available.",
         "Interpreter used (Spanish).", "Supervisor consulted about mandatory reporting.",
         "Caller gave another number: {phone}.")
TASKS = ("Call back at the safe number", "Email training materials", "Check referral outcome",
         "Follow up with shelter intake", "Send report to law enforcement (consent given)")
CALLER_TYPES = ("potential-victim", "community-member", "law-enforcement",
                "service-provider", "medical-professional", "legal-professional", "other")
# (request type, share of contacts)
REQUEST_MIX = (("crisis", 10), ("tip", 25), ("referral-urgent", 8), ("referral-non-urgent", 14),
               ("ta-urgent", 3), ("ta-non-urgent", 7), ("general-information", 17),
               ("hang-up", 8), ("silent", 4), ("wrong-number", 3), ("prank", 1))
SITUATION_TYPES = frozenset({"crisis", "tip", "referral-urgent"})
REPEAT_SHARE = 0.08


@dataclass
class World:
    """Everything the generated cases draw from, seeded, and what earlier cases said."""

    rng: random.Random
    chart: ServiceChart
    protocol: str
    request_types: dict[str, Any]
    specialists: list[str]
    workstations: list[str]
    venues: list[str]
    vehicles: list[str]
    counters: Counter[str] = field(default_factory=Counter)
    earlier: list[dict[str, Any]] = field(default_factory=list)  # answers to call again about


def make_world(seed: int) -> World:
    rng = random.Random(seed)
    protocol = load_protocol()
    specialists = sorted({f"{rng.choice(FIRST_NAMES).lower()}.{rng.choice(LAST_NAMES).lower()}"
                          for _ in range(60)})[:40]
    workstations = ["".join(rng.choice(CROCKFORD) for _ in range(6)) for _ in range(24)]
    venues = sorted({f"{rng.choice(VENUE_WORDS)} {rng.choice(VENUE_KINDS)}"
                     for _ in range(1500)} | {f"{rng.choice(LAST_NAMES)} {kind}"
                                              for kind in ("Farms", "Dairy", "Construction")})
    vehicles = [f"{rng.choice(COLORS)} {rng.choice(VEHICLES)}"
                + (f", plate {plate(rng)}" if rng.random() < 0.5 else "") for _ in range(1500)]
    kinds = {kind.id: kind for kind in protocol.request_types}
    return World(rng, protocol.service_chart, protocol.label, kinds, specialists, workstations,
                 venues, vehicles)


def plate(rng: random.Random) -> str:
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
    return f"{letters}{rng.randrange(1000, 10000)}"


def phone(rng: random.Random) -> str:
    return f"({rng.choice(AREA_CODES)}) {rng.randrange(200, 1000)}-{rng.randrange(10000):04d}"


def reformat_phone(text: str, rng: random.Random) -> str:
    """The same number as another person would write it down."""
    digits = "".join(ch for ch in text if ch.isdigit())[-10:]
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    return rng.choice((f"{area}-{exchange}-{line}", f"{area}.{exchange}.{line}",
                       f"+1 {area} {exchange} {line}", f"1{digits}", f"({area}){exchange}{line}"))


def misspell(name: str, rng: random.Random) -> str:
    at = rng.randrange(1, len(name) - 1)
    return name[:at] + name[at + 1:] if rng.random() < 0.5 else name[:at] + name[at] + name[at:]


def answers_for(world: World, request_type: str) -> dict[str, Any]:
    """What a specialist records on the call; sometimes a caller or place seen before."""
    rng = world.rng
    city, state, zip_code = rng.choice(CITIES)
    answers: dict[str, Any] = {"caller_type": rng.choice(CALLER_TYPES),
                               "caller_state": state, "caller_zip": zip_code}
    if rng.random() < 0.8:
        answers["caller_phone"] = phone(rng)
    if rng.random() < 0.6:
        answers["caller_name"] = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    if request_type in SITUATION_TYPES:
        venue, vehicle = rng.choice(world.venues), rng.choice(world.vehicles)
        answers.update(city=city, situation_state=state, venue=venue,
                       what_is_happening=rng.choice(SITUATIONS).format(
                           kind_lower=venue.split()[-1].lower(), vehicle=vehicle),
                       location_description=f"behind the {venue.split()[-1].lower()} on "
                       f"{rng.choice(STREETS)} {rng.choice(STREET_TYPES)}",
                       trafficking_type=[rng.choice(("labor", "sex", "unclear"))])
        if rng.random() < 0.3:
            answers["vehicle"] = vehicle
        if rng.random() < 0.2:
            answers["suspect_phone"] = phone(rng)
    if world.earlier and rng.random() < REPEAT_SHARE:
        answers.update(rng.choice(world.earlier))  # the same caller or place again
    elif rng.random() < 0.05:
        world.earlier.append({key: answers[key] for key in
                              ("caller_phone", "caller_name", "venue", "vehicle")
                              if key in answers})
    return answers


@dataclass
class Draft:
    """A case being built change by change, as its workstation would have made them."""

    case: Case | None
    actor: str
    at: datetime

    def apply(self, kind: str, payload: dict[str, Any], actor: str | None = None,
              after: timedelta = timedelta(minutes=3)) -> None:
        self.at = min(self.at + after, NOW - timedelta(minutes=1))
        case_id = self.case["id"] if self.case else new_id()
        change = new_change(kind, case_id, payload, at=self.at.isoformat())
        self.case = apply_change(self.case, change, actor or self.actor).case


def make_case(world: World, created: datetime) -> Case:
    rng = world.rng
    kind = world.request_types[rng.choices([name for name, _ in REQUEST_MIX],
                                           [share for _, share in REQUEST_MIX])[0]]
    creator = rng.choice(world.specialists)
    code = rng.choice(world.workstations)
    world.counters[code] += 1
    due = world.chart.due(kind.urgency, created)
    answers = {} if kind.no_data else answers_for(world, kind.id)
    draft = Draft(None, creator, created - timedelta(minutes=3))
    place = answers.get("city") or answers.get("caller_state", "")
    summary = kind.label if kind.no_data else rng.choice(SUMMARIES).format(
        venue=answers.get("venue", "a business"), city=place,
        vehicle=answers.get("vehicle", "van"))
    draft.apply("create", {
        "call_type": kind.call_type, "urgency": kind.urgency,
        "status": "closed" if kind.no_data else "open", "summary": summary,
        "number": f"{code}-{world.counters[code]:04d}", "request_type": kind.id,
        "protocol": world.protocol, "due_at": None if kind.no_data else due.due_at.isoformat(),
        "taken_as_message": due.taken_as_message and not kind.no_data, "answers": answers})
    if not kind.no_data:
        follow_up(world, draft, recent=NOW - created < RECENT)
    assert draft.case is not None
    return draft.case


def follow_up(world: World, draft: Draft, recent: bool) -> None:
    """Notes, referrals, handoffs, tasks and the status the case has reached by now."""
    rng = world.rng
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        draft.apply("add_note", {"id": new_id(), "text": rng.choice(NOTES).format(
            phone=phone(rng))})
    if rng.random() < 0.4:
        referral = {"id": new_id(), "service_id": new_id(), "service_name": "Local services"}
        draft.apply("add_referral", referral)
        if not recent:
            draft.apply("referral_outcome", {"referral_id": referral["id"], "outcome": rng.choice(
                ("reached", "not reached", "services received", "declined")), "note": ""})
    if rng.random() < 0.12:
        hand_off(world, draft, recent)
    status = rng.choices(("closed", "awaiting follow-up", "referred", "open"),
                         (45, 25, 10, 20) if recent else (90, 6, 4, 0))[0]
    if status != "closed" and rng.random() < 0.3:
        task = {"id": new_id(), "text": rng.choice(TASKS),
                "due_at": (NOW + timedelta(hours=rng.uniform(-48, 72))).isoformat()}
        draft.apply("add_task", task)
    if status != "open":
        draft.apply("update", {"fields": {"status": {"from": "open", "to": status}}},
                    after=timedelta(minutes=rng.randrange(5, 600)))


def hand_off(world: World, draft: Draft, recent: bool) -> None:
    rng = world.rng
    assert draft.case is not None
    holder = draft.case["assigned_to"]
    receiver = NEXT_SHIFT if recent and rng.random() < 0.1 else rng.choice(world.specialists)
    handoff_id = new_id()
    draft.apply("hand_off", {"id": handoff_id, "to_user": receiver, "from_assignee": holder,
                             "note": "Please call back after 6 PM at the safe number."},
                actor=holder, after=timedelta(hours=rng.uniform(0.5, 8)))
    if recent and rng.random() < 0.5:
        return  # still waiting for someone to accept it
    taker = rng.choice(world.specialists) if receiver == NEXT_SHIFT else receiver
    if receiver != NEXT_SHIFT and rng.random() < 0.1:
        draft.apply("return_handoff", {"handoff_id": handoff_id,
                                       "reason": "Off shift tomorrow; please reassign."},
                    actor=taker)
    else:
        draft.apply("acknowledge_handoff", {"handoff_id": handoff_id}, actor=taker)


def generate(world: World, count: int) -> Iterator[Case]:
    starts = sorted(NOW - YEAR * world.rng.random() for _ in range(count))
    for created in starts:
        yield make_case(world, created)


# The console's case stores are encrypted (SQLCipher); the benchmark's is too, under a fixed key
# so that the cached store opens again. ``--plain`` times a plain store for comparison.
BENCHMARK_KEY = bytes(range(32))


def filled_store(count: int, seed: int, key: bytes | None = BENCHMARK_KEY
                 ) -> tuple[Engine, float | None]:
    """The cached store of ``count`` cases (filled now if missing); seconds spent filling."""
    DATA.mkdir(exist_ok=True)
    kind = "encrypted" if key is not None else "plain"
    path = DATA / f"cases-{kind}-{count}-{seed}-{code_version()}.sqlite"
    ready = path.with_suffix(".ready")
    if ready.exists():
        return open_case_store(path, key), None
    for stale in DATA.glob(f"cases-{kind}-{count}-{seed}-*"):
        stale.unlink()
    engine = open_case_store(path, key)
    world = make_world(seed)
    start = time.perf_counter()
    with CaseStore(engine, "benchmark").transaction() as connection:
        for written, case in enumerate(generate(world, count), start=1):
            CaseStore._write_case(connection, case, case["version"])
            if written % PROGRESS_EVERY == 0:
                say(f"  {written:,} cases")
    ready.touch()
    return engine, time.perf_counter() - start


# --- what is timed ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    """Facts of the filled store the queries are drawn from."""

    users: list[str]
    handed_users: list[str]
    numbers: list[str]
    phones: list[str]
    names: list[str]
    venues: list[str]
    vehicles: list[str]


def sample(engine: Engine, rng: random.Random, size: int = 400) -> Sample:
    """Users and facts to search for, drawn from about 1 case in 100. The users are those with
    a middling number of open cases: realistic, neither the busiest nor the idlest."""
    with engine.connect() as connection:
        docs = [json.loads(doc) for doc in connection.exec_driver_sql(
            "SELECT doc FROM local_case WHERE rowid % 97 = 0").scalars()]
        handed = connection.exec_driver_sql(
            "SELECT DISTINCT pending_handoff_to FROM local_case WHERE pending_handoff_to "
            "IS NOT NULL AND pending_handoff_to != ?", (NEXT_SHIFT,)).scalars().all()
        by_load = connection.exec_driver_sql(
            "SELECT assigned_to FROM local_case WHERE status != 'closed' AND assigned_to != ? "
            "GROUP BY assigned_to ORDER BY count(*)", (NEXT_SHIFT,)).scalars().all()
    rng.shuffle(docs)

    def answered(key: str) -> list[str]:
        return [doc["answers"][key] for doc in docs if doc["answers"].get(key)][:size]

    quarter = len(by_load) // 4
    users = list(by_load[quarter:len(by_load) - quarter]) or list(by_load)
    return Sample(users, list(handed) or users, [doc["number"] for doc in docs][:size],
                  answered("caller_phone"), answered("caller_name"), answered("venue"),
                  answered("vehicle"))


def search_texts(facts: Sample, rng: random.Random) -> dict[str, list[str]]:
    """What specialists type into the search box, by kind."""
    return {
        "number": [rng.choice((number[:4], number[:6], number, number[:9]))
                   for number in facts.numbers],
        "phone": [rng.choice((phone_text, reformat_phone(phone_text, rng), phone_text[-8:]))
                  for phone_text in facts.phones],
        "name": [rng.choice((name, name.split()[-1], name.split()[0][:3],
                             f"{name.split()[0]} {name.split()[-1][:2]}"))
                 for name in facts.names],
        "place": [rng.choice((city, f"{city} {state}", zip_code, state, "Texas"))
                  for city, state, zip_code in (rng.choice(CITIES) for _ in facts.names)],
        "words": [rng.choice(("passports", "motel", "massage", "farm workers", "shelter ton",
                              "van at night", "visa", "code word", "interp", "owe rent",
                              venue.split()[0]))
                  for venue in facts.venues],
    }


def repeat_answers(facts: Sample, rng: random.Random, count: int) -> list[dict[str, Any]]:
    """A new contact's answers: often about a caller or place already on record, in other
    words; sometimes about nothing seen before."""
    answers = []
    for _ in range(count):
        given: dict[str, Any] = {"caller_phone": reformat_phone(rng.choice(facts.phones), rng)
                                 if rng.random() < 0.5 else phone(rng)}
        if rng.random() < 0.6:
            name = rng.choice(facts.names)
            given["caller_name"] = misspell(name, rng) if rng.random() < 0.5 else name
        if rng.random() < 0.5:
            given["venue"] = rng.choice(facts.venues)
        if rng.random() < 0.3:
            given["vehicle"] = rng.choice(facts.vehicles)
        answers.append(given)
    return answers


def p95(times: list[float]) -> float:
    return round(percentile(times, 0.95), 2)


def timed_views(listing: CaseList, facts: Sample, rng: random.Random,
                rounds: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """List and count times of every view, for a spread of users."""
    lists: dict[str, list[float]] = {view: [] for view in VIEWS}
    counts: dict[str, list[float]] = {view: [] for view in VIEWS}
    for _ in range(rounds):
        for view in VIEWS:
            user = rng.choice(facts.handed_users if view == "handed_to_me" else facts.users)
            query = CaseQuery(view=view)
            lists[view].append(timed_ms(lambda q=query, u=user: listing.list(q, u, NOW)))
            counts[view].append(timed_ms(lambda q=query, u=user: listing.count(q, u, NOW)))
    return lists, counts


def timed_searches(listing: CaseList, texts: dict[str, list[str]], facts: Sample,
                   rng: random.Random) -> tuple[dict[str, list[float]], int]:
    """Times of each search (in the views people search most), and how many found a case."""
    times: dict[str, list[float]] = {kind: [] for kind in texts}
    found = 0
    for kind, typed in texts.items():
        for words in typed:
            query = CaseQuery(view=rng.choice(("all", "all", "all_open", "mine")), text=words)
            rows: list[Any] = []
            user = rng.choice(facts.users)
            times[kind].append(timed_ms(lambda q=query, u=user, out=rows: out.extend(
                listing.list(q, u, NOW))))
            found += bool(rows)
    return times, found


def timed_writes(engine: Engine, count: int) -> list[float]:
    """Writing cases again as the sync client does, rolled back to leave the store as it was."""
    with engine.connect() as connection:
        cases = [json.loads(doc) for doc in connection.exec_driver_sql(
            "SELECT doc FROM local_case ORDER BY random() LIMIT ?", (count,)).scalars()]
    times = []
    with engine.connect() as connection:
        transaction = connection.begin()
        for case in cases:
            times.append(timed_ms(lambda c=case: CaseStore._write_case(connection, c,
                                                                        c["version"])))
        transaction.rollback()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=30, help="times each view is listed")
    parser.add_argument("--plain", action="store_true", help="an unencrypted store instead")
    args = parser.parse_args()
    say(f"{'plain' if args.plain else 'encrypted'} case store of {args.cases:,} cases")
    engine, fill_seconds = filled_store(args.cases, args.seed,
                                        None if args.plain else BENCHMARK_KEY)
    listing, rng = CaseList(engine), random.Random(17)
    facts = sample(engine, rng)
    for view in VIEWS:  # warm caches the way a running console has them
        listing.list(CaseQuery(view=view), facts.users[0], NOW)
    say("timing views, searches, repeat checks and writes")
    lists, counts = timed_views(listing, facts, rng, args.rounds)
    searches, found = timed_searches(listing, search_texts(facts, rng), facts, rng)
    repeats = [timed_ms(lambda a=given: find_repeats(engine, a))
               for given in repeat_answers(facts, rng, 200)]
    writes = timed_writes(engine, 500)
    figures: dict[str, object] = {
        "cases": args.cases,
        "encrypted": not args.plain,
        "list_p95_ms": p95([t for times in lists.values() for t in times]),
        "search_p95_ms": p95([t for times in searches.values() for t in times]),
        "repeat_p95_ms": p95(repeats),
        "count_p95_ms": p95([t for times in counts.values() for t in times]),
        "write_case_p50_ms": round(percentile(writes, 0.5), 3),
        "views_p95_ms": {view: p95(times) for view, times in lists.items()},
        "searches_p95_ms": {kind: p95(times) for kind, times in searches.items()},
        "searches_with_results": round(found / sum(map(len, searches.values())), 2),
    }
    if fill_seconds is not None:
        figures["fill_seconds"] = round(fill_seconds, 1)
    engine.dispose()
    report(figures)


if __name__ == "__main__":
    main()
