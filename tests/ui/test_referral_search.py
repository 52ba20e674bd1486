"""The referral search panel, searching the real demo directory as a specialist would."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from console.directory.search import DirectorySearch, SearchQuery, SearchResult
from console.directory.store import demo_directory_path, open_local_directory
from console.ui.referral_search import (
    CONFIDENTIAL_NOTE,
    ON_SHEET_MARK,
    RESULT_ROLE,
    ReferralSearchPanel,
)
from console.ui.taskman import TaskManager

TAB_ORDER = ("Search services", "Category", "Population", "Language", "Caller ZIP",
             "Radius in miles", "Open now", "24 hours", "Results", "Service details",
             "Add to sheet")


class RecordingSearch:
    """The directory search, noting each query and the thread it ran on."""

    def __init__(self, directory: DirectorySearch) -> None:
        self._directory = directory
        self.queries: list[SearchQuery] = []
        self.threads: list[int] = []

    def __call__(self, query: SearchQuery) -> list[SearchResult]:
        self.queries.append(query)
        self.threads.append(threading.get_ident())
        return self._directory.search(query)


@pytest.fixture()
def search(hotline_home: Path) -> Iterator[RecordingSearch]:
    # hotline_home points HOTLINE_HOME at a fresh folder, so the demo directory is seeded there.
    engine = open_local_directory()
    directory = DirectorySearch(engine)
    yield RecordingSearch(directory)
    directory.close()
    engine.dispose()



@pytest.fixture()
def panel(qtbot, tasks: TaskManager, search: RecordingSearch) -> ReferralSearchPanel:
    widget = ReferralSearchPanel(tasks, search)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    with qtbot.waitSignal(widget.sig_results_shown):
        widget.show()
    return widget


def control(panel: ReferralSearchPanel, name: str) -> QWidget:
    (widget,) = [w for w in panel.findChildren(QWidget) if w.accessibleName() == name]
    return widget


def shown_results(panel: ReferralSearchPanel) -> list[SearchResult]:
    model = control(panel, "Results").model()
    return [model.index(row, 0).data(RESULT_ROLE) for row in range(model.rowCount())]


def shown_text(panel: ReferralSearchPanel) -> str:
    """Everything the panel shows in words: labels, rows and their tooltips, the details."""
    model = control(panel, "Results").model()
    rows = [model.index(row, 0).data(role) for row in range(model.rowCount())
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)]
    labels = [label.text() for label in panel.findChildren(QLabel)]
    return "\n".join([*rows, *labels, control(panel, "Service details").toPlainText()])


def type_search(qtbot, panel: ReferralSearchPanel, text: str) -> int:
    field = control(panel, "Search services")
    field.clear()
    # A new search from nothing selected: the panel keeps a selection that is still among the
    # results, which would make "the first result" depend on what the demo lists first.
    control(panel, "Results").setCurrentIndex(QModelIndex())
    with qtbot.waitSignal(panel.sig_results_shown) as shown:
        qtbot.keyClicks(field, text)
    return shown.args[0]


def select_row(panel: ReferralSearchPanel, row: int) -> SearchResult:
    view = control(panel, "Results")
    view.setCurrentIndex(view.model().index(row, 0))
    return shown_results(panel)[row]


def confidential_demo_service() -> tuple[str, str, str]:
    """(service id, service name, street) of a demo service whose address is confidential."""
    for service in json.loads(demo_directory_path().read_text(encoding="utf-8")):
        for at in service.get("service_at_locations", []):
            for address in at["location"].get("addresses", []):
                flags = {a["taxonomy_term"]["code"] for a in address.get("attributes", [])}
                if "confidential-address" in flags:
                    return service["id"], service["name"], address["address_1"]
    raise AssertionError("the demo directory has no confidential address")


def test_typing_shows_results_found_off_the_gui_thread(qtbot, panel, search) -> None:
    count = type_search(qtbot, panel, "shelter")

    assert count == len(shown_results(panel)) > 0
    assert search.queries[-1].text == "shelter"
    assert threading.get_ident() not in search.threads
    assert any("shelter" in r.service_name.casefold() for r in shown_results(panel))
    assert control(panel, "Service details").toPlainText().startswith(
        shown_results(panel)[0].service_name)


def test_a_filter_narrows_the_results(qtbot, panel) -> None:
    everyone = type_search(qtbot, panel, "legal")
    language = control(panel, "Language")
    with qtbot.waitSignal(panel.sig_results_shown) as shown:
        language.setCurrentIndex(language.findText("Arabic"))

    assert 0 < shown.args[0] < everyone
    assert all("Arabic" in result.languages for result in shown_results(panel))


def test_an_unknown_zip_is_explained_inline_and_the_results_stay(qtbot, panel) -> None:
    type_search(qtbot, panel, "legal")
    before = shown_results(panel)
    qtbot.keyClicks(control(panel, "Caller ZIP"), "00000")
    message = control(panel, "Search problem")
    qtbot.waitUntil(message.isVisible)

    assert "ZIP code '00000'" in message.text()
    assert shown_results(panel) == before
    assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == [panel]


def test_a_zip_orders_by_distance_and_a_good_search_clears_the_problem(qtbot, panel) -> None:
    zip_field = control(panel, "Caller ZIP")
    qtbot.keyClicks(zip_field, "00000")
    qtbot.waitUntil(control(panel, "Search problem").isVisible)
    with qtbot.waitSignal(panel.sig_results_shown):
        panel.set_caller_location("48808")

    assert zip_field.text() == "48808"
    assert not control(panel, "Search problem").isVisible()
    distances = [r.distance_miles for r in shown_results(panel) if r.distance_miles is not None]
    assert distances and distances == sorted(distances)
    assert "near 48808" in shown_text(panel)


def test_a_confidential_address_is_never_shown(qtbot, panel) -> None:
    service_id, name, street = confidential_demo_service()
    type_search(qtbot, panel, name)
    rows = [r.service_id for r in shown_results(panel)]
    select_row(panel, rows.index(service_id))

    assert street not in shown_text(panel)
    assert CONFIDENTIAL_NOTE in control(panel, "Service details").toPlainText()
    row_text = control(panel, "Results").currentIndex().data(Qt.ItemDataRole.DisplayRole)
    assert CONFIDENTIAL_NOTE in row_text


def test_the_add_button_offers_the_selected_service(qtbot, panel) -> None:
    type_search(qtbot, panel, "shelter")
    chosen = select_row(panel, 1)
    with qtbot.waitSignal(panel.sig_add_referral) as added:
        qtbot.mouseClick(control(panel, "Add to sheet"), Qt.MouseButton.LeftButton)

    assert added.args == [chosen]


def test_enter_on_a_result_adds_it(qtbot, panel) -> None:
    type_search(qtbot, panel, "legal")
    search_field = control(panel, "Search services")
    qtbot.keyClick(search_field, Qt.Key.Key_Down)
    results = control(panel, "Results")
    qtbot.keyClick(results, Qt.Key.Key_Down)
    with qtbot.waitSignal(panel.sig_add_referral) as added:
        qtbot.keyClick(results, Qt.Key.Key_Return)

    assert added.args == [shown_results(panel)[1]]


def test_set_added_marks_the_row_and_disables_adding_it_again(qtbot, panel) -> None:
    type_search(qtbot, panel, "legal")
    chosen = select_row(panel, 0)
    panel.set_added({chosen.service_id})
    button = control(panel, "Add to sheet")
    row_text = control(panel, "Results").currentIndex().data(Qt.ItemDataRole.DisplayRole)

    assert row_text.startswith(ON_SHEET_MARK)
    assert not button.isEnabled()
    with qtbot.assertNotEmitted(panel.sig_add_referral):
        panel.add_selected()
    select_row(panel, 1)
    assert button.isEnabled()


def test_the_keyboard_reaches_every_control_in_order(qtbot, panel) -> None:
    type_search(qtbot, panel, "legal")
    panel.activateWindow()
    panel.focus_search()
    qtbot.waitUntil(lambda: control(panel, "Search services").hasFocus())
    reached = []
    for _ in TAB_ORDER:
        reached.append(QApplication.focusWidget().accessibleName())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)

    assert tuple(reached) == TAB_ORDER


def test_down_in_the_search_field_moves_to_the_first_result(qtbot, panel) -> None:
    type_search(qtbot, panel, "legal")
    panel.activateWindow()
    panel.focus_search()
    qtbot.keyClick(control(panel, "Search services"), Qt.Key.Key_Down)
    results = control(panel, "Results")

    assert results.hasFocus()
    assert results.currentIndex().row() == 0


def test_focus_search_selects_the_text_to_type_over(qtbot, panel) -> None:
    type_search(qtbot, panel, "legal")
    panel.activateWindow()
    control(panel, "Results").setFocus()
    panel.focus_search()
    field = control(panel, "Search services")

    assert field.hasFocus()
    assert field.selectedText() == "legal"


def test_refresh_searches_again(qtbot, panel, search) -> None:
    asked = len(search.queries)
    with qtbot.waitSignal(panel.sig_results_shown):
        panel.refresh()

    assert len(search.queries) == asked + 1
    assert search.queries[-1] == search.queries[-2]


def test_no_results_shows_the_calm_empty_state(qtbot, panel) -> None:
    assert type_search(qtbot, panel, "zzzzqqqq xxyyzz") == 0
    assert "No services" in shown_text(panel)
    assert not control(panel, "Add to sheet").isEnabled()


def test_every_interactive_control_is_named_and_explained(panel) -> None:
    # Widgets with a focus proxy hand focus on (a spin box's editor); popups are other windows.
    interactive = [w for w in panel.findChildren(QWidget)
                   if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.window() is panel
                   and w.focusProxy() is None]

    assert {w.accessibleName() for w in interactive} == set(TAB_ORDER)
    assert all(w.toolTip() for w in interactive)
