"""The window a specialist lives in for a whole shift: triage, the call, the status bar.

Keyboard first: every action has a shortcut and sits in a menu, so it can be found and read by a
screen reader. The window only shows things; the workstation's services decide and store them.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from console.app import Workstation, demo_hint, sign_in
from console.cases.changes import Case
from console.intake.desk import Call
from console.security.keys import MODE_BRIEF, MODE_WORDS
from console.security.people import Person
from console.sync.client import SyncStatus
from console.ui.alerts.desk import (
    ANSWERED,
    HELP_KEY,
    NOT_DELIVERED,
    SENDING,
    AlertDesk,
    CallAlertState,
    call_status_text,
)
from console.ui.cases.services import CaseServices
from console.ui.directory_tools import DirectoryTools
from console.ui.help import HelpActions
from console.ui.intake.call_page import NOT_SAFE_KEY, CallPage
from console.ui.intake.repeat_strip import RepeatStrip
from console.ui.intake.triage import TriagePage
from console.ui.labels import ElidedLabel
from console.ui.lazy_tab import LazyTab
from console.ui.lock import LockPage, WindowLock
from console.ui.referral_search import ReferralSearchPanel
from console.ui.server_dialogs import ServerDialog, SignInDialog
from console.ui.status import SyncStatusBar
from console.ui.sync_runner import SyncRunner
from console.ui.taskman import Lane, TaskManager

if TYPE_CHECKING:
    from console.directory.batch import ImportReport
    from console.ui.alerts.board import AlertBoard
    from console.ui.alerts.slot import AlertSlot
    from console.ui.cases.supervisor import SupervisorPanel
    from console.ui.cases.workspace import CasesTab
    from console.ui.printing.documents import Documents

TITLE = "Hotline Console"
EMPTY_SHEET = ("There is nothing on this caller's referral sheet yet. Add a service from the "
               "Referrals tab (Enter or Ctrl+R on a result), then print.")


class MainWindow(QMainWindow):
    """Triage and call pages on a stack; menus for every action."""

    sig_switch_person = Signal(object)
    """Someone else signed in at this window (the ``Person``): close it, open theirs."""
    sig_signed_out = Signal()
    """The person signed out: close the window, show the sign-in screen."""

    def __init__(self, workstation: Workstation, tasks: TaskManager, runner: SyncRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workstation, self.tasks, self.runner = workstation, tasks, runner
        self.setWindowTitle(TITLE)
        self.setAccessibleName(TITLE)
        self.case_services = CaseServices(
            workstation.cases, workstation.listing, workstation.protocol, workstation.user,
            workstation.role, record_audit=self._record_audit, retype=self._retype_case)
        self.triage = TriagePage(workstation.protocol)
        self.referrals = ReferralSearchPanel(tasks, workstation.lookup.search)
        self.repeats = RepeatStrip(self.case_services, tasks)
        self.call_page = CallPage(workstation.desk, tasks, self.referrals, self.repeats,
                                  workstation.lookup.search, workstation.lookup.places)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.triage)
        self.pages.addWidget(self.call_page)
        # Built when first shown or used: the first screen is triage, nothing else.
        self.cases_page: LazyTab[CasesTab] = LazyTab(self._build_cases_tab)
        self.supervisor_page: LazyTab[SupervisorPanel] | None = (
            LazyTab(self._build_supervisor) if self.case_services.is_supervisor else None)
        self.workspace = QTabWidget()
        self.workspace.setAccessibleName("Workspace")
        self.workspace.tabBar().setAccessibleName("Workspace tabs")
        self.workspace.addTab(self.pages, "Calls  F2")
        self.workspace.addTab(self.cases_page, "Cases  F3")
        if self.supervisor_page is not None:
            self.workspace.addTab(self.supervisor_page, "Supervisor  F4")
        self.lock_page = LockPage(tasks, self._check_password, self._sign_in_other,
                                  workstation.user, demo_hint(workstation))
        self.lock_page.sig_signed_in.connect(self._signed_in_other)
        self.screens = QStackedWidget()  # locking swaps the content out, never covers it
        self.screens.addWidget(self.workspace)
        self.screens.addWidget(self.lock_page)
        self.setCentralWidget(self.screens)
        self.locker = WindowLock(self, self.screens, self.workspace, self.lock_page,
                                 self._before_lock,
                                 round(workstation.people.policy.lock_after_minutes * 60_000))
        # Counts and lists are read afresh whenever the case list comes into view.
        self.workspace.currentChanged.connect(
            lambda _index: self.workspace.currentWidget() is self.cases_page
            and self.cases_tab.refresh())
        self.repeats.sig_open_case.connect(self.open_case)
        self.repeats.sig_attach.connect(self.call_page.attach_to)
        self.status = SyncStatusBar()
        self.setStatusBar(self.status)
        self._build_alerts()
        mode = workstation.people.keys.mode
        self.protection = ElidedLabel(MODE_BRIEF[mode])
        self.protection.set_tip(MODE_WORDS[mode])
        self.protection.setAccessibleName("Case data protection")
        self.status.addPermanentWidget(self.protection)
        self.actions_by_name: dict[str, QAction] = {}
        self.help = HelpActions(self, tasks, workstation.server_url, lambda: runner.status)
        self.help.sig_support_file_saved.connect(
            lambda path: self.status.showMessage(f"Support file saved: {path}", 10_000))
        self.directory = DirectoryTools(tasks, self)
        self.directory.sig_imported.connect(self._directory_imported)
        self.directory.sig_exported.connect(lambda path, count: self.status.showMessage(
            f"Exported {count:,} services to {path}.", 10_000))
        self.directory.sig_stopped.connect(lambda message: self.status.showMessage(message,
                                                                                 10_000))
        self.directory.sig_failed.connect(self._show_failure)
        self._build_menus()
        self.triage.sig_chosen.connect(self.start_contact)
        self.triage.sig_retype.connect(self.retype_contact)
        self.call_page.sig_saved.connect(self._after_save)
        self.call_page.sig_failed.connect(self._show_failure)
        self.call_page.sig_finished.connect(self._call_finished)
        runner.sig_status.connect(self._show_sync)
        runner.sig_progress.connect(self.status.show_progress)
        runner.sig_cases_changed.connect(self.case_services.events.changed)
        runner.sig_sign_in_needed.connect(self._ask_sign_in)
        self._show_sync(runner.status)
        self._show_page_actions()

    def _build_alerts(self) -> None:
        """Live supervisor alerts: raised from the call, answered from the supervisor view."""
        self.alerts = AlertDesk(self.workstation, self.tasks, self.runner, self)
        self.alerts.sig_call_state.connect(self._show_alert_state)
        self._alert_board: AlertBoard | None = None  # in the supervisor view, built with it
        self.alert_slot: AlertSlot | None = None
        if self.supervisor_page is not None:
            from console.ui.alerts.slot import AlertSlot  # a supervisor's only

            self.alert_slot = AlertSlot(self.alerts)
            self.status.addPermanentWidget(self.alert_slot)
            # The taskbar entry flashes: never a dialog over whatever the supervisor is doing.
            self.alerts.sig_new_alert.connect(lambda _alert: QApplication.alert(self))

    # --- menus and shortcuts ---------------------------------------------------------------

    def _action(self, name: str, text: str, shortcut: QKeySequence | str | None, slot: object,
                menu_name: str) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self._menus[menu_name].addAction(action)
        self.addAction(action)
        self.actions_by_name[name] = action
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self._menus = {name: bar.addMenu(title) for name, title in (
            ("file", "&File"), ("call", "&Call"), ("go", "&Go"), ("referrals", "&Referrals"),
            ("tools", "&Tools"), ("help", "&Help"))}
        self._action("lock", "&Lock", "Ctrl+L", self.locker.lock, "file")
        self._action("switch", "Sign in &as…", None, self.sign_in_as, "file")
        self._action("sign-out", "Sign &out", None, self.sign_out, "file")
        self._action("new", "&New call", QKeySequence.StandardKey.New, self.new_call, "call")
        self._action("save", "&Save now", QKeySequence.StandardKey.Save, self.save_now, "call")
        self._action("urgent", "Raise to &urgent", "Ctrl+U", self.call_page.raise_urgency,
                     "call")
        self._action("finish", "&Finish call", "Ctrl+Return", self.finish_call, "call")
        self._action("not-safe", "Caller &not safe to talk", NOT_SAFE_KEY,
                     self.call_page.caller_not_safe, "call")
        self._action("help-now", "I need &help now (alert the supervisor)", HELP_KEY,
                     self.ask_for_help, "call")
        self._action("print", "&Print…", QKeySequence.StandardKey.Print, self.print_current,
                     "call")
        self._menus["call"].addSeparator()
        self._action("quit", "&Quit", QKeySequence.StandardKey.Quit, self.close, "call")
        self._action("next", "&Next tab", "Ctrl+PgDown", lambda: self.call_page.form.step(1),
                     "go")
        self._action("previous", "&Previous tab", "Ctrl+PgUp",
                     lambda: self.call_page.form.step(-1), "go")
        for tab in self.workstation.protocol.tabs:
            self._action(f"tab-{tab.id}", f"{tab.title}", f"Alt+{tab.key}",
                         lambda _checked=False, t=tab.id: self.call_page.form.go_to(t), "go")
        self._action("search", "&Search the directory", QKeySequence.StandardKey.Find,
                     self.call_page.focus_search, "referrals")
        self._action("add", "&Add selected service to the sheet", "Ctrl+R",
                     self.referrals.add_selected, "referrals")
        self._action("calls", "&Calls", "F2", self.show_calls, "go")
        self._action("cases", "C&ases", "F3", self.show_cases, "go")
        if self.supervisor_page is not None:
            self._action("supervisor", "S&upervisor view", "F4", self.show_supervisor, "go")
        self._action("sync", "Sync &now", "F5", self.runner.sync_now, "tools")
        self._action("server", "Central &server…", None, self._choose_server, "tools")
        self._action("import-directory", "&Import a directory…", None,
                     lambda: self.directory.import_directory(), "tools")
        self._action("export-json", "&Export the directory as JSON…", None,
                     lambda: self.directory.export_directory(form="json"), "tools")
        self._action("export-csv", "Export the directory as a &CSV package…", None,
                     lambda: self.directory.export_directory(form="csv"), "tools")
        self._action("support", "Save a &support file…", None, self.help.ask_support_file,
                     "help")
        self._action("about", "&About Hotline Console", None, self.help.show_about, "help")

    def _show_page_actions(self) -> None:
        if self.locker.locked:
            return  # everything stays off until the person unlocks
        on_call = self.call_page.is_open()
        for name in ("save", "urgent", "finish", "not-safe", "help-now", "next", "previous",
                     "search", "add"):
            self.actions_by_name[name].setEnabled(on_call)
        for tab in self.workstation.protocol.tabs:
            self.actions_by_name[f"tab-{tab.id}"].setEnabled(on_call)

    # --- calls -----------------------------------------------------------------------------

    # --- workspace tabs --------------------------------------------------------------------

    @property
    def cases_tab(self) -> CasesTab:
        return self.cases_page.content

    @property
    def supervisor(self) -> SupervisorPanel | None:
        """The supervisor view (built on first use); None for a specialist."""
        return None if self.supervisor_page is None else self.supervisor_page.content

    def _build_cases_tab(self) -> CasesTab:
        from console.ui.cases.workspace import CasesTab

        return CasesTab(self.case_services, self.tasks)

    @property
    def alert_board(self) -> AlertBoard | None:
        """The supervisor view's open alerts and calls in progress; None for a specialist."""
        return None if self.supervisor is None else self._alert_board

    def _build_supervisor(self) -> SupervisorPanel:
        from console.ui.alerts.board import AlertBoard
        from console.ui.cases.supervisor import SupervisorPanel

        panel = SupervisorPanel(self.case_services, self.tasks)
        services = self.case_services
        self._alert_board = AlertBoard(self.alerts,
                                       lambda value: services.request_label(value, None),
                                       self.workstation.protocol.service_chart.hotline_time)
        self._alert_board.show_alerts(self.alerts.open_alerts())  # those that came before
        panel.add_band(self._alert_board)
        panel.sig_open_case.connect(self.open_case)
        panel.packet_button.setEnabled(True)
        panel.packet_button.setToolTip(
            "Print this shift's handoff packet: open cases, deadlines and handoffs")
        panel.packet_button.clicked.connect(lambda: self.documents.shift_packet())
        return panel

    @cached_property
    def documents(self) -> Documents:
        """The print dialogs; the printing libraries load with the first print."""
        from console.ui.printing.documents import Documents

        return Documents(self.workstation, self.tasks, self._record_audit, self)

    def show_calls(self) -> None:
        self.workspace.setCurrentWidget(self.pages)
        page = self.pages.currentWidget()
        if page is self.triage:
            self.triage.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def show_cases(self) -> None:
        self.workspace.setCurrentWidget(self.cases_page)
        self.cases_tab.list.focus_search()

    def show_supervisor(self) -> None:
        if self.supervisor_page is not None:
            self.workspace.setCurrentWidget(self.supervisor_page)
            self.supervisor_page.content.refresh()

    def open_case(self, case_id: str) -> None:
        self.workspace.setCurrentWidget(self.cases_page)
        self.cases_tab.open_case(case_id)

    def print_current(self) -> None:
        """Print what is in front of the person: the caller's referral sheet during a call,
        the open case in the case list, the shift packet in the supervisor view."""
        current = self.workspace.currentWidget()
        if current is self.pages and self.call_page.call is not None \
                and self.call_page.sheet_is_empty():
            self._say_sheet_empty()
        elif current is self.pages and self.call_page.call is not None:
            call = self.call_page.call
            self.call_page.save_now()
            zip_code = call.answers.get("caller_zip")
            # A ZIP still being typed is no place to measure distances from.
            self.documents.referral_sheet(call.case_id, zip_code if isinstance(zip_code, str)
                                          and len(zip_code) == 5 else None)
        elif current is self.cases_page and self.cases_tab.detail.case_id:
            self.documents.case_printout(self.cases_tab.detail.case_id)
        elif current is not None and current is self.supervisor_page:
            self.documents.shift_packet()
        else:
            self.status.showMessage("Nothing to print here: open a call or a case first.", 5000)

    def _say_sheet_empty(self) -> None:
        """Nothing to print is not a failure: say so, and go where services are added."""
        box = QMessageBox(QMessageBox.Icon.Information, TITLE, EMPTY_SHEET,
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("empty-sheet")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: self.call_page.focus_search())
        box.open()

    def _record_audit(self, action: str, case_id: str | None, detail: str) -> None:
        audit = self.workstation.audit
        self.tasks.run(lambda: audit.record(action, case_id, detail), None, self._show_failure,
                       lane=Lane.WRITES)

    # --- calls -----------------------------------------------------------------------------

    def show_triage(self, notice: str = "") -> None:
        self.triage.show_notice(notice)
        self.workspace.setCurrentWidget(self.pages)
        self.pages.setCurrentWidget(self.triage)
        self.triage.setFocus(Qt.FocusReason.OtherFocusReason)
        self._show_page_actions()

    def new_call(self) -> None:
        if self.call_page.is_open():
            self.finish_call()
        else:
            self.show_triage()

    def start_contact(self, request_type: str) -> None:
        """Open the case at once (a call that drops at once is still on record)."""
        desk = self.workstation.desk
        self.tasks.run(lambda: desk.start(request_type), self._contact_started,
                       self._show_failure, lane=Lane.WRITES)

    def retype_contact(self, case_id: str, request_type: str) -> None:
        """A one-key contact logged by mistake becomes what it really was (audited)."""
        desk, label = self.workstation.desk, self.workstation.protocol.request_type(
            request_type).label
        self._record_audit("case.retype", case_id, request_type)
        def retyped(call: Call | None) -> None:
            self.case_services.events.changed({case_id})
            if call is not None:
                self.open_call(call)
            else:
                self.show_triage(f"Changed to {label}. Ready for the next contact.")

        self.tasks.run(lambda: desk.retype(case_id, request_type), retyped, self._show_failure,
                       lane=Lane.WRITES)

    def _retype_case(self, case_id: str, request_type: str) -> None:
        """Correct a case's contact type from the case itself (on the writes lane, audited
        first): it stays a case, never becomes the call in progress."""
        self.workstation.audit.record("case.retype", case_id, request_type)
        self.workstation.desk.retype(case_id, request_type, as_call=False)

    def _contact_started(self, call: Call) -> None:
        kind = self.workstation.protocol.request_type(call.request_type)
        if kind.no_data:
            self.show_triage()
            self.triage.offer_undo(call.case_id, kind.label)
            self._after_save((call.case_id,))
            return
        self.open_call(call)
        self._after_save((call.case_id,))

    def open_call(self, call: Call) -> None:
        self.workspace.setCurrentWidget(self.pages)
        self.pages.setCurrentWidget(self.call_page)
        self.call_page.open(call)
        self._show_page_actions()
        state = self.alerts.state_of(call.case_id)
        if state is not None:
            self._show_alert_state(state)

    def ask_for_help(self) -> None:
        """The specialist's "I need help now": every supervisor signed in is alerted."""
        call = self.call_page.call
        if call is None:
            return
        self._show_alert_state(CallAlertState(call.case_id, SENDING))
        # Said in the status bar too: the header may already read "Supervisor alerted" from an
        # earlier alert, and a press that changes nothing on screen looks like one that failed.
        self.status.showMessage("Help requested: your supervisors are being alerted now "
                                "(the call header says when one is on it).", 15_000)
        desk = self.workstation.desk
        self.tasks.run(lambda: desk.ask_for_help(call), None, self._show_failure,
                       lane=Lane.WRITES)

    def _show_alert_state(self, state: CallAlertState) -> None:
        call = self.call_page.call
        if call is None or call.case_id != state.case_id:
            return
        text, whole, tone = call_status_text(state)
        self.call_page.header.show_alert_status(text, tone, whole)
        if state.state == ANSWERED:
            self.call_page.supervisor_on_it(state.case_id)
        if state.state == NOT_DELIVERED:
            self.status.showMessage(whole, 30_000)

    def tell_about_salvage(self) -> None:
        """The person's store would not open and a new one was started: say so once, without
        blocking the window (the next call may already be ringing)."""
        salvage = self.workstation.salvage
        if salvage is None:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, TITLE, salvage.in_words(),
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("salvage-notice")
        box.open()

    def resume_unfinished_call(self) -> None:
        """Reopen the call that was on screen when the console last stopped, if any."""
        self.tasks.run(self.workstation.desk.resume,
                       lambda call: call is not None and self.open_call(call),
                       self._show_failure, lane=Lane.WRITES)

    def save_now(self) -> None:
        self.call_page.save_now()
        self.status.showMessage("Saved on this workstation.", 3000)

    def finish_call(self) -> None:
        if self.call_page.finish():
            self._show_page_actions()

    def _call_finished(self, case: Case) -> None:
        self.show_triage(f"Call saved as case {case['number']}, {case['status']}. "
                         "Ready for the next contact.")

    # --- status ----------------------------------------------------------------------------

    def _after_save(self, case_ids: Iterable[str]) -> None:
        self.tasks.run(self.workstation.cases.counts, self.runner.show_pending)
        self.runner.soon()
        self.case_services.events.changed(case_ids)

    def _directory_imported(self, report: ImportReport) -> None:
        self.tasks.run(self.workstation.lookup.reopen, lane=Lane.SEARCH)  # search the new one
        self.status.showMessage(f"Directory imported: {report.imported['service']:,} services.",
                                10_000)

    def _show_sync(self, status: SyncStatus) -> None:
        self.status.show_status(status, self.workstation.user,
                                connecting=self.runner.running and self.runner.connection is None)

    def _show_failure(self, error: object) -> None:
        message = str(error)
        self.status.showMessage(message, 10_000)
        QMessageBox.warning(self, TITLE, message)

    def _ask_sign_in(self, message: str) -> None:
        url = self.workstation.server_url
        if url is None:
            return
        dialog = SignInDialog(url, self.workstation.credentials, self.tasks, message, self)
        dialog.user.setText(self.workstation.user)  # only the person whose store is open
        dialog.user.setReadOnly(True)
        if dialog.exec():
            self.runner.sync_now()

    def _choose_server(self) -> None:
        ServerDialog(self.workstation.server_url, self).exec()

    # --- lock and people ---------------------------------------------------------------------

    def _before_lock(self) -> None:
        if self.call_page.is_open():
            self.call_page.save_now()  # what was typed is on disk; the call goes on

    def _check_password(self, password: str) -> None:
        self.workstation.people.check_password(self.workstation.person.folder, password)

    def _sign_in_other(self, user: str, password: str) -> Person:
        workstation = self.workstation
        return sign_in(workstation.people, workstation.server_url, workstation.credentials,
                       user, password)

    def _signed_in_other(self, person: Person) -> None:
        if person.user == self.workstation.user:
            self.locker.unlock()
        else:
            self.sig_switch_person.emit(person)

    def sign_in_as(self) -> None:
        """Lock, with the sign-in for someone else ready to type."""
        self.locker.lock()
        self.lock_page.other_user.setFocus(Qt.FocusReason.OtherFocusReason)

    def sign_out(self) -> None:
        self.sig_signed_out.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.locker.idle.stop()
        if self.call_page.is_open():
            self.call_page.save_now()  # the call reopens where it was at the next start
        self.runner.stop()
        self.alerts.stop()  # the alert feed shares the connection the runner closes below
        self.tasks.shutdown()  # cancels work under way and waits until every lane has stopped
        self.runner.close()
        self.workstation.close()
        super().closeEvent(event)
