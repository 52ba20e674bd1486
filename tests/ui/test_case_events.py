"""One "cases changed" notice: a save or a sync pull says which cases changed, and the open
case, the case list and the supervisor view each read them again."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pytestqt.qtbot import QtBot
from sqlalchemy import Engine

from console.app import Connection
from console.cases.listing import CaseList
from console.cases.store import CaseStore
from console.protocol import Protocol
from console.sync.client import SyncReport, SyncStatus
from console.tasks import TaskState, check_cancelled
from console.ui.cases.case_list import CaseListPanel
from console.ui.cases.detail.panel import CaseDetail
from console.ui.cases.services import CaseServices
from console.ui.cases.supervisor import SupervisorPanel
from console.ui.sync_runner import SyncRunner
from console.ui.taskman import TaskManager
from tests.ui.console import open_console

ME = "maria"


@dataclass
class PullingClient:
    """Stands in for the sync client: each sync brings the server's copy of one case."""

    store: CaseStore
    server_copy: dict
    status: SyncStatus = field(default_factory=SyncStatus)

    def sync_once(self, state: TaskState) -> SyncReport:
        self.store.apply_server_cases([self.server_copy], "cursor-1")
        self.status = SyncStatus(online=True, last_success=datetime.now(UTC))
        return SyncReport(cases_pulled=1, changed_cases={self.server_copy["id"]})


def services_of(engine: Engine, protocol: Protocol, role: str = "specialist") -> CaseServices:
    return CaseServices(CaseStore(engine, ME), CaseList(engine), protocol, ME, role)


def new_case(store: CaseStore, summary: str) -> dict:
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    return store.create_case("crisis", "urgent", summary=summary, request_type="crisis",
                             due_at=due)


def test_a_sync_pull_refreshes_the_open_case(qtbot: QtBot, engine: Engine, protocol: Protocol,
                                             tasks: TaskManager) -> None:
    services = services_of(engine, protocol)
    case = new_case(services.cases, "Caller at a motel")
    detail = CaseDetail(services, tasks)
    qtbot.addWidget(detail)
    detail.show()
    with qtbot.waitSignal(detail.sig_shown):
        detail.show_case(case["id"])
    server_copy = {**services.cases.get(case["id"]), "version": 5,
                   "notes": [{"id": "5b0d7c1e-5a0e-4b1c-9a4e-6f3b1c2d4e5f", "author": "lee",
                              "text": "Shelter called back", "created_at": case["created_at"]}]}
    client = PullingClient(services.cases, server_copy)
    runner = SyncRunner(tasks, lambda: Connection(client))  # type: ignore[arg-type]
    runner.sig_cases_changed.connect(services.events.changed)  # as the window wires it

    with qtbot.waitSignal(services.events.sig_cases_changed) as notice, \
            qtbot.waitSignal(detail.sig_shown):
        runner.start()
    runner.stop()
    tasks.wait_idle()

    assert notice.args == [frozenset({case["id"]})]
    detail.tabs.setCurrentWidget(detail.notes)
    assert "Shelter called back" in detail.notes.notes.toPlainText()


def test_the_open_case_is_read_again_only_for_its_own_changes(
        qtbot: QtBot, engine: Engine, protocol: Protocol, tasks: TaskManager) -> None:
    services = services_of(engine, protocol)
    case, other = (new_case(services.cases, text) for text in ("Mine", "Another"))
    detail = CaseDetail(services, tasks)
    qtbot.addWidget(detail)
    with qtbot.waitSignal(detail.sig_shown):
        detail.show_case(case["id"])

    with qtbot.assertNotEmitted(detail.sig_shown, wait=200):
        services.events.changed({other["id"]})
    with qtbot.waitSignal(detail.sig_shown):
        services.events.changed({other["id"], case["id"]})
    tasks.wait_idle()


def test_the_case_list_lists_again_when_cases_change(qtbot: QtBot, engine: Engine,
                                                     protocol: Protocol,
                                                     tasks: TaskManager) -> None:
    services = services_of(engine, protocol)
    panel = CaseListPanel(services, tasks)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.sig_rows_shown):
        panel.show()
    case = new_case(services.cases, "Arrived with a sync")
    with qtbot.waitSignal(panel.sig_rows_shown):
        services.events.changed({case["id"]})
    tasks.wait_idle()
    assert panel.selected_case_id() == case["id"]


def test_the_supervisor_view_follows_changes_and_catches_up_when_shown(
        qtbot: QtBot, engine: Engine, protocol: Protocol, tasks: TaskManager) -> None:
    services = services_of(engine, protocol, role="supervisor")
    panel = SupervisorPanel(services, tasks)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.sig_refreshed):
        panel.show()
    case = new_case(services.cases, "Urgent, just pulled")
    with qtbot.waitSignal(panel.sig_refreshed):
        services.events.changed({case["id"]})
    assert [f"{ME} (you)", "1", "0", "0"] in panel.queue_table.texts()

    panel.hide()
    new_case(services.cases, "Another, while the view was hidden")
    with qtbot.assertNotEmitted(panel.sig_refreshed, wait=200):
        services.events.changed({case["id"]})
    with qtbot.waitSignal(panel.sig_refreshed):
        panel.show()
    assert [f"{ME} (you)", "2", "0", "0"] in panel.queue_table.texts()
    tasks.wait_idle()


def test_the_window_passes_a_syncs_changes_to_every_panel(qtbot: QtBot) -> None:
    with open_console(qtbot) as window:
        with qtbot.waitSignal(window.case_services.events.sig_cases_changed) as notice:
            window.runner.sig_cases_changed.emit(frozenset({"a-case"}))
        assert notice.args == [frozenset({"a-case"})]


@dataclass
class EndlessFirstSync:
    """A first sync that takes as long as it is let: it stops only when cancelled."""

    stopped: threading.Event = field(default_factory=threading.Event)
    status: SyncStatus = field(default_factory=SyncStatus)
    closed_while_running: bool | None = None

    def sync_once(self, state: TaskState) -> SyncReport:
        try:
            for done in range(1_000_000):
                state.progress("downloading the directory", done, 1_000_000)
                check_cancelled(state)
                time.sleep(0.005)
        finally:
            self.stopped.set()
        return SyncReport()

    def close(self) -> None:
        self.closed_while_running = not self.stopped.is_set()


def test_closing_the_window_during_a_first_sync_stops_it_before_closing_the_stores(
        qtbot: QtBot) -> None:
    client = EndlessFirstSync()
    with open_console(qtbot) as window:
        window.runner._connect = lambda: Connection(client)  # type: ignore[assignment]
        disposed_after_stop: list[bool] = []
        close_stores = window.workstation.close

        def close_workstation() -> None:
            disposed_after_stop.append(client.stopped.is_set())
            close_stores()

        window.workstation.close = close_workstation  # type: ignore[method-assign]
        with qtbot.waitSignal(window.runner.sig_progress):
            window.runner.start()
        qtbot.waitUntil(window.status.progress.isVisible)
        window.close()

    assert client.stopped.is_set()
    assert disposed_after_stop == [True]
    assert client.closed_while_running is False
