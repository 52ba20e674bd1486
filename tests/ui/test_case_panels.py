"""The case list, the case in full and the handoff dialog, over real case stores.

Each test's workstation store lives in its own HOTLINE_HOME; a colleague on the next shift is a
second case store with another user on the same file, as when two people share a workstation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine

from console import settings
from console.cases.changes import NEXT_SHIFT, PENDING, RETURNED, SUPERSEDED, Case
from console.cases.listing import CaseList
from console.cases.store import CaseStore
from console.models.database import open_case_store
from console.protocol import Protocol
from console.ui.cases.case_list import CASE_ID_ROLE, CaseListPanel
from console.ui.cases.detail.panel import CaseDetail
from console.ui.cases.detail.tasks import due_choices
from console.ui.cases.handoff_dialog import HandoffDialog
from console.ui.cases.services import CaseServices
from console.ui.taskman import TaskManager
from tests.ui.conftest import AuditRecorder

ME, DANA, LEE = "maria", "dana", "lee"
CALLER_PHONE = "(312) 555-0142"
# A Friday, 3 PM on the hotline's clock: the next business day is Monday.
FRIDAY = datetime(2025, 11, 21, 20, 0, tzinfo=UTC)
TAB_LIMIT = 60





@pytest.fixture()
def desk_of(protocol: Protocol) -> Iterator[Callable[..., CaseServices]]:
    """The case services of a user, each on their own engine over the one case file."""
    engines: list[Engine] = []

    def services(user: str, role: str = "specialist",
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> CaseServices:
        engine = open_case_store(settings.case_db_path())
        engines.append(engine)
        return CaseServices(CaseStore(engine, user), CaseList(engine), protocol, user, role,
                            AuditRecorder(), clock)

    yield services
    for engine in engines:
        engine.dispose()


@pytest.fixture()
def mine(desk_of: Callable[..., CaseServices]) -> CaseServices:
    return desk_of(ME)


@dataclass
class Screens:
    """Opens the panels as a specialist would see them, 1366×768.

    It keeps each one until the test's tasks are done: a panel freed while a task still holds
    its callback would be freed on the task's thread, which Qt does not allow.
    """

    qtbot: QtBot
    tasks: TaskManager
    opened: list[QWidget] = field(default_factory=list)

    def _open(self, widget: QWidget) -> None:
        self.qtbot.addWidget(widget)
        self.opened.append(widget)
        widget.resize(1366, 768)

    def case_list(self, services: CaseServices) -> CaseListPanel:
        panel = CaseListPanel(services, self.tasks)
        self._open(panel)
        with self.qtbot.waitSignal(panel.sig_rows_shown):
            panel.show()
        return panel

    def case_detail(self, services: CaseServices, case_id: str) -> CaseDetail:
        detail = CaseDetail(services, self.tasks)
        self._open(detail)
        detail.show()
        with self.qtbot.waitSignal(detail.sig_shown):
            detail.show_case(case_id)
        return detail


@pytest.fixture()
def screens(qtbot: QtBot, tasks: TaskManager) -> Iterator[Screens]:
    opened = Screens(qtbot, tasks)
    yield opened
    tasks.wait_idle()
    opened.opened.clear()


def open_case(store: CaseStore, summary: str, **answers: Any) -> Case:
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    return store.create_case("crisis", "urgent", summary=summary, request_type="crisis",
                             due_at=due, answers=answers)


# -- looking at the panels -------------------------------------------------------------------------


def control(widget: QWidget, name: str, visible: bool = True) -> QWidget:
    found = [w for w in widget.findChildren(QWidget) if w.accessibleName() == name
             and (w.isVisibleTo(widget) or not visible)]
    assert len(found) == 1, f"{len(found)} visible controls named {name!r}"
    return found[0]


def texts(widget: QWidget) -> str:
    """Every label and browser text a person sees in ``widget``."""
    labels = [label.text() for label in widget.findChildren(QLabel) if label.isVisibleTo(widget)]
    browsers = [w.toPlainText() for w in widget.findChildren(QWidget)
                if hasattr(w, "toPlainText") and w.isVisibleTo(widget)]
    return "\n".join(labels + browsers)


def listed_ids(panel: CaseListPanel) -> list[str]:
    model = control(panel, "Cases", visible=False).model()
    return [model.index(row, 0).data(CASE_ID_ROLE) for row in range(model.rowCount())]


def cell(panel: CaseListPanel, case_id: str, column: str) -> str:
    model = control(panel, "Cases").model()
    row = listed_ids(panel).index(case_id)
    return model.index(row, model.COLUMNS.index(column)).data()


def search(qtbot: QtBot, panel: CaseListPanel, text: str) -> list[str]:
    field = control(panel, "Find cases")
    field.clear()
    with qtbot.waitSignal(panel.sig_rows_shown):
        qtbot.keyClicks(field, text)
    return listed_ids(panel)


def click(qtbot: QtBot, detail: CaseDetail, name: str) -> None:
    """Click a control whose change re-reads the case, and wait until it is on screen again."""
    with qtbot.waitSignal(detail.sig_shown):
        qtbot.mouseClick(control(detail, name), Qt.MouseButton.LeftButton)


def choose(combo: QWidget, data: Any) -> None:
    assert isinstance(combo, QComboBox)
    combo.setCurrentIndex(combo.findData(data))


# -- the case list --------------------------------------------------------------------------


def test_the_list_shows_my_open_cases_and_not_a_colleagues(mine, desk_of, screens) -> None:
    first = open_case(mine.cases, "Caller at a motel")
    second = open_case(mine.cases, "Tip about a farm")
    open_case(desk_of(DANA).cases, "Dana's own case")
    closed = open_case(mine.cases, "Resolved on the call")
    mine.cases.edit(closed["id"], status="closed")
    panel = screens.case_list(mine)

    assert set(listed_ids(panel)) == {first["id"], second["id"]}
    assert cell(panel, first["id"], "Number") == first["number"]
    assert cell(panel, first["id"], "Urgency") == "URGENT"
    assert cell(panel, first["id"], "Assigned to") == "you"
    assert "2 cases" in texts(panel)


def test_search_by_number_or_phone_narrows_the_list(qtbot, mine, screens) -> None:
    calling = open_case(mine.cases, "Caller at a motel", caller_phone=CALLER_PHONE)
    other = open_case(mine.cases, "Tip about a farm", caller_phone="713-555-0199")
    panel = screens.case_list(mine)

    assert search(qtbot, panel, other["number"]) == [other["id"]]
    assert search(qtbot, panel, "312 555 0142") == [calling["id"]]
    assert search(qtbot, panel, "3125550142") == [calling["id"]]
    assert search(qtbot, panel, "zzzz no such words") == []
    assert "No cases in “My cases” match this search" in texts(panel)


def test_enter_or_a_double_click_opens_the_case(qtbot, mine, screens) -> None:
    case = open_case(mine.cases, "Caller at a motel")
    open_case(mine.cases, "Tip about a farm")
    panel = screens.case_list(mine)
    search(qtbot, panel, case["number"])
    with qtbot.waitSignal(panel.sig_open_case) as opened:
        qtbot.keyClick(control(panel, "Find cases"), Qt.Key.Key_Return)
    assert opened.args == [case["id"]]

    table = control(panel, "Cases")
    qtbot.keyClick(table, Qt.Key.Key_Down)
    with qtbot.waitSignal(panel.sig_open_case) as opened:
        qtbot.keyClick(table, Qt.Key.Key_Enter)
    assert opened.args == [case["id"]]


def test_views_list_what_was_handed_to_me_and_the_queue(qtbot, mine, desk_of, screens) -> None:
    dana = desk_of(DANA).cases
    handed = open_case(dana, "Tipster may call again")
    dana.hand_off(handed["id"], ME, "Check the venue against earlier tips")
    queued = open_case(dana, "Needs housing near Atlanta")
    dana.hand_off(queued["id"], NEXT_SHIFT, "Prefers contact after 6 PM")
    panel = screens.case_list(mine)
    tabs = control(panel, "Case views")
    qtbot.waitUntil(lambda: tabs.tabText(1) == "Handed to me (1)")

    assert "All open" not in [tabs.tabText(i) for i in range(tabs.count())]  # supervisors only
    with qtbot.waitSignal(panel.sig_rows_shown):
        panel.set_view("handed_to_me")
    assert listed_ids(panel) == [handed["id"]]
    assert cell(panel, handed["id"], "Assigned to") == "you (not yet accepted)"
    with qtbot.waitSignal(panel.sig_rows_shown):
        panel.set_view("queue")
    assert listed_ids(panel) == [queued["id"]]
    assert cell(panel, queued["id"], "Assigned to") == "the next shift's queue"


def test_overdue_cases_say_so_and_an_empty_view_is_calm(qtbot, mine, screens) -> None:
    late = mine.cases.create_case("tip", "non-urgent", summary="Late tip",
                                  due_at=(datetime.now(UTC) - timedelta(hours=2)).isoformat())
    panel = screens.case_list(mine)

    assert cell(panel, late["id"], "Due (hotline time)").startswith("Overdue")
    with qtbot.waitSignal(panel.sig_rows_shown):
        panel.set_view("queue")
    assert listed_ids(panel) == []
    assert "The next shift's queue is empty." in texts(panel)


def test_a_supervisor_also_sees_all_open_cases(qtbot, desk_of, screens) -> None:
    dana = desk_of(DANA).cases
    cases = {open_case(dana, "One")["id"], open_case(dana, "Two")["id"]}
    panel = screens.case_list(desk_of("sam", "supervisor"))
    with qtbot.waitSignal(panel.sig_rows_shown):
        panel.set_view("all_open")

    assert set(listed_ids(panel)) == cases


# -- the case in full -----------------------------------------------------------------------


def test_the_detail_shows_the_answers_by_tab_and_the_timeline(qtbot, mine, screens) -> None:
    case = open_case(mine.cases, "Employer holds her passport", caller_name="Ana Lopez",
                     caller_phone=CALLER_PHONE, caller_state="IL",
                     caller_type="potential-victim", trafficking_type=["labor"],
                     immediate_danger="yes", venue="")
    mine.cases.add_note(case["id"], "Called back on the safe number")
    detail = screens.case_detail(mine, case["id"])
    overview = control(detail, "Case answers").toPlainText()
    detail.tabs.setCurrentIndex(1)
    timeline = control(detail, "Timeline").toPlainText()

    assert f"Case {case['number']}" in texts(detail)
    assert "Crisis call · Assigned to you · Due " in texts(detail)
    for shown in ("Employer holds her passport", "Caller", "Name", "Ana Lopez",
                  "IL — Illinois", "Potential victim", "Type of trafficking", "Labor",
                  "Safety", "Immediate danger", "Yes"):
        assert shown in overview
    assert "Venue" not in overview  # unanswered fields are left out
    assert timeline.index("You opened the case") < timeline.index("Called back on the safe")
    # The view is recorded on the writes lane, beside the read: it may land just after it.
    qtbot.waitUntil(lambda: mine.record_audit.events == [("case.view", case["id"], "")])
    mine.cases.add_note(case["id"], "Arrived with the next sync")
    with qtbot.waitSignal(detail.sig_shown):
        mine.events.changed({case["id"]})  # as a sync that brought it says
    assert "Arrived with the next sync" in control(detail, "Timeline").toPlainText()
    assert len(mine.record_audit.events) == 1  # reading it again is not another view


def test_the_status_is_changed_from_the_header(qtbot, mine, screens) -> None:
    case = open_case(mine.cases, "Waiting for the caller")
    detail = screens.case_detail(mine, case["id"])
    status = control(detail, "Case status")
    with qtbot.waitSignal(mine.events.sig_cases_changed), qtbot.waitSignal(detail.sig_shown):
        qtbot.keyClick(status, Qt.Key.Key_Down)  # from "Open" to the next status

    assert mine.cases.get(case["id"])["status"] == "awaiting follow-up"


def test_a_referral_outcome_is_recorded(qtbot, mine, screens) -> None:
    case = open_case(mine.cases, "Needs legal help")
    mine.cases.add_referral(case["id"], "svc-1", "Midwest Immigrant Legal Aid")
    detail = screens.case_detail(mine, case["id"])
    detail.tabs.setCurrentWidget(detail.referrals)
    choose(control(detail, "Referral outcome"), "services received")
    qtbot.keyClicks(control(detail, "Outcome note"), "Intake on Monday")
    click(qtbot, detail, "Record outcome")

    (referral,) = mine.cases.get(case["id"])["referrals"]
    assert (referral["outcome"], referral["outcome_note"]) == ("services received",
                                                               "Intake on Monday")
    assert "Services received — Intake on Monday" in control(detail, "Referrals").item(
        0, 2).text()


def test_a_task_gets_a_business_day_due_time_and_is_completed(qtbot, desk_of, screens) -> None:
    services = desk_of(ME, clock=lambda: FRIDAY)
    case = open_case(services.cases, "Call back on Monday")
    detail = screens.case_detail(services, case["id"])
    detail.tabs.setCurrentWidget(detail.follow_up)
    due = control(detail, "Task due")
    monday_close = datetime(2025, 11, 25, 0, 0, tzinfo=UTC)  # Mon 24 Nov, 7:00 PM ET

    assert due.currentText() == "Next business day — Mon 24 Nov, 7:00 PM ET"
    assert due.itemText(1).startswith("In 3 business days — Wed 26 Nov, 7:00 PM ET")
    assert due_choices(services.protocol.service_chart, FRIDAY)[0][1] == monday_close.isoformat()
    qtbot.keyClicks(control(detail, "New task"), "Call the caller back on the safe number")
    click(qtbot, detail, "Add task")
    (task,) = services.cases.get(case["id"])["tasks"]
    assert datetime.fromisoformat(task["due_at"]) == monday_close
    assert task["done_at"] is None

    click(qtbot, detail, "Mark done")
    (task,) = services.cases.get(case["id"])["tasks"]
    assert task["done_by"] == ME
    assert "Done by you" in control(detail, "Follow-up tasks").item(0, 2).text()


def test_a_custom_due_time_in_the_past_is_refused(qtbot, desk_of, screens) -> None:
    services = desk_of(ME, clock=lambda: FRIDAY)
    case = open_case(services.cases, "Call back")
    detail = screens.case_detail(services, case["id"])
    detail.tabs.setCurrentWidget(detail.follow_up)
    choose(control(detail, "Task due"), "custom")
    control(detail, "Custom due time").setDateTime(datetime(2025, 11, 20, 9, 0))
    qtbot.keyClicks(control(detail, "New task"), "Too late")
    qtbot.mouseClick(control(detail, "Add task"), Qt.MouseButton.LeftButton)

    assert "has already passed" in control(detail, "Problem").text()
    assert services.cases.get(case["id"])["tasks"] == []


def test_a_note_is_added(qtbot, mine, screens) -> None:
    case = open_case(mine.cases, "Caller at a motel")
    detail = screens.case_detail(mine, case["id"])
    detail.tabs.setCurrentWidget(detail.notes)
    qtbot.keyClicks(control(detail, "New note"), "Shelter confirmed a bed for tonight")
    click(qtbot, detail, "Save note")

    assert [n["text"] for n in mine.cases.get(case["id"])["notes"]] == [
        "Shelter confirmed a bed for tonight"]
    assert "Shelter confirmed a bed" in control(detail, "Notes").toPlainText()
    assert control(detail, "New note").toPlainText() == ""


# -- handing off ----------------------------------------------------------------------------


def handoff_dialog(detail: CaseDetail, tasks: TaskManager) -> HandoffDialog:
    dialog = detail.open_handoff()
    assert dialog is not None
    tasks.wait_idle()  # the people it offers are read in the background
    return dialog


def test_the_dialog_hands_the_case_to_a_named_person(qtbot, mine, desk_of, screens) -> None:
    open_case(desk_of(LEE).cases, "Lee's case")  # Lee is someone this workstation has seen
    case = open_case(mine.cases, "Caller at a motel")
    detail = screens.case_detail(mine, case["id"])
    dialog = handoff_dialog(detail, screens.tasks)

    people = [dialog.person.itemText(i) for i in range(dialog.person.count())]
    assert LEE in people and ME not in people and NEXT_SHIFT not in people
    dialog.person.setEditText(LEE)
    qtbot.keyClicks(dialog.note, "Caller expects a call after 6 PM ET")
    with qtbot.waitSignal(detail.sig_shown):
        qtbot.mouseClick(dialog.hand_off, Qt.MouseButton.LeftButton)

    stored = mine.cases.get(case["id"])
    (handoff,) = stored["handoffs"]
    assert (handoff["to_user"], handoff["note"], handoff["state"]) == (
        LEE, "Caller expects a call after 6 PM ET", PENDING)
    assert stored["assigned_to"] == LEE
    assert "waiting for lee to accept" in texts(detail)


def test_the_dialog_hands_the_case_to_the_next_shifts_queue(qtbot, mine, screens) -> None:
    case = open_case(mine.cases, "Caller at a motel")
    detail = screens.case_detail(mine, case["id"])
    dialog = handoff_dialog(detail, screens.tasks)
    dialog.to_queue.setChecked(True)
    qtbot.keyClicks(dialog.note, "Bed confirmed; call back tomorrow morning")
    with qtbot.waitSignal(dialog.sig_handed_off):
        qtbot.mouseClick(dialog.hand_off, Qt.MouseButton.LeftButton)

    assert not dialog.person.isEnabled()
    assert mine.cases.get(case["id"])["assigned_to"] == NEXT_SHIFT
    assert mine.cases.get(case["id"])["handoffs"][0]["to_user"] == NEXT_SHIFT


def test_a_handoff_needs_a_person_and_a_note(qtbot, mine, screens) -> None:
    case = open_case(mine.cases, "Caller at a motel")
    detail = screens.case_detail(mine, case["id"])
    dialog = handoff_dialog(detail, screens.tasks)
    qtbot.mouseClick(dialog.hand_off, Qt.MouseButton.LeftButton)
    assert "Say who takes the case" in dialog.problem.text()
    dialog.person.setEditText(LEE)
    qtbot.mouseClick(dialog.hand_off, Qt.MouseButton.LeftButton)
    assert "Write a short note" in dialog.problem.text()

    screens.tasks.wait_idle()
    assert dialog.isVisible()
    assert mine.cases.get(case["id"])["handoffs"] == []


def test_the_receiver_accepts_a_case_handed_to_them(qtbot, mine, desk_of, screens) -> None:
    case = open_case(mine.cases, "Caller at a motel")
    mine.cases.hand_off(case["id"], LEE, "Call her after 6 PM")
    lee = desk_of(LEE)
    detail = screens.case_detail(lee, case["id"])

    assert "Maria handed this case to you" in texts(detail)
    assert "“Call her after 6 PM”" in texts(detail)
    click(qtbot, detail, "Accept the handoff")
    stored = lee.cases.get(case["id"])
    assert (stored["assigned_to"], stored["handoffs"][0]["state"]) == (LEE, "accepted")
    assert not control(detail, "Handoff").text().endswith("return it with a reason.")
    assert "accepted by you" in texts(detail)
    # The sender sees the acknowledgment.
    sender = screens.case_detail(mine, case["id"])
    assert "accepted by lee" in texts(sender)


def test_the_receiver_returns_a_case_with_a_reason(qtbot, mine, desk_of, screens) -> None:
    case = open_case(mine.cases, "Caller at a motel")
    mine.cases.hand_off(case["id"], LEE, "Call her after 6 PM")
    lee = desk_of(LEE)
    detail = screens.case_detail(lee, case["id"])
    qtbot.mouseClick(control(detail, "Return the handoff"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(control(detail, "Send back"), Qt.MouseButton.LeftButton)
    assert lee.cases.get(case["id"])["handoffs"][0]["state"] == PENDING  # no reason yet
    qtbot.keyClicks(control(detail, "Reason for returning"), "Off shift at 6 PM")
    click(qtbot, detail, "Send back")

    stored = lee.cases.get(case["id"])
    (handoff,) = stored["handoffs"]
    assert (stored["assigned_to"], handoff["state"], handoff["return_reason"]) == (
        ME, RETURNED, "Off shift at 6 PM")
    sender = screens.case_detail(mine, case["id"])
    assert "returned by lee" in texts(sender) and "“Off shift at 6 PM”" in texts(sender)


def test_a_case_is_taken_from_the_next_shifts_queue(qtbot, mine, desk_of, screens) -> None:
    dana = desk_of(DANA).cases
    case = open_case(dana, "Needs housing near Atlanta")
    dana.hand_off(case["id"], NEXT_SHIFT, "Prefers contact after 6 PM")
    detail = screens.case_detail(mine, case["id"])

    assert "anyone on the next shift may take it" in texts(detail)
    click(qtbot, detail, "Take this case")
    assert mine.cases.get(case["id"])["assigned_to"] == ME
    assert "taken by you" in texts(detail)


def test_a_handoff_that_lost_a_race_is_told_in_words(mine, screens) -> None:
    case = open_case(mine.cases, "Caller at a motel")
    mine.cases.hand_off(case["id"], "tom", "For Tom's list")
    # The server's copy: Dana had handed the case to Lee first, so Maria's handoff lost.
    server = mine.cases.get(case["id"])
    mine_handoff = server["handoffs"][0]
    winner = {**mine_handoff, "id": "5b0d7c1e-5a0e-4b1c-9a4e-6f3b1c2d4e5f", "from_user": DANA,
              "to_user": LEE, "note": "Lee knows the case"}
    server.update(version=7, assigned_to=LEE,
                  handoffs=[winner, {**mine_handoff, "state": SUPERSEDED, "lost_to": LEE}])
    mine.cases.record_results([{"status": "conflict", "change_id": change["change_id"],
                                "conflicts": []} for change in mine.cases.pending_changes()])
    mine.cases.apply_server_cases([server], "cursor-1")
    detail = screens.case_detail(mine, case["id"])

    assert "You handed this case to tom at" in texts(detail)
    assert "not applied: lee already held the case" in texts(detail)


def test_a_handoff_overtaken_by_a_later_one_names_the_later_one(qtbot, mine, screens) -> None:
    case = open_case(mine.cases, "Caller at a motel")
    mine.cases.hand_off(case["id"], "tom", "For Tom's list")
    # Before Tom answered, the case was taken back and handed to Lee: Tom's handoff is overtaken.
    server = mine.cases.get(case["id"])
    first = server["handoffs"][0]
    later = {**first, "id": "5b0d7c1e-5a0e-4b1c-9a4e-6f3b1c2d4e5f", "from_user": DANA,
             "to_user": LEE, "note": "Lee knows the case"}
    server.update(version=7, assigned_to=LEE,
                  handoffs=[{**first, "state": SUPERSEDED}, later])
    mine.cases.apply_server_cases([server], "cursor-1")
    detail = screens.case_detail(mine, case["id"])
    banner = control(detail, "Handoff").text()
    detail.tabs.setCurrentWidget(detail.timeline)
    timeline = control(detail, "Timeline").toPlainText()

    assert banner.startswith("Dana handed this case to lee at")  # the newest one is shown
    assert "You handed the case to tom: “For Tom's list”. Overtaken before it was answered: " \
           "dana handed the case on to lee." in timeline
    assert "nobody" not in timeline and "someone else" not in timeline


def test_an_older_accepted_handoff_without_a_state_shows_as_accepted(qtbot, mine, screens) -> None:
    case = open_case(mine.cases, "Caller at a motel")
    mine.cases.hand_off(case["id"], "carol", "Call after 6 PM")
    server = mine.cases.get(case["id"])
    (handoff,) = server["handoffs"]
    older = {key: value for key, value in handoff.items() if key != "state"}
    older.update(acknowledged_at=handoff["created_at"], acknowledged_by="carol")
    server.update(version=3, assigned_to="carol", handoffs=[older])
    mine.cases.record_results([{"status": "applied", "change_id": change["change_id"]}
                               for change in mine.cases.pending_changes()])
    mine.cases.apply_server_cases([server], "cursor-1")
    detail = screens.case_detail(mine, case["id"])

    assert "accepted by carol at" in control(detail, "Handoff").text()
    assert "waiting for carol" not in texts(detail)


def summary_conflict(store: CaseStore, case: Case, theirs: str, mine: str) -> None:
    """Edit the summary here while, as the server answers, someone else had changed it."""
    store.edit(case["id"], summary=mine)
    edit = store.pending_changes()[-1]
    store.record_results([{"status": "conflict", "change_id": edit["change_id"], "conflicts": [{
        "case_id": case["id"], "change_id": edit["change_id"], "field": "summary",
        "base_value": case["summary"], "server_value": theirs, "client_value": mine}]}])


def test_a_conflict_shows_both_texts_and_keeps_the_choice(qtbot, mine, screens) -> None:
    case = open_case(mine.cases, "Caller at a motel")
    summary_conflict(mine.cases, case, "Caller at a motel, safe now",
                     "Caller at a motel near the airport")
    detail = screens.case_detail(mine, case["id"])

    shown = texts(detail)
    assert "“Caller at a motel, safe now”" in shown
    assert "“Caller at a motel near the airport”" in shown
    click(qtbot, detail, "Keep mine: Summary")
    assert mine.cases.conflicts(case["id"]) == []
    assert mine.cases.get(case["id"])["summary"] == "Caller at a motel near the airport"
    assert not detail.conflicts.isVisible()


# -- keyboard and screen readers ------------------------------------------------------------


def focusable(widget: QWidget) -> list[QWidget]:
    """Controls Tab can reach: visible, enabled, in this window, not handing focus on."""
    return [w for w in widget.findChildren(QWidget)
            if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isVisible() and w.isEnabled()
            and w.window() is widget.window() and w.focusProxy() is None]


def tab_through(qtbot: QtBot, start: QWidget) -> set[str]:
    """The accessible names of every control Tab reaches, starting at ``start``."""
    start.window().activateWindow()
    start.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(start.hasFocus)
    reached: set[str] = set()
    for _ in range(TAB_LIMIT):
        reached.add(QApplication.focusWidget().accessibleName())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if QApplication.focusWidget() is start:
            return reached
    raise AssertionError(f"Tab never came back to {start.accessibleName()!r}")


def names(widgets: list[QWidget]) -> set[str]:
    return {w.accessibleName() for w in widgets}


def test_every_control_is_named_explained_and_reached_by_the_keyboard(
        qtbot, mine, desk_of, screens) -> None:
    dana = desk_of(DANA).cases
    case = open_case(dana, "Caller at a motel", caller_phone=CALLER_PHONE)
    dana.add_referral(case["id"], "svc-1", "Midwest Immigrant Legal Aid")
    dana.add_task(case["id"], "Call back", None)
    dana.hand_off(case["id"], ME, "Call her after 6 PM")
    summary_conflict(mine.cases, case, "Safe now", "Near the airport")
    panel = screens.case_list(mine)
    detail = screens.case_detail(mine, case["id"])
    dialog = handoff_dialog(detail, screens.tasks)
    dialog_controls = focusable(dialog)
    assert all(w.accessibleName() and w.toolTip() for w in dialog_controls)
    assert tab_through(qtbot, dialog.to_person) == names(dialog_controls)
    dialog.reject()

    list_controls = focusable(panel)
    assert names(list_controls) == {"Case views", "Find cases", "Status", "Cases"}
    assert all(w.toolTip() for w in list_controls)
    assert tab_through(qtbot, control(panel, "Find cases")) == names(list_controls)
    for page in range(detail.tabs.count()):
        detail.tabs.setCurrentIndex(page)
        controls = focusable(detail)
        assert all(w.accessibleName() and w.toolTip() for w in controls), [
            type(w).__name__ for w in controls if not (w.accessibleName() and w.toolTip())]
        assert {"Accept the handoff", "Return the handoff", "Keep mine: Summary"} <= names(
            controls)
        assert tab_through(qtbot, control(detail, "Case status")) == names(controls)
