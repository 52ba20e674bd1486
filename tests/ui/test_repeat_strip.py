"""The repeat-contact strip over a real case store: earlier cases found as a call is typed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine

from console.cases import changes
from console.cases.changes import Case
from console.cases.listing import CaseList
from console.cases.store import CaseStore
from console.protocol import load_protocol
from console.ui.cases.services import CaseServices
from console.ui.intake import repeat_strip
from console.ui.intake.repeat_strip import ATTACHED_MARK, RepeatStrip
from console.ui.taskman import TaskManager

ME = "maria"
EARLIER = datetime(2025, 11, 12, 18, 0, tzinfo=UTC)
NOW = datetime(2025, 11, 24, 15, 0, tzinfo=UTC)



@pytest.fixture()
def services(engine: Engine) -> CaseServices:
    return CaseServices(CaseStore(engine, ME), CaseList(engine), load_protocol(), ME,
                        "specialist", clock=lambda: NOW)


@pytest.fixture()
def earlier(services: CaseServices, monkeypatch: pytest.MonkeyPatch) -> Case:
    """A tip taken on 12 November, before the call on screen."""
    monkeypatch.setattr(changes, "utc_now", lambda: EARLIER.isoformat(timespec="milliseconds"))
    case = services.cases.create_case(
        "tip", "non-urgent", request_type="tip",
        answers={"caller_phone": "(713) 555-0150", "venue": "Golden Lotus Spa"})
    monkeypatch.undo()
    return case


@pytest.fixture()
def current(services: CaseServices) -> Case:
    return services.cases.create_case("crisis", "urgent", request_type="crisis")



@pytest.fixture()
def strip(qtbot: QtBot, services: CaseServices, tasks: TaskManager) -> Iterator[RepeatStrip]:
    widget = RepeatStrip(services, tasks)
    qtbot.addWidget(widget)
    holder = QWidget()  # the call page it sits on
    qtbot.addWidget(holder)
    widget.setParent(holder)
    holder.resize(1366, 200)
    holder.show()
    yield widget
    tasks.wait_idle()  # no task may still hold the strip when it is freed


def check(qtbot: QtBot, strip: RepeatStrip, case_id: str, **answers: Any) -> list[str]:
    """Check ``answers`` and return the lines the strip then shows."""
    with qtbot.waitSignal(strip.sig_checked):
        strip.check(case_id, answers)
    return [label.text() for label in strip.findChildren(QLabel) if label.isVisibleTo(strip)]


def button(strip: RepeatStrip, name: str) -> QPushButton:
    (found,) = [b for b in strip.findChildren(QPushButton)
                if b.accessibleName() == name and b.isVisibleTo(strip)]
    return found


def test_a_phone_typed_another_way_shows_the_earlier_case(qtbot, strip, earlier,
                                                          current) -> None:
    lines = check(qtbot, strip, current["id"], caller_phone="713.555.0150")

    assert strip.isVisible()
    assert lines == [f"Possible earlier contact: case {earlier['number']} (tip, 12 Nov) — "
                     "same caller phone"]


def test_attach_and_open_emit_the_earlier_case_id(qtbot, strip, earlier, current) -> None:
    check(qtbot, strip, current["id"], caller_phone="+1 713 555 0150")
    attach = button(strip, f"Attach this call to case {earlier['number']}")
    with qtbot.waitSignal(strip.sig_attach) as attached:
        qtbot.mouseClick(attach, Qt.MouseButton.LeftButton)
    assert attached.args == [earlier["id"]]
    assert attach.text() == ATTACHED_MARK and not attach.isEnabled()

    with qtbot.waitSignal(strip.sig_open_case) as opened:
        qtbot.mouseClick(button(strip, f"Open case {earlier['number']}"),
                         Qt.MouseButton.LeftButton)
    assert opened.args == [earlier["id"]]


def test_the_buttons_are_reached_and_pressed_from_the_keyboard(qtbot, strip, earlier,
                                                               current) -> None:
    check(qtbot, strip, current["id"], caller_phone="7135550150")
    strip.window().activateWindow()
    opener = button(strip, f"Open case {earlier['number']}")
    opener.setFocus()
    qtbot.keyClick(opener, Qt.Key.Key_Tab)
    attach = strip.focusWidget()
    assert attach is not None
    assert attach.accessibleName() == f"Attach this call to case {earlier['number']}"
    with qtbot.waitSignal(strip.sig_attach) as attached:
        qtbot.keyClick(attach, Qt.Key.Key_Space)
    assert attached.args == [earlier["id"]]


def test_nothing_matching_hides_the_strip(qtbot, strip, earlier, current) -> None:
    check(qtbot, strip, current["id"], caller_phone="713.555.0150")
    assert strip.isVisible()

    assert check(qtbot, strip, current["id"], caller_phone="212 555 0199") == []
    assert not strip.isVisible()


def test_the_call_itself_is_never_its_own_earlier_contact(qtbot, strip, services) -> None:
    answers = {"caller_phone": "713-555-0150"}
    call = services.cases.create_case("crisis", "urgent", answers=answers)

    assert check(qtbot, strip, call["id"], **answers) == []


def test_more_than_three_matches_are_summed_up(qtbot, strip, services, current) -> None:
    for _ in range(5):
        services.cases.create_case("crisis", "urgent", answers={"caller_phone": "7135550150"})
    lines = check(qtbot, strip, current["id"], caller_phone="(713) 555-0150")

    assert len(lines) == 4
    assert all(line.startswith("Possible earlier contact: case ") for line in lines[:3])
    assert lines[3] == "and 2 more"
    assert len(strip.matches()) == 5


def test_only_the_newest_check_is_shown_and_it_runs_off_the_gui_thread(
        qtbot, strip, earlier, current, monkeypatch) -> None:
    seen: list[tuple[dict[str, Any], int]] = []
    real: Callable[..., Any] = repeat_strip.find_repeats

    def watched(engine: Engine, answers: dict[str, Any], exclude: str) -> Any:
        seen.append((dict(answers), threading.get_ident()))
        return real(engine, answers, exclude)

    monkeypatch.setattr(repeat_strip, "find_repeats", watched)
    strip.check(current["id"], {"caller_phone": "713"})
    strip.check(current["id"], {"caller_phone": "713555"})
    lines = check(qtbot, strip, current["id"], caller_phone="713 555 0150")

    assert [answers for answers, _thread in seen] == [{"caller_phone": "713 555 0150"}]
    assert threading.get_ident() not in {thread for _answers, thread in seen}
    assert len(lines) == 1


def test_a_new_call_forgets_what_was_attached(qtbot, strip, services, earlier,
                                              current) -> None:
    check(qtbot, strip, current["id"], caller_phone="713.555.0150")
    qtbot.mouseClick(button(strip, f"Attach this call to case {earlier['number']}"),
                     Qt.MouseButton.LeftButton)
    next_call = services.cases.create_case("crisis", "urgent")
    check(qtbot, strip, next_call["id"], caller_phone="713.555.0150")

    attach = button(strip, f"Attach this call to case {earlier['number']}")
    assert attach.isEnabled() and attach.text() == "Attach this call"
    strip.clear()
    assert not strip.isVisible()
