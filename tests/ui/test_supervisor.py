"""The supervisor view over a real case store, on a Thursday evening shift.

Cases are made as the console makes them; only the moment each change is stamped with is set,
so the shift and the day they fall in are known whenever the tests run.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine

from console.cases import changes
from console.cases.changes import NEXT_SHIFT, Case
from console.cases.listing import CaseList
from console.cases.report import SUMMARY_COLUMNS
from console.cases.store import CaseStore
from console.protocol import Protocol
from console.ui.cases import supervisor
from console.ui.cases.services import CaseServices
from console.ui.cases.supervisor import PACKET_TIP, SupervisorPanel
from console.ui.taskman import TaskManager
from tests.ui.conftest import AuditRecorder

SUPERVISOR, MARIA, DANA, LEE = "sam", "maria", "dana", "lee"
# Thursday 20 November 2025 on the hotline's clock (Eastern, UTC-5): the evening shift runs
# 3:00 PM to 11:00 PM.
SHIFT_CALL = datetime(2025, 11, 20, 21, 0, tzinfo=UTC)  # 4:00 PM
MORNING_CALL = datetime(2025, 11, 20, 14, 0, tzinfo=UTC)  # 9:00 AM, the day shift
NOW = datetime(2025, 11, 20, 21, 30, tzinfo=UTC)  # 4:30 PM





@pytest.fixture()
def stamp(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Sets the moment the next changes are stamped with, as if made then."""
    def at(moment: datetime) -> None:
        monkeypatch.setattr(changes, "utc_now",
                            lambda: moment.isoformat(timespec="milliseconds"))
    at(SHIFT_CALL)
    return at


@pytest.fixture()
def services(engine: Engine, protocol: Protocol) -> CaseServices:
    return CaseServices(CaseStore(engine, SUPERVISOR), CaseList(engine), protocol, SUPERVISOR,
                        "supervisor", AuditRecorder(), lambda: NOW)



@dataclass
class Shift:
    """The cases of the evening, by what the tests look for in them."""

    overdue: Case
    due_later: Case
    handed_to_lee: Case
    queued: Case
    closed: Case


def hotline(hour: int, minute: int = 0) -> str:
    """An Eastern time of the test's Thursday, as a stored due time."""
    eastern = datetime(2025, 11, 20, hour, minute, tzinfo=ZoneInfo("America/New_York"))
    return eastern.astimezone(UTC).isoformat()


@pytest.fixture()
def shift(engine: Engine, stamp: Callable[[datetime], None]) -> Shift:
    maria, dana = CaseStore(engine, MARIA), CaseStore(engine, DANA)
    stamp(MORNING_CALL)
    queued = maria.create_case("general information", "non-urgent",
                               request_type="general-information",
                               answers={"caller_type": "researcher"})
    stamp(SHIFT_CALL)
    maria.hand_off(queued["id"], NEXT_SHIFT, "Wants materials by email")
    overdue = maria.create_case("crisis", "urgent", request_type="crisis", due_at=hotline(16),
                                answers={"caller_type": "potential-victim",
                                         "caller_state": "TX", "caller_phone": "713-555-0150"})
    due_later = maria.create_case("tip", "non-urgent", request_type="tip", due_at=hotline(17),
                                  answers={"caller_type": "community-member",
                                           "situation_state": "IL"})
    handed = dana.create_case("service referral", "non-urgent",
                              request_type="referral-non-urgent",
                              due_at=(SHIFT_CALL + timedelta(days=3)).isoformat(),
                              answers={"caller_type": "potential-victim", "caller_state": "tx"})
    dana.add_task(handed["id"], "Call back about the shelter bed", hotline(20))
    dana.hand_off(handed["id"], LEE, "Lee knows the Houston shelters")
    closed = maria.create_case("no-data contact", "non-urgent", request_type="test-call")
    maria.edit(closed["id"], status="closed")
    return Shift(overdue, due_later, handed, queued, closed)


@pytest.fixture()
def open_panel(qtbot: QtBot, tasks: TaskManager) -> Iterator[Callable[[CaseServices],
                                                                     SupervisorPanel]]:
    opened: list[SupervisorPanel] = []

    def show(services: CaseServices) -> SupervisorPanel:
        panel = SupervisorPanel(services, tasks)
        qtbot.addWidget(panel)
        opened.append(panel)
        panel.resize(1366, 768)
        with qtbot.waitSignal(panel.sig_refreshed):
            panel.show()
        return panel

    yield show
    tasks.wait_idle()  # no task may still hold a panel when it is freed


def control(panel: SupervisorPanel, name: str) -> Any:
    (widget,) = [w for w in panel.findChildren(QWidget) if w.accessibleName() == name]
    return widget


def label_of(protocol: Protocol, field_id: str, value: str) -> str:
    return next(o.label for o in protocol.field(field_id).options if o.value == value)


def counts(panel: SupervisorPanel, name: str) -> dict[str, tuple[str, str]]:
    return {label: (in_shift, today)
            for label, in_shift, today in panel.count_tables[name].texts()}


# -- what the view shows --------------------------------------------------------------------


def test_the_queue_shows_each_holder_by_urgency_with_overdue(shift, services, open_panel) -> None:
    panel = open_panel(services)

    assert panel.queue_table.texts() == [
        [MARIA, "1", "1", "1"],
        [LEE, "0", "1", "0"],
        ["Next-shift queue", "0", "1", "0"],
    ]
    assert "Evening shift: Thu 20 Nov, 3:00 PM ET – 11:00 PM" in control(panel, "Shift").text()


def test_unacknowledged_handoffs_say_who_to_whom_since_when(shift, services, open_panel) -> None:
    panel = open_panel(services)

    assert panel.handoff_table.texts() == [
        [shift.handed_to_lee["number"], DANA, LEE, "4:00 PM", "Lee knows the Houston shelters"],
        [shift.queued["number"], MARIA, "Next-shift queue", "4:00 PM", "Wants materials by email"],
    ]


def test_due_this_shift_lists_cases_and_tasks_overdue_first(shift, services, open_panel) -> None:
    panel = open_panel(services)

    assert panel.due_table.texts() == [
        [shift.overdue["number"], "Overdue · 4:00 PM", MARIA, "Urgent", "Crisis — TX"],
        [shift.due_later["number"], "5:00 PM", MARIA, "Non-urgent", "Tip — IL"],
        [shift.handed_to_lee["number"], "8:00 PM", LEE, "Non-urgent", "Service referral — tx"],
    ]


def test_counts_for_the_shift_and_the_day(shift, services, protocol, open_panel) -> None:
    panel = open_panel(services)

    assert "this shift 4, today 5" in control(panel, "Contact counts").title()
    assert counts(panel, "by_request_type") == {
        "Crisis call": ("1", "1"), "Tip": ("1", "1"),
        "Referral request (non-urgent)": ("1", "1"), "Test call": ("1", "1"),
        "General information": ("0", "1")}
    assert counts(panel, "by_urgency") == {"Non-urgent": ("3", "4"), "Urgent": ("1", "1")}
    victim = label_of(protocol, "caller_type", "potential-victim")
    assert counts(panel, "by_caller_type") == {
        victim: ("2", "2"), label_of(protocol, "caller_type", "community-member"): ("1", "1"),
        label_of(protocol, "caller_type", "researcher"): ("0", "1"),
        "Not recorded": ("1", "1")}
    assert counts(panel, "by_state") == {"TX — Texas": ("2", "2"), "IL — Illinois": ("1", "1"),
                                         "Not recorded": ("1", "2")}


def test_refresh_reads_new_cases(shift, engine, services, open_panel, qtbot) -> None:
    panel = open_panel(services)
    CaseStore(engine, DANA).create_case("crisis", "urgent", request_type="crisis")
    with qtbot.waitSignal(panel.sig_refreshed):
        panel.refresh()

    assert "this shift 5, today 6" in control(panel, "Contact counts").title()
    assert [DANA, "1", "0", "0"] in panel.queue_table.texts()


def test_the_figures_are_read_off_the_gui_thread(shift, services, open_panel,
                                                 monkeypatch) -> None:
    threads: list[int] = []
    real = supervisor.shift_summary

    def watched(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(supervisor, "shift_summary", watched)
    open_panel(services)

    assert threads and threading.get_ident() not in threads


def test_an_empty_store_shows_calm_empty_tables(services, open_panel) -> None:
    panel = open_panel(services)

    assert panel.queue_table.rowCount() == panel.handoff_table.rowCount() == 0
    assert "this shift 0, today 0" in control(panel, "Contact counts").title()


# -- opening, exporting, the packet ---------------------------------------------------------


def test_enter_or_double_click_on_a_handoff_or_due_case_opens_it(shift, services, open_panel,
                                                                  qtbot) -> None:
    panel = open_panel(services)
    with qtbot.waitSignal(panel.sig_open_case) as opened:
        panel.handoff_table.setFocus()
        qtbot.keyClick(panel.handoff_table, Qt.Key.Key_Return)
    assert opened.args == [shift.handed_to_lee["id"]]

    due = panel.due_table
    rect = due.visualRect(due.model().index(1, 0))
    with qtbot.waitSignal(panel.sig_open_case) as opened:
        # A double-click is a press, a release, then the second press.
        qtbot.mouseClick(due.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(due.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened.args == [shift.due_later["id"]]


def test_mandated_steps_left_undone_are_listed_until_done(shift, engine, services, open_panel,
                                                         qtbot) -> None:
    maria = CaseStore(engine, MARIA)
    case = shift.overdue
    task = maria.add_task(case["id"], "Mandated step not done on the call: Report to child "
                          "protective services in the state", hotline(22),
                          mandated_step="child-protective-services")["tasks"][-1]
    panel = open_panel(services)
    assert panel.mandated_table.texts() == [[
        case["number"], "Mandated step not done on the call: Report to child protective "
        "services in the state", "10:00 PM", MARIA]]
    table = panel.mandated_table
    rect = table.visualRect(table.model().index(0, 1))
    with qtbot.waitSignal(panel.sig_open_case) as opened:
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened.args == [case["id"]]

    maria.complete_task(case["id"], task["id"])
    with qtbot.waitSignal(panel.sig_refreshed):
        qtbot.mouseClick(control(panel, "Refresh"), Qt.MouseButton.LeftButton)
    assert panel.mandated_table.texts() == []


def test_export_writes_the_counts_as_csv_and_is_audited(shift, services, open_panel, qtbot,
                                                        tmp_path) -> None:
    panel = open_panel(services)
    target = tmp_path / "evening.csv"
    with qtbot.waitSignal(panel.sig_exported) as exported:
        panel.export_csv(target)

    assert exported.args == [str(target)]
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == SUMMARY_COLUMNS
    totals = {row[0]: row[5] for row in rows[1:] if row[3] == "All contacts"}
    assert totals == {"Evening shift": "4", "Thu 20 Nov": "5"}
    assert services.record_audit.events == [("cases.export", None, "evening.csv")]
    assert "evening.csv" in control(panel, "Export result").text()


def test_the_export_button_asks_where_to_save(shift, services, open_panel, qtbot, tmp_path,
                                              monkeypatch) -> None:
    panel = open_panel(services)
    target = tmp_path / "chosen.csv"
    asked: list[str] = []

    def choose(_parent: Any, _title: str, suggested: str, _filter: str) -> tuple[str, str]:
        asked.append(Path(suggested).name)
        return str(target), ""

    monkeypatch.setattr(supervisor.QFileDialog, "getSaveFileName", choose)
    with qtbot.waitSignal(panel.sig_exported):
        qtbot.mouseClick(control(panel, "Export CSV"), Qt.MouseButton.LeftButton)

    assert asked == ["shift-2025-11-20-evening-shift.csv"]
    assert target.read_text("utf-8-sig").startswith(",".join(SUMMARY_COLUMNS))


def test_a_failed_read_says_so_and_keeps_the_figures(shift, services, open_panel, qtbot,
                                                      monkeypatch) -> None:
    panel = open_panel(services)
    before = panel.queue_table.texts()

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError("disk unavailable")

    monkeypatch.setattr(supervisor, "shift_summary", broken)
    problem = control(panel, "Problem reading the figures")
    panel.refresh()
    qtbot.waitUntil(problem.isVisible)

    assert "could not be read just now" in problem.text()
    assert panel.queue_table.texts() == before


def test_tab_moves_through_the_buttons_and_tables(shift, services, open_panel, qtbot) -> None:
    panel = open_panel(services)
    panel.activateWindow()
    qtbot.waitActive(panel)
    control(panel, "Refresh").setFocus()
    order = []
    for _ in range(10):
        order.append(panel.focusWidget().accessibleName())
        qtbot.keyClick(panel.focusWidget(), Qt.Key.Key_Tab)

    assert order == ["Refresh", "Export CSV", "Queue by specialist", "Handoffs not yet accepted",
                     "Due this shift", "Mandated steps outstanding", "Contacts by request type",
                     "Contacts by urgency", "Contacts by caller type", "Contacts by state"]


def test_the_shift_packet_button_is_in_place_but_waits_for_printing(services,
                                                                   open_panel) -> None:
    panel = open_panel(services)

    assert panel.packet_button.isVisible()
    assert not panel.packet_button.isEnabled()
    assert panel.packet_button.toolTip() == PACKET_TIP


def test_every_control_has_an_accessible_name(shift, services, open_panel) -> None:
    panel = open_panel(services)
    tables = [panel.queue_table, panel.handoff_table, panel.due_table, panel.mandated_table,
              *panel.count_tables.values()]
    names = [table.accessibleName() for table in tables]

    assert all(names) and len(set(names)) == len(names)
    assert all(button.accessibleName() for button in
               panel.findChildren(type(panel.packet_button)))
