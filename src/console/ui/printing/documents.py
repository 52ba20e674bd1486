"""The console's printed documents, each opened in the print dialog from where it belongs.

Every builder here is a plain function run by the dialog on a worker lane: it reads the stores
itself (never the GUI thread) and returns the PDF. The document modules (reportlab and the
directory's tables) are imported there too, on the worker, the first time a document is built.
Printing or saving a document about a case leaves an audit event.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from console import settings
from console.app import Workstation
from console.printing import PrintError
from console.tasks import TaskState
from console.ui.printing.dialog import Build, OptionsSpec, PrintDialog, PrintOptions
from console.ui.taskman import TaskManager

SHEET_OPTIONS = OptionsSpec(language=True, discreet=True, large_print=True)
NO_OPTIONS = OptionsSpec()
Audit = Callable[[str, str | None, str], None]


class Documents:
    """Opens the print dialog for the referral sheet, a case printout or the shift packet."""

    def __init__(self, workstation: Workstation, tasks: TaskManager, audit: Audit,
                 parent: QWidget) -> None:
        self._workstation, self._tasks, self._audit, self._parent = (
            workstation, tasks, audit, parent)

    def referral_sheet(self, case_id: str, caller_zip: str | None) -> None:
        """The services given on a case, for the caller: no name, no personal answer."""
        workstation = self._workstation

        def build(options: PrintOptions, _state: TaskState) -> bytes:
            from console.models.database import directory_for_one_task
            from console.printing.sheet import ReferralSheetOptions, sheet_for_case

            case = self._case(case_id)
            if not case["referrals"]:
                raise PrintError("No services are on this caller's sheet yet: add them from "
                                 "the Referrals tab (Enter or Ctrl+R on a result).")
            out = BytesIO()
            with directory_for_one_task(settings.directory_db_path()) as directory:
                sheet_for_case(case, directory, ReferralSheetOptions(
                    options.language, options.discreet, options.large_print,
                    options.without_hotline), out,
                    caller_zip=caller_zip, chart=workstation.protocol.service_chart)
            return out.getvalue()

        self._open("Referral sheet", build, SHEET_OPTIONS, case_id)

    def case_printout(self, case_id: str) -> None:
        """The whole case for a supervisor, marked confidential."""
        protocol = self._workstation.protocol

        def build(_options: PrintOptions, _state: TaskState) -> bytes:
            from console.printing.casefile import case_printout

            out = BytesIO()
            case_printout(self._case(case_id), protocol, out)
            return out.getvalue()

        self._open("Case printout", build, NO_OPTIONS, case_id)

    def shift_packet(self) -> None:
        engine, protocol = self._workstation.cases.engine, self._workstation.protocol

        def build(_options: PrintOptions, state: TaskState) -> bytes:
            from console.printing.packet import shift_packet

            out = BytesIO()
            shift_packet(engine, out, protocol=protocol, state=state)
            return out.getvalue()

        self._open("Shift handoff packet", build, NO_OPTIONS, None)

    def _case(self, case_id: str) -> dict:  # type: ignore[type-arg]
        case = self._workstation.cases.get(case_id)
        if case is None:
            raise PrintError("This case is no longer on this workstation.")
        return case

    def _open(self, title: str, build: Build, options: OptionsSpec,
              case_id: str | None) -> None:
        action = "cases.print" if case_id is None else "case.print"
        dialog = PrintDialog(self._tasks, title, build, options,
                             lambda how: self._audit(action, case_id, f"{title}: {how}"),
                             self._parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one per print, not kept
        dialog.open()
