"""``hotline sheet`` and ``hotline downtime-pack``: printed documents from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path


def _cmd_sheet(args: argparse.Namespace) -> int:
    from console.directory.store import open_local_directory
    from console.printing import PrintError
    from console.printing.sheet import ReferralSheetOptions, referral_sheet, sheet_services

    service_ids = [part for part in args.services.split(",") if part.strip()]
    services = sheet_services(open_local_directory(), service_ids, caller_zip=args.zip)
    if args.no_hotline and not args.discreet:
        raise PrintError("--no-hotline needs --discreet (a plain sheet always gives the "
                         "hotline's number)")
    options = ReferralSheetOptions(language=args.language, discreet=args.discreet,
                                   large_print=args.large, without_hotline=args.no_hotline)
    referral_sheet(services, options, Path(args.out))
    print(f"wrote a referral sheet of {len(services)} services to {args.out}")
    return 0


def _add_sheet(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sheet = commands.add_parser("sheet", help="print a referral sheet (PDF) for services")
    sheet.add_argument("--services", required=True, metavar="ID[,ID…]",
                       help="directory service ids, in the order to print them")
    sheet.add_argument("--zip", help="caller's ZIP code, for distances (not printed)")
    sheet.add_argument("--language", choices=("en", "es"), default="en")
    sheet.add_argument("--discreet", action="store_true",
                       help="neutral title, no mention of trafficking or the hotline's name")
    sheet.add_argument("--no-hotline", action="store_true",
                       help="with --discreet: leave out the hotline's number")
    sheet.add_argument("--large", action="store_true", help="large print")
    sheet.add_argument("--out", required=True, metavar="FILE.pdf")
    sheet.set_defaults(handler=_cmd_sheet)


def _cmd_downtime_pack(args: argparse.Namespace) -> int:
    from console.directory.store import open_local_directory
    from console.printing.downtime import downtime_pack, state_name
    from console.protocol import load_protocol

    state = state_name(args.state)  # an unknown state fails before the directory is opened
    downtime_pack(load_protocol(), open_local_directory(), args.state, Path(args.out))
    print(f"wrote the downtime pack for {state} to {args.out}")
    return 0


def _add_downtime_pack(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    pack = commands.add_parser(
        "downtime-pack", help="print blank intake forms and a state's top referrals (PDF)")
    pack.add_argument("--state", required=True, help="two-letter state, e.g. TX")
    pack.add_argument("--out", required=True, metavar="FILE.pdf")
    pack.set_defaults(handler=_cmd_downtime_pack)


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    _add_sheet(commands)
    _add_downtime_pack(commands)
