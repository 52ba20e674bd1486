"""The call in progress: header, protocol tabs, referral search, and saving as it goes.

Every edit updates what the protocol makes of the call at once (visible fields, urgency, due
time: cheap, on the GUI thread) and schedules a save shortly after the typing pauses; saves run
in order on the "writes" lane, so the GUI never waits for the disk and no edit overtakes another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from console.cases.changes import Case
from console.directory.query import SearchQuery, SearchResult, ServicePlace
from console.intake.desk import (
    NO_FOLLOW_UP,
    REFERRAL_GIVEN,
    SUPERVISOR_QUESTION,
    URGENT,
    Call,
    CallDesk,
    Position,
    follow_supervisor_link,
)
from console.intake.fit import (
    GENDER_FIELD,
    LANGUAGE_FIELD,
    MINORS_FIELD,
    NEEDS_FIELD,
    fit_checks,
    intake_filters,
)
from console.intake.readback import answers_by_tab, still_owed
from console.intake.reporting import reporting_line_query, reporting_lines_text
from console.protocol import Evaluation
from console.protocol.calendar import caller_zone, zip_state
from console.ui.intake.fields import ChoiceEditor
from console.ui.intake.form import IntakeForm
from console.ui.intake.header import CallHeader
from console.ui.intake.readback import ReadBack
from console.ui.intake.repeat_strip import RepeatStrip
from console.ui.labels import MessageSlot
from console.ui.referral_search import ReferralSearchPanel, sheet_line, sheet_place
from console.ui.taskman import Lane, TaskManager

BANNER_LINES, BANNER_PADDING = 2, 20  # the alert slot's height: two lines, the style's padding
SAVE_DELAY_MS = 700  # after the typing pauses; a crash loses at most this much typing
REFERRALS_TAB, SUMMARY_TAB = "referrals", "summary"
ZIP_FIELD, CALLER_STATE_FIELD = "caller_zip", "caller_state"
NEXT_STEPS_FIELD = "next_steps"
SEARCH_FIELDS = (NEEDS_FIELD, LANGUAGE_FIELD, MINORS_FIELD, GENDER_FIELD)
NOT_SAFE_KEY = "F9"  # the window's "Caller not safe to talk" shortcut
REPORTING_NO_STATE = ("Reporting lines: choose the state where the child is (Situation tab) to "
                      "see the state's lines from the directory.")


class CallPage(QWidget):
    """Shows one call; ``open`` a call, ``finish`` it."""

    sig_saved = Signal(object)
    """A save reached the local store: the ids of the cases it changed (a tuple)."""

    sig_finished = Signal(object)
    """The call was finished and stored (the case)."""

    sig_failed = Signal(str)
    """A save failed; the message says what happened (the form keeps every answer)."""

    def __init__(self, desk: CallDesk, tasks: TaskManager, referrals: ReferralSearchPanel,
                 repeats: RepeatStrip,
                 directory: Callable[[SearchQuery], list[SearchResult]] | None = None,
                 places: Callable[[list[str]], dict[str, ServicePlace]] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.tasks, self.referrals, self.repeats = desk, tasks, referrals, repeats
        self._directory, self._places = directory, places
        self._reporting_for: SearchQuery | None = None
        self.call: Call | None = None
        self.header = CallHeader(desk.protocol.service_chart)
        # The alert banner has a slot of its own that is always there, blank when there is
        # nothing to say: an alert that appears never moves the field under the pointer.
        # Longer alerts end in "…", whole in the tooltip.
        self.banner = MessageSlot("alertBanner", BANNER_LINES, BANNER_PADDING)
        self.banner.setAccessibleName("Alert")
        self.banner.show_message("")
        self.sheet = QListWidget()
        self.sheet.setAccessibleName("Services on the referral sheet")
        # Each line whole, wrapped in the narrow column, never cut off behind a scroll bar.
        self.sheet.setWordWrap(True)
        self.sheet.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        sheet_box = QWidget()
        column = QVBoxLayout(sheet_box)
        column.setContentsMargins(0, 0, 0, 0)
        sheet_label = QLabel("On the referral &sheet")
        sheet_label.setBuddy(self.sheet)
        column.addWidget(sheet_label)
        column.addWidget(self.sheet)
        # The state's reporting lines sit beside the checklist, under the script, so showing
        # them never moves the field being worked on.
        self.reporting_lines = QLabel()
        self.reporting_lines.setObjectName("reportingLines")
        self.reporting_lines.setAccessibleName("Reporting lines")
        self.reporting_lines.setWordWrap(True)
        self.reporting_lines.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reporting_lines.hide()
        self.read_back = ReadBack()
        self.read_back.sig_go_to.connect(
            lambda field_id, option: self.form.go_to(self._tab_id(field_id), field_id, option))
        sides: dict[str, QWidget] = {REFERRALS_TAB: sheet_box, SUMMARY_TAB: self.read_back}
        if desk.protocol.reporting_lines is not None:
            sides[self._tab_id(desk.protocol.reporting_lines.checklist)] = self.reporting_lines
        self.form = IntakeForm(desk.protocol, {REFERRALS_TAB: referrals}, sides)
        safety = desk.protocol.safety_first
        if safety is not None:
            first = desk.protocol.field(safety.not_safe.plan[0]).label.lower()
            self.form.pages[self._tab_id(safety.ask_first[0])].script.show_note(
                f"Not safe to talk? Press {NOT_SAFE_KEY}: it records that and goes straight to "
                f"the {first}, the code word and what to do if the call must end.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.banner)
        layout.addWidget(self.form, 1)
        # Below the form, not above it: an earlier case found while typing never moves a field.
        layout.addWidget(repeats)
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save_now)
        self._position = Position(desk.protocol.tabs[0].id)
        self._zone_for: tuple[Any, Any] | None = None
        self._sheet_names: list[tuple[str, str]] = []  # (service id, name) as stored
        # The services on this call's sheet: (organization, town) to name them by, and why each
        # may not fit the person.
        self._on_sheet: dict[str, tuple[tuple[str, str], tuple[str, ...]]] = {}
        self.form.sig_answer_changed.connect(self._on_answer)
        self.form.sig_position_changed.connect(self._on_position)
        self.form.currentChanged.connect(lambda _index: self._read_back())
        referrals.sig_add_referral.connect(self.add_referral)

    # --- opening ---------------------------------------------------------------------------

    def open(self, call: Call) -> None:
        self.call = call
        self._reporting_for = None
        self.reporting_lines.setText(REPORTING_NO_STATE)
        # Nothing of the last caller carries over: search, filters, selection, sheet.
        self._zone_for = None
        self._on_sheet = {}
        self._sheet_names = []
        self.referrals.reset()
        self._position = call.position or Position(
            *self.desk.protocol.opening(call.request_type))
        kind = self.desk.protocol.request_type(call.request_type)
        self.header.start(kind.label, call.started_at, call.number)
        self.form.load(call.answers)
        self.banner.show_message("This call was recovered after the console closed unexpectedly; "
                          "every answer saved is here." if call.recovered else "")
        self._reevaluate()
        self._follow_caller_place()
        self._follow_intake()
        self.repeats.check(call.case_id, call.answers)
        self._show_sheet(self.desk.referrals(call))
        self._name_sheet_services()
        self.form.go_to(self._position.tab_id, self._position.field_id)

    # --- editing ---------------------------------------------------------------------------

    def _on_answer(self, field_id: str) -> None:
        if self.call is None:
            return
        self.call.answers[field_id] = self.form.answer(field_id)
        for linked, value in follow_supervisor_link(self.call.answers, field_id).items():
            self.form.set_answer(linked, value)  # reported back here as an edit of its own
        self._reevaluate()
        if field_id in (ZIP_FIELD, CALLER_STATE_FIELD):
            self._follow_caller_place()
        if field_id in SEARCH_FIELDS:
            self._follow_intake()
        self.repeats.check(self.call.case_id, self.call.answers)
        self._save_timer.start()

    def _on_position(self, tab_id: str, field_id: str) -> None:
        self._position = Position(tab_id, field_id or None)
        self._save_timer.start()

    def raise_urgency(self) -> None:
        if self.call is not None:
            self.call.raised_urgency = URGENT
            self._reevaluate()
            self.save_now()

    def _reevaluate(self) -> Evaluation | None:
        if self.call is None:
            return None
        evaluation = self.desk.evaluation(self.call)
        self.form.apply(evaluation)
        urgency = self.desk.settle_urgency(self.call, evaluation)
        reasons = evaluation.urgency_reasons
        if urgency == URGENT and evaluation.urgency != URGENT and not reasons:
            reasons = ("Raised during this call; it stays urgent",)
        self.header.show_urgency(urgency, reasons, self.desk.due(self.call, urgency))
        self._show_alerts(evaluation)
        self._look_up_reporting_lines(evaluation)
        self._read_back(evaluation)
        return evaluation

    def _read_back(self, evaluation: Evaluation | None = None) -> None:
        """The Summary tab reads the call back (only while it is in sight: it is the one place
        it is read, and every keystroke elsewhere stays cheap)."""
        if self.call is None or self.form.current_tab_id() != SUMMARY_TAB:
            return
        protocol = self.desk.protocol
        evaluation = evaluation or self.desk.evaluation(self.call)
        self.read_back.show_call(answers_by_tab(protocol, self.call.answers, evaluation),
                                 still_owed(protocol, evaluation),
                                 [self.sheet.item(row).text() for row in range(self.sheet.count())])

    def _look_up_reporting_lines(self, evaluation: Evaluation) -> None:
        """While the reporting checklist is up, the state's lines from the directory."""
        if self.call is None:
            return
        protocol = self.desk.protocol
        checklist_up = protocol.reporting_lines is not None and any(
            field.id == protocol.reporting_lines.checklist for field in evaluation.checklists)
        self.reporting_lines.setVisible(checklist_up)
        query = reporting_line_query(protocol, self.call.answers, evaluation)
        if query == self._reporting_for:
            return
        self._reporting_for = query
        if query is None or self._directory is None:
            self.reporting_lines.setText(REPORTING_NO_STATE)
            return
        search, state = self._directory, query.state or ""
        self.tasks.run_latest("reporting-lines", lambda: search(query),
                              lambda found: self._show_reporting_lines(query, state, found),
                              lambda error: self.reporting_lines.setText(
                                  f"Reporting lines could not be looked up: {error}"))

    def _show_reporting_lines(self, query: SearchQuery, state: str,
                              found: list[SearchResult]) -> None:
        if query == self._reporting_for:  # still the state on screen
            self.reporting_lines.setText(reporting_lines_text(state, found))

    def _show_alerts(self, evaluation: Evaluation) -> None:
        if self.call is None or (self.call.recovered and not evaluation.alerts):
            return
        lines = []
        if "supervisor" in evaluation.alerts:
            lines.append("Alert your shift supervisor now: " + "; ".join(
                evaluation.alert_reasons) + ".")
        lines += [f"Work through the {c.label.lower()} checklist ({self._tab_title(c.id)} tab)."
                  for c in evaluation.checklists]
        self.banner.show_message(" ".join(lines))

    def _tab_title(self, field_id: str) -> str:
        return self.desk.protocol.tab_of(field_id).title

    def _tab_id(self, field_id: str) -> str:
        return self.desk.protocol.tab_of(field_id).id

    def caller_not_safe(self) -> None:
        """The caller cannot talk safely: record it and go straight to the plan (safe
        callback, code word, what to do if the call must end), as the protocol sets out."""
        safety = self.desk.protocol.safety_first
        if self.call is None or safety is None:
            return
        self.form.set_answer(safety.not_safe.field, safety.not_safe.equals)
        first = safety.not_safe.plan[0]
        self.form.go_to(self._tab_id(first), first)

    def _follow_caller_place(self) -> None:
        """Caller's clock and the referral search follow the caller's ZIP (or the caller's
        state) as it is typed — never where the situation is, which may be far away. The
        caller's state is filled in from the ZIP, or flagged when the two disagree."""
        if self.call is None:
            return
        zip_code = self.call.answers.get(ZIP_FIELD)
        state = self.call.answers.get(CALLER_STATE_FIELD) or None
        zip_code = zip_code if isinstance(zip_code, str) and len(zip_code) == 5 else None
        if self._zone_for == (zip_code, state):
            return
        self._zone_for = (zip_code, state)
        source = f"ZIP {zip_code}" if zip_code else f"{state}" if state else ""
        # The ZIP tables take about a second to load the first time: never on the GUI thread.
        self.tasks.run_latest("caller-zone",
                              lambda: (caller_zone(zip_code, state), zip_state(zip_code)),
                              lambda found: self._show_caller_place(source, state, *found))
        self.referrals.set_caller_location(zip_code)

    def _show_caller_place(self, source: str, state: str | None, zone: Any,
                           state_of_zip: str | None) -> None:
        self.header.show_caller_zone(zone, source)
        editor = self.form.editor(CALLER_STATE_FIELD)
        if self.call is None or self._zone_for is None or not isinstance(editor, ChoiceEditor):
            return
        zip_code = self._zone_for[0]
        if state_of_zip is not None and not state:
            self.form.set_answer(CALLER_STATE_FIELD, state_of_zip)  # filled from the ZIP
        elif state_of_zip is not None and state != state_of_zip:
            editor.show_note(f"⚠ ZIP {zip_code} is in {state_of_zip}: check with the caller")
            return
        editor.show_note("")

    def _follow_intake(self) -> None:
        """The referral search follows what the intake knows (needs, a minor, language)."""
        if self.call is not None:
            answers = self.call.answers
            self.referrals.follow_intake(intake_filters(answers), fit_checks(answers))

    # --- saving ----------------------------------------------------------------------------

    def save_now(self) -> None:
        """Queue a save of the call as it is now (answers, urgency, due time, position)."""
        self._save_timer.stop()
        if self.call is None:
            return
        call, position = self.call.copy(), self._position
        evaluation = self.desk.evaluation(call)

        def save() -> None:
            self.desk.save(call, position)
            self.desk.alert(call, evaluation)

        self.tasks.run(save, lambda _none: self.sig_saved.emit((call.case_id,)), self._save_failed,
                       lane=Lane.WRITES)

    def _save_failed(self, error: Exception) -> None:
        self.sig_failed.emit(f"Could not save the call: {error}. Your answers are still on "
                             "screen; the console will try again with your next change.")

    def finish(self, confirm: Callable[[list[str], list[str]], bool] | None = None) -> bool:
        """End the call. With required answers missing or mandated steps undone, ``confirm``
        (default: a dialog) decides whether to finish anyway — saving is never blocked, only
        explained; each undone mandated step is left as a follow-up task on the case."""
        if self.call is None:
            return False
        evaluation = self.desk.evaluation(self.call)
        missing = [m.message for m in evaluation.missing]
        steps = [step.label for step in evaluation.outstanding_steps]
        if (missing or steps) and not (confirm or self._confirm_finish)(missing, steps):
            if evaluation.outstanding_steps:
                step = evaluation.outstanding_steps[0]
                self.form.go_to(self._tab_id(step.field_id), step.field_id, step.value)
            else:
                first = evaluation.missing[0]
                self.form.go_to(first.tab_id, first.field_id)
            return False
        self.save_now()
        call = self.call.copy()
        self.call = None
        self.header.stop()
        self.repeats.clear()
        self.tasks.run(lambda: self.desk.finish(call), self._finished, self._save_failed,
                       lane=Lane.WRITES)
        return True

    def _confirm_finish(self, missing: list[str], steps: list[str]) -> bool:
        parts = []
        if steps:
            parts.append("Mandated steps are not done:\n\n• " + "\n• ".join(steps)
                         + "\n\nFinishing now leaves a follow-up task for each, due within "
                         "the urgent hours, and tells the supervisor.")
        if missing:
            parts.append("Some answers the protocol asks for are missing:\n\n• "
                         + "\n• ".join(missing))
        box = QMessageBox(QMessageBox.Icon.Warning if steps else QMessageBox.Icon.Question,
                          "Finish the call?", "\n\n".join(parts)
                          + "\n\nEverything entered is saved either way.", parent=self)
        box.setAccessibleName("Finish the call?")
        finish = box.addButton("&Finish and leave follow-up tasks" if steps
                               else "&Finish anyway", QMessageBox.ButtonRole.AcceptRole)
        back = box.addButton("&Go back and do them" if steps else "&Go to the first one",
                             QMessageBox.ButtonRole.RejectRole)
        # Enter takes the safe choice: back to what is missing (the safety questions among
        # it); finishing anyway is a deliberate click or Alt+F.
        box.setDefaultButton(back)
        box.setEscapeButton(back)
        box.exec()
        finishing = box.clickedButton() is finish
        box.deleteLater()
        # Some window systems leave the closed dialog active; the form needs the keys back.
        self.activateWindow()
        return finishing

    def _finished(self, case: Case) -> None:
        self.sig_saved.emit((case["id"],))
        self.sig_finished.emit(case)

    def attach_to(self, earlier_case_id: str) -> None:
        """Link this call to an earlier case about the same situation (both keep the link)."""
        if self.call is None:
            return
        call, cases = self.call, self.desk.store
        self.save_now()  # the link lands after every answer typed so far
        self.tasks.run(lambda: cases.link_contact(earlier_case_id, call.case_id,
                                                  "Repeat contact taken as a new call"),
                       lambda _case: self.sig_saved.emit((earlier_case_id, call.case_id)),
                       self._save_failed, lane=Lane.WRITES)

    # --- referrals -------------------------------------------------------------------------

    def add_referral(self, result: Any) -> None:
        if self.call is None:
            return
        call = self.call
        self._on_sheet[result.service_id] = (sheet_place(result),
                                             self.referrals.misfit(result.service_id))
        self._note_referral_given()
        self.tasks.run(lambda: self.desk.add_referral(call, result.service_id,
                                                      result.service_name),
                       lambda case: (self._show_sheet(case["referrals"]),
                                     self.sig_saved.emit((case["id"],))),
                       self._save_failed, lane=Lane.WRITES)

    def _note_referral_given(self) -> None:
        """A service on the sheet is a referral given: the next steps say so."""
        steps = list(self.form.answer(NEXT_STEPS_FIELD) or [])
        if REFERRAL_GIVEN not in steps:
            self.form.set_answer(NEXT_STEPS_FIELD, [step for step in steps if step != NO_FOLLOW_UP]
                                 + [REFERRAL_GIVEN])

    def _show_sheet(self, referrals: list[dict[str, Any]]) -> None:
        self._sheet_names = [(r["service_id"], r["service_name"]) for r in referrals]
        self.sheet.clear()
        for service_id, name in self._sheet_names:
            place, misfit = self._on_sheet.get(service_id, (None, ()))
            self.sheet.addItem(sheet_line(name, place, misfit))
        self.referrals.set_added({service_id for service_id, _name in self._sheet_names})

    def _name_sheet_services(self) -> None:
        """A sheet reopened (after a restart) names its services' organizations and towns
        again, read from the directory off the GUI thread."""
        wanted = [service_id for service_id, _name in self._sheet_names
                  if service_id not in self._on_sheet]
        if not wanted or self._places is None or self.call is None:
            return
        places, case_id = self._places, self.call.case_id
        self.tasks.run_latest("sheet-places", lambda: places(wanted),
                              lambda found: self._show_places(case_id, found))

    def _show_places(self, case_id: str, found: dict[str, ServicePlace]) -> None:
        if self.call is None or self.call.case_id != case_id:
            return  # another call by now
        for service_id, place in found.items():
            self._on_sheet.setdefault(service_id, ((place.organization_name, place.town), ()))
        self._show_sheet([{"service_id": service_id, "service_name": name}
                          for service_id, name in self._sheet_names])

    def sheet_is_empty(self) -> bool:
        """Nothing on the caller's sheet yet, not even a service on its way to the store."""
        return not self._sheet_names and not self._on_sheet

    def supervisor_on_it(self, case_id: str) -> None:
        """A supervisor acknowledged this call's live alert: the supervisor was notified, which
        the call's answers say too (and the reporting step that follows that answer)."""
        question, yes = SUPERVISOR_QUESTION
        if self.call is not None and self.call.case_id == case_id \
                and self.call.answers.get(question) != yes:
            self.form.set_answer(question, yes)

    def focus_search(self) -> None:
        self.form.go_to(REFERRALS_TAB)
        self.referrals.focus_search()

    def is_open(self) -> bool:
        return self.call is not None

