"""The strip above the intake tabs that says when this contact may be about an earlier case.

As the specialist types the caller's phone, a tip's venue or a vehicle, the answers are compared
with the workstation's cases off the GUI thread (``console.cases.repeat``); a possible match is
shown as one calm line with two buttons, to open the earlier case or attach this call to it.
Nothing is linked unless the specialist asks: a match is a hint, not a decision.
"""

from __future__ import annotations

import copy
import logging

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from console.cases.changes import parse_time
from console.cases.repeat import RepeatMatch, find_repeats
from console.protocol import Answers
from console.ui.cases.services import HOTLINE_LOCALE, CaseServices
from console.ui.taskman import Lane, TaskManager

CHECK_KEY = "repeat-contacts"
CHECK_DELAY_MS = 300  # typing a phone number is one check, not one per digit
SHOWN_MATCHES = 3
ATTACHED_MARK = "✓ Attached"

log = logging.getLogger(__name__)


class RepeatStrip(QFrame):
    """Possible earlier contacts for the call on screen; hidden while there are none."""

    sig_open_case = Signal(str)
    """The specialist asked to open an earlier case (its id)."""

    sig_attach = Signal(str)
    """The specialist asked to attach this call to an earlier case (the earlier case's id)."""

    sig_checked = Signal(int)
    """A check finished and its matches are on screen (how many were found)."""

    def __init__(self, services: CaseServices, tasks: TaskManager,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("repeatStrip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Possible earlier contacts")
        self._services, self._tasks = services, tasks
        self._case_id = ""
        self._answers: Answers = {}
        self._attached: set[str] = set()
        self._matches: list[RepeatMatch] = []
        self._body = QWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self._body)
        self._pending = QTimer(self, singleShot=True, interval=CHECK_DELAY_MS)
        self._pending.timeout.connect(self._run_check)
        self.hide()

    # -- public slots -----------------------------------------------------------------------

    def check(self, case_id: str, answers: Answers) -> None:
        """Look for earlier cases matching ``answers`` of the call ``case_id`` (shortly after
        the last of several calls; only the newest check is shown)."""
        if case_id != self._case_id:
            self._attached.clear()
        self._case_id = case_id
        self._answers = copy.deepcopy(answers)  # the form goes on editing its own copy
        self._pending.start()

    @Slot()
    def clear(self) -> None:
        """Forget the call (it ended) and hide the strip."""
        self._pending.stop()
        self._case_id, self._answers = "", {}
        self._attached.clear()
        self._show([])

    def matches(self) -> list[RepeatMatch]:
        """Every match of the newest check, including those beyond the lines shown."""
        return list(self._matches)

    # -- checking ---------------------------------------------------------------------------

    @Slot()
    def _run_check(self) -> None:
        engine, case_id, answers = self._services.cases.engine, self._case_id, self._answers
        self._tasks.run_latest(CHECK_KEY, lambda: find_repeats(engine, answers, case_id),
                               self._show, self._check_failed, lane=Lane.BACKGROUND)

    def _check_failed(self, error: Exception) -> None:
        # A hint that cannot be computed is no reason to interrupt a call: log it, show nothing.
        log.warning("checking for earlier contacts failed", exc_info=error)
        self._show([])

    def _show(self, matches: list[RepeatMatch]) -> None:
        self._matches = list(matches)
        self._body.hide()  # at once; it is deleted once its own events are done
        self._body.deleteLater()
        self._body = self._lines(matches)
        self.layout().addWidget(self._body)
        self._body.show()  # now, not on the layout's next turn: the signal below says so
        self.setVisible(bool(matches))
        self.sig_checked.emit(len(matches))

    def _lines(self, matches: list[RepeatMatch]) -> QWidget:
        """One line per match shown, each with its two buttons."""
        body = QWidget()
        grid = QGridLayout(body)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        for row, match in enumerate(matches[:SHOWN_MATCHES]):
            for column, widget in enumerate(self._match_line(match)):
                grid.addWidget(widget, row, column)
        if len(matches) > SHOWN_MATCHES:
            more = QLabel(f"and {len(matches) - SHOWN_MATCHES} more")
            more.setAccessibleName("More possible earlier contacts")
            grid.addWidget(more, SHOWN_MATCHES, 0)
        # The text takes the room and wraps only when the window is narrow; the buttons line
        # up at the right, one pair per line.
        grid.setColumnStretch(0, 1)
        return body

    # -- one match --------------------------------------------------------------------------

    def _match_line(self, match: RepeatMatch) -> tuple[QWidget, QWidget, QWidget]:
        text = QLabel(self.describe(match))
        text.setWordWrap(True)  # a match with many reasons must not widen the call page
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text.setAccessibleName(f"Possible earlier contact: case {match.number}")
        open_button = QPushButton("Open")
        open_button.setAccessibleName(f"Open case {match.number}")
        open_button.setToolTip(f"Open case {match.number} to read it")
        open_button.clicked.connect(lambda: self.sig_open_case.emit(match.case_id))
        attach = QPushButton("Attach this call")
        attach.setAccessibleName(f"Attach this call to case {match.number}")
        attach.setToolTip(f"Link this call to case {match.number} as another contact about it")
        attach.clicked.connect(lambda: self._attach(match, attach))
        if match.case_id in self._attached:
            self._mark_attached(attach)
        return text, open_button, attach

    def describe(self, match: RepeatMatch) -> str:
        """ "Possible earlier contact: case K7QD2X-0042 (tip, 12 Nov) — same caller phone"."""
        when = self._day(match.created_at)
        about = ", ".join(part for part in (match.call_type, when) if part)
        case = f"case {match.number}" + (f" ({about})" if about else "")
        return f"Possible earlier contact: {case} — {match.reason}"

    def _day(self, created_at: str | None) -> str:
        moment = parse_time(created_at)
        if moment is None:
            return ""
        chart = self._services.protocol.service_chart
        day = chart.hotline_time(moment)
        this_year = chart.hotline_time(self._services.clock()).year
        # The hotline's English whatever the workstation's language: "12 Nov", "12 Nov 2024".
        pattern = "d MMM" if day.year == this_year else "d MMM yyyy"
        return HOTLINE_LOCALE.toString(day.date(), pattern)

    def _attach(self, match: RepeatMatch, button: QPushButton) -> None:
        self._attached.add(match.case_id)
        self._mark_attached(button)
        self.sig_attach.emit(match.case_id)

    @staticmethod
    def _mark_attached(button: QPushButton) -> None:
        button.setText(ATTACHED_MARK)
        button.setEnabled(False)
