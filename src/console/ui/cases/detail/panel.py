"""One case in full, for reading it and working it across shifts.

The header says what the case is, how urgent, who has it and when it is due; below it, anything
that waits for the person (a case handed to them, a case in the next shift's queue, two changes
that met) sits above the tabs, so nobody has to look for it. The tabs hold the intake answers,
the case's story by time, its referrals with their outcomes, its follow-up tasks and its notes.

Reads run on the "background" lane and every change on the "writes" lane, in order; after each
change, made here or brought by a sync (``CaseEvents``), the case is read again, so the screen
shows what the store holds, never a guess.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QLabel,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.cases.changes import (
    Case,
)
from console.cases.store import CaseStore
from console.ui.cases.detail.conflicts import ConflictsBox
from console.ui.cases.detail.handoff_banner import HandoffBanner
from console.ui.cases.detail.header import CaseHeader
from console.ui.cases.detail.notes import NotesSection
from console.ui.cases.detail.pages import overview_html, timeline_html
from console.ui.cases.detail.parts import browser, column
from console.ui.cases.detail.referrals import ReferralsSection
from console.ui.cases.detail.tasks import TasksSection
from console.ui.cases.handoff_dialog import HandoffDialog
from console.ui.cases.services import CaseServices
from console.ui.labels import describe
from console.ui.taskman import Lane, TaskManager

LOAD_KEY = "case-detail"
NO_CASE_MESSAGE = "Choose a case from the list to see it here."
MISSING_CASE_MESSAGE = "This case is not on this workstation (it may not have arrived yet)."

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Loaded:
    case: Case | None
    conflicts: list[dict[str, Any]]


class CaseDetail(QWidget):
    """Shows one case (``show_case``) and makes the changes the person asks for."""

    sig_shown = Signal(str)
    """The case with this id is on screen, freshly read (after opening it or a change)."""

    def __init__(self, services: CaseServices, tasks: TaskManager,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services, self._tasks = services, tasks
        self._words = services.words
        self._case: Case | None = None
        self._case_id: str | None = None
        self._handoff_dialog: HandoffDialog | None = None
        self._build()
        self._connect()
        services.events.sig_cases_changed.connect(self._cases_changed)

    # -- public -----------------------------------------------------------------------------

    @property
    def case_id(self) -> str | None:
        """The case on screen, if any."""
        return self._case_id

    def show_case(self, case_id: str) -> None:
        """Open a case: read it off the GUI thread and note the view in the audit log."""
        if case_id != self._case_id:
            self.problem.hide()
            for typed in (self.follow_up.text, self.notes.text):
                typed.clear()  # words meant for the case shown before
        self._case_id = case_id
        record = self._services.record_audit
        self._tasks.run(lambda: record("case.view", case_id, ""), lane=Lane.WRITES,
                        on_error=lambda error: log.error("could not record a case view",
                                                         exc_info=error))
        self._load()

    def open_handoff(self) -> HandoffDialog | None:
        """Open the handoff dialog for the case on screen (window-modal; returns at once)."""
        if self._case is None:
            return None
        if self._handoff_dialog is not None:
            # Kept until now, not deleted on closing: the people it offers may still be on
            # their way back from the background lane.
            self._handoff_dialog.deleteLater()
        dialog = self._handoff_dialog = HandoffDialog(self._services, self._tasks, self._case,
                                                      self)
        case_id = self._case["id"]
        dialog.sig_handed_off.connect(lambda _case: self._stored(case_id))
        dialog.open()
        return dialog

    # -- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        words = self._words
        self.header = CaseHeader(words, self._services)
        self.handoff_banner = HandoffBanner(words)
        self.conflicts = ConflictsBox(words)
        self.problem = QLabel()
        self.problem.setObjectName("fieldWarning")
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setAccessibleName("Problem")
        self.problem.hide()
        self.overview = browser("Case answers", "The summary and the intake answers")
        self.timeline = browser("Timeline", "Everything that happened to the case, by time")
        self.referrals = ReferralsSection(words)
        self.follow_up = TasksSection(words, self._services)
        self.notes = NotesSection(words)
        self.tabs = QTabWidget()
        for page, title in ((self.overview, "&Overview"), (self.timeline, "T&imeline"),
                            (self.referrals, "Re&ferrals"), (self.follow_up, "Follow-u&p tasks"),
                            (self.notes, "&Notes")):
            self.tabs.addTab(page, title)
        # The tab widget hands its focus to its tab bar; left in the Tab chain it would send
        # Tab from the last section back to the tab bar instead of on to the next control.
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        describe(self.tabs.tabBar(), "Case sections",
                 "Overview, timeline, referrals, follow-up tasks and notes; "
                 "Ctrl+Tab moves between them")
        self._empty = QLabel(NO_CASE_MESSAGE)
        self._empty.setObjectName("notice")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self._empty.setWordWrap(True)
        self._empty.setAccessibleName("No case")
        self._pages = QStackedWidget()
        self._pages.addWidget(column(self._empty))
        self._pages.addWidget(column(self.header, self.handoff_banner, self.conflicts,
                                     self.problem, self.tabs, stretch=self.tabs))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._pages)
        self._set_tab_order()

    def _set_tab_order(self) -> None:
        header, banner, referrals = self.header, self.handoff_banner, self.referrals
        tasks, notes = self.follow_up, self.notes
        chain = (header.status, header.hand_off, header.kind, banner.accept, banner.give_back,
                 banner.take, banner.reason, banner.send_back, banner.cancel, self.tabs.tabBar(),
                 self.overview, self.timeline, referrals.table, referrals.outcome,
                 referrals.note, referrals.record, tasks.table, tasks.done, tasks.text, tasks.due,
                 tasks.custom, tasks.add, notes.notes, notes.text, notes.save)
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _connect(self) -> None:
        header, banner = self.header, self.handoff_banner
        header.sig_status.connect(lambda status: self._change(
            "change the status", lambda cases, case_id: cases.edit(case_id, status=status)))
        header.sig_hand_off.connect(self.open_handoff)
        header.sig_retype.connect(lambda kind: self._change(
            "change the contact type",
            lambda _cases, case_id: self._services.retype and self._services.retype(
                case_id, kind)))
        banner.sig_accept.connect(lambda handoff_id: self._change(
            "accept the case",
            lambda cases, case_id: cases.acknowledge_handoff(case_id, handoff_id)))
        banner.sig_return.connect(lambda handoff_id, reason: self._change(
            "return the case",
            lambda cases, case_id: cases.return_handoff(case_id, handoff_id, reason)))
        self.conflicts.sig_keep.connect(lambda conflict_id, value: self._change(
            "settle the conflict", lambda cases, _case_id: cases.resolve_conflict(
                conflict_id, value)))
        self.referrals.sig_outcome.connect(lambda referral_id, outcome, note: self._change(
            "record the outcome", lambda cases, case_id: cases.record_outcome(
                case_id, referral_id, outcome, note)))
        self.follow_up.sig_add.connect(lambda text, due_at: self._change(
            "add the task", lambda cases, case_id: cases.add_task(case_id, text, due_at),
            self.follow_up.text.clear))
        self.follow_up.sig_done.connect(lambda task_id: self._change(
            "mark the task done", lambda cases, case_id: cases.complete_task(case_id, task_id)))
        self.follow_up.sig_problem.connect(self._show_problem)
        self.notes.sig_add.connect(lambda text: self._change(
            "save the note", lambda cases, case_id: cases.add_note(case_id, text),
            self.notes.text.clear))

    # -- reading ----------------------------------------------------------------------------

    def _load(self) -> None:
        case_id, cases = self._case_id, self._services.cases
        if case_id is None:
            return
        self._tasks.run_latest(LOAD_KEY, lambda: _Loaded(cases.get(case_id),
                                                         cases.conflicts(case_id)),
                               lambda loaded: self._show(case_id, loaded),
                               lambda error: self._show_problem(
                                   f"The case could not be read just now: {error}"),
                               lane=Lane.BACKGROUND, owner=self)

    def _show(self, case_id: str, loaded: _Loaded) -> None:
        if case_id != self._case_id:
            return
        self._case = loaded.case
        if loaded.case is None:
            self._empty.setText(MISSING_CASE_MESSAGE)
            self._pages.setCurrentIndex(0)
            return
        now = self._services.clock()
        case = loaded.case
        self.header.show_case(case, now)
        self.handoff_banner.show_case(case)
        self.conflicts.show_conflicts(loaded.conflicts)
        for first, second in pairwise((self.handoff_banner.cancel, *self.conflicts.buttons,
                                       self.tabs.tabBar())):
            QWidget.setTabOrder(first, second)
        self.overview.setHtml(overview_html(self._words, case))
        self.timeline.setHtml(timeline_html(self._words, case))
        self.referrals.show_case(case)
        self.follow_up.show_case(case, now)
        self.notes.show_case(case)
        self._pages.setCurrentIndex(1)
        self.sig_shown.emit(case_id)

    # -- changing ---------------------------------------------------------------------------

    def _change(self, doing: str, change: Callable[[CaseStore, str], object],
                then: Callable[[], None] | None = None) -> None:
        """Make ``change`` on the "writes" lane; once stored, ``then`` (e.g. clear what was
        typed: kept until then, so a failed save loses nothing), read the case again, say so."""
        case_id, cases = self._case_id, self._services.cases
        if case_id is None:
            return
        self.problem.hide()

        def stored(_case: object) -> None:
            if then is not None and case_id == self._case_id:
                then()
            self._stored(case_id)

        self._tasks.run(lambda: change(cases, case_id), stored,
                        lambda error: self._failed(doing, error), lane=Lane.WRITES)

    def _stored(self, case_id: str) -> None:
        self._services.events.changed({case_id})  # every panel showing it reads it again

    @Slot(object)
    def _cases_changed(self, case_ids: frozenset[str]) -> None:
        """A save or a sync changed cases: read the one on screen again if it is among them."""
        if self._case_id in case_ids:
            self._load()

    def _failed(self, doing: str, error: Exception) -> None:
        log.warning("could not %s", doing, exc_info=error)
        self._show_problem(f"Could not {doing}: {error}")
        self._load()  # show what the store holds, not what was hoped for

    @Slot(str)
    def _show_problem(self, text: str) -> None:
        self.problem.setText(f"⚠ {text}")
        self.problem.show()
