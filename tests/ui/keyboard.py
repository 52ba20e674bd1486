"""Drives the console the way a specialist does: keys only, into whatever has the focus."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

MOST_TAB_STOPS = 80


class Keyboard:
    def __init__(self, qtbot: QtBot) -> None:
        self.qtbot = qtbot

    @staticmethod
    def focus() -> QWidget:
        widget = QApplication.focusWidget()
        assert widget is not None, "nothing has the keyboard focus"
        return widget

    def press(self, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
              times: int = 1) -> None:
        for _ in range(times):
            QTest.keyClick(self.focus(), key, modifiers)

    def type(self, text: str) -> None:
        QTest.keyClicks(self.focus(), text)

    def tab_to(self, accessible_name: str) -> QWidget:
        """Press Tab until the control named ``accessible_name`` (or starting so) has the focus."""
        for _ in range(MOST_TAB_STOPS):
            if self.focus().accessibleName().startswith(accessible_name):
                return self.focus()
            self.press(Qt.Key.Key_Tab)
        raise AssertionError(f"Tab never reached {accessible_name!r}")

    def answer(self, accessible_name: str, text: str) -> None:
        """Tab to a field and type into it (a list picks the entry starting with ``text``)."""
        self.tab_to(accessible_name)
        self.type(text)

    def choose(self, accessible_name: str, option: str) -> None:
        """Tab to a yes/no or check box field and tick the option called ``option``."""
        self.tab_to(f"{accessible_name}: ")
        for _ in range(12):
            if self.focus().accessibleName() == f"{accessible_name}: {option}":
                self.press(Qt.Key.Key_Space)
                return
            # Arrow keys move within a yes/no group; Tab moves between check boxes.
            key = Qt.Key.Key_Right if type(self.focus()).__name__ == "QRadioButton" \
                else Qt.Key.Key_Tab
            self.press(key)
        raise AssertionError(f"no option {option!r} in {accessible_name!r}")
