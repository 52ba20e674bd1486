"""``hotline directory``: import, export, validate and search the local directory."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from console.terminal import TerminalProgress, add_import_source_options

if TYPE_CHECKING:  # the directory's modules load only for the action that uses them
    from console.directory.query import SearchQuery, SearchResult


# Exit status of an import that stored what it could but skipped or left out something.
EXIT_IMPORTED_WITH_LOSSES = 3


def _cmd_import(args: argparse.Namespace) -> int:
    from console.directory.loader import StrictImportRefused
    from console.directory.store import import_path, open_local_directory

    engine = open_local_directory(seed_demo=False)
    progress = TerminalProgress()
    try:
        report = import_path(engine, Path(args.path), progress, replace=args.replace,
                             source=args.source, strict=args.strict)
    except StrictImportRefused as refused:
        progress.close()
        for line in refused.report.lines():
            print(line)
        raise
    finally:
        progress.close()
    for line in report.lines():
        print(line)
    print(f"done: {report.imported['service']:,} services imported, "
          f"{report.total_skipped:,} records skipped, "
          f"{len(report.dropped):,} fields or tables not kept")
    return EXIT_IMPORTED_WITH_LOSSES if report.anything_lost else 0


def _cmd_export(args: argparse.Namespace) -> int:
    from console.directory.export import export_csv, export_json
    from console.directory.store import open_local_directory

    engine = open_local_directory()
    progress = TerminalProgress()
    try:
        writer = export_json if args.format == "json" else export_csv
        count = writer(engine, Path(args.out), progress)
    finally:
        progress.close()
    print(f"exported {count:,} services to {args.out}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from console.directory.export import validate_path

    problems = validate_path(Path(args.path))
    for problem in problems[:args.show]:
        print(problem)
    if len(problems) > args.show:
        print(f"… and {len(problems) - args.show:,} more")
    print(f"{len(problems):,} problems" if problems else "valid HSDS 3.0")
    return 1 if problems else 0


def _query(args: argparse.Namespace, text: str) -> SearchQuery:
    from console.directory.search import DEFAULT_LIMIT, SearchError, SearchQuery

    open_at = None
    if args.open_at:
        try:
            open_at = datetime.fromisoformat(args.open_at)
        except ValueError as error:
            raise SearchError(f"--open-at wants an ISO time such as 2026-11-24T19:00: {error}") \
                from None
    return SearchQuery(
        text=text, zip_code=args.zip, radius_miles=args.radius, state=args.state,
        category=args.category, language=args.language, population=args.population,
        age=args.age, open_now=args.open_now, open_at=open_at, only_24h=args.only_24h,
        limit=DEFAULT_LIMIT if args.limit is None else args.limit)


def _print_results(results: list[SearchResult], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"results": [r.to_dict() for r in results]}, ensure_ascii=False))
        return
    if not results:
        print("No services found. Try fewer words or filters, or a larger radius.")
    for number, r in enumerate(results, start=1):
        where = r.address_text
        if r.confidential:
            where = "address confidential (" + ", ".join(p for p in (r.city, r.state) if p) + ")"
        distance = (f" · {r.distance_miles:g} mi" if r.distance_miles is not None
                    else " · serves your area" if r.serves_caller_area else "")
        status = "open now" if r.open_now else "closed now"
        today = ("closed today" if r.hours_today == "Closed"
                 else r.hours_today if not r.hours_listed
                 else f"Today: {r.hours_today} ({status})")
        print(f"{number:>2}. {r.service_name} — {r.organization_name}")
        print(f"    {r.phone or 'no phone listed'} · {where}{distance}")
        verified = f" · verified {r.last_verified}" if r.last_verified else ""
        languages = ", ".join(r.languages) or "languages unknown"
        print(f"    {today} · {languages}{verified}")


def _cmd_search(args: argparse.Namespace) -> int:
    from console.directory.search import DirectorySearch
    from console.directory.store import open_local_directory

    search = DirectorySearch(open_local_directory())
    try:
        _print_results(search.search(_query(args, " ".join(args.text))), args.json)
    finally:
        search.close()
    return 0


def _cmd_lookup(args: argparse.Namespace) -> int:
    """A terminal lookup: type words, read results; an empty line or end of input quits."""
    from console.directory.search import DirectorySearch, SearchError
    from console.directory.store import open_local_directory

    search = DirectorySearch(open_local_directory())
    print("Referral directory search. Type words and press Enter; an empty line quits.")
    try:
        for line in sys.stdin:
            if not line.strip():
                break
            try:
                _print_results(search.search(_query(args, line.strip())), args.json)
            except SearchError as error:
                print(f"error: {error}")
            print()
    finally:
        search.close()
    return 0


def _add_search_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="*", default=[], help="words to look for")
    parser.add_argument("--zip", help="caller's ZIP code: nearest first")
    parser.add_argument("--radius", type=float, help="miles from --zip (default 50)")
    parser.add_argument("--state", help="two-letter state, e.g. TX")
    parser.add_argument("--category", help="service category code or name, e.g. legal")
    parser.add_argument("--language", help="language code or name, e.g. es or Spanish")
    parser.add_argument("--population", help="population served, e.g. minors")
    parser.add_argument("--age", type=int, help="the person's age")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--open-now", action="store_true", help="open at this moment")
    when.add_argument("--open-at", help="open at an ISO time (no zone: each service's own)")
    parser.add_argument("--24h", dest="only_24h", action="store_true", help="24-hour services")
    parser.add_argument("--limit", type=int, help="most results shown")
    parser.add_argument("--json", action="store_true", help='print {"results": [...]}')


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    directory = commands.add_parser("directory", help="the referral directory")
    actions = directory.add_subparsers(dest="action", required=True)

    importer = actions.add_parser(
        "import", help="import HSDS 3.0 JSON/NDJSON, an HSDS 3.0 CSV package or HSDS 1.1 CSV")
    importer.add_argument("path", help="file, folder or .zip")
    add_import_source_options(importer)
    importer.add_argument("--strict", action="store_true",
                          help="import nothing if any record or field would be skipped")
    importer.set_defaults(handler=_cmd_import)

    exporter = actions.add_parser("export", help="export the directory as HSDS 3.0")
    exporter.add_argument("--format", choices=("json", "csv"), default="json")
    exporter.add_argument("out", help="a .json/.ndjson file, or a folder for csv")
    exporter.set_defaults(handler=_cmd_export)

    validator = actions.add_parser(
        "validate", help="check HSDS 3.0 JSON/NDJSON files (a file or a folder of them) against "
                         "the HSDS 3.0 schemas")
    validator.add_argument("path")
    validator.add_argument("--show", type=int, default=20, help="most problems printed")
    validator.set_defaults(handler=_cmd_validate)

    searcher = actions.add_parser("search", help="search the local directory")
    _add_search_arguments(searcher)
    searcher.set_defaults(handler=_cmd_search)

    lookup = actions.add_parser("lookup", help="search interactively in a terminal")
    _add_search_arguments(lookup)
    lookup.set_defaults(handler=_cmd_lookup)
