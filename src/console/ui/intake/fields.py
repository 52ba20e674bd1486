"""One editor per protocol field kind, all with the same small interface.

Every editor reports "unanswered" as None (or an empty list), emits ``sig_changed`` on every edit
(so half-typed text is saved too), and names itself for screen readers after its field's label.
"""

from __future__ import annotations

from typing import Any

import phonenumbers
from PySide6.QtCore import QElapsedTimer, QRegularExpression, Qt, Signal
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from console.protocol import Field
from console.protocol.calendar import find_state, us_states
from console.ui.labels import ElidedLabel

UNANSWERED = "—"
YES_NO = (("yes", "Yes"), ("no", "No"), ("unknown", "Don't know"))
PHONE_REGION = "US"
WIDTH_IN_DIGITS = {"zip": 10, "number": 8, "phone": 22}


class FieldEditor(QWidget):
    """Base of the editors: a field, a value, a signal."""

    sig_changed = Signal()
    """The value changed (emitted for every keystroke or click, never for ``set_value``)."""

    def __init__(self, spec: Field, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self._loading = False
        self.setAccessibleName(spec.label)

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        self._loading = True
        try:
            self._show(value)
        finally:
            self._loading = False

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def _changed(self) -> None:
        if not self._loading:
            self.sig_changed.emit()

    def focus_target(self) -> QWidget:
        """The control that takes the keyboard focus when the form jumps to this field."""
        return self

    def option_target(self, option: str | None) -> QWidget:
        """The control for one option of the field (a checklist step); else ``focus_target``."""
        return self.focus_target()


def _named(widget: QWidget, spec: Field, detail: str = "") -> QWidget:
    widget.setAccessibleName(f"{spec.label}{': ' + detail if detail else ''}")
    if spec.help:
        widget.setToolTip(spec.help)
    return widget


class TextEditor(FieldEditor):
    """One line of text; phone numbers and ZIP codes are checked as they are typed."""

    def __init__(self, spec: Field, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.line = _named(QLineEdit(), spec)
        # Beside the box, on one line (shortened with "…", whole in its tooltip): a warning
        # that comes and goes never moves the fields below.
        self.warning = ElidedLabel()
        self.warning.setObjectName("fieldWarning")
        self.warning.setAccessibleName(f"{spec.label}: warning")
        if spec.placeholder:
            self.line.setPlaceholderText(spec.placeholder)
        if spec.max_length:
            self.line.setMaxLength(spec.max_length)
        if spec.kind in WIDTH_IN_DIGITS:
            # Short answers get short boxes: the width says what is expected.
            digits = self.line.fontMetrics().horizontalAdvance("0") * WIDTH_IN_DIGITS[spec.kind]
            self.line.setMaximumWidth(digits + 24)
        if spec.kind == "zip":
            self.line.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,5}")))
            self.line.setPlaceholderText(spec.placeholder or "5 digits")
        elif spec.kind == "number":
            self.line.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,4}")))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        short = spec.kind in WIDTH_IN_DIGITS
        layout.addWidget(self.line, 0 if short else 1)
        layout.addWidget(self.warning, 1 if short else 0)
        self.line.textEdited.connect(self._changed)
        self.line.editingFinished.connect(self._check)

    def value(self) -> Any:
        text = self.line.text().strip()
        if self.spec.kind == "number":
            return int(text) if text else None
        return text or None

    def _show(self, value: Any) -> None:
        self.line.setText("" if value is None else str(value))
        self._check()

    def _check(self) -> None:
        """Say, without blocking anything, when a number does not look like one."""
        problem = ""
        text = self.line.text().strip()
        if text and self.spec.kind == "phone" and not _plausible_phone(text):
            problem = "This does not look like a phone number; check it with the caller."
        elif text and self.spec.kind == "zip" and len(text) != 5:
            problem = "A ZIP code has 5 digits."
        self.warning.setText(f"⚠ {problem}" if problem else "")

    def focus_target(self) -> QWidget:
        return self.line


def _plausible_phone(text: str) -> bool:
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(text, PHONE_REGION))
    except phonenumbers.NumberParseException:
        return False


class LongTextEditor(FieldEditor):
    """A few lines of notes, nudging toward short facts once they grow long."""

    def __init__(self, spec: Field, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.text = _named(QPlainTextEdit(), spec)
        self.text.setTabChangesFocus(True)  # Tab leaves the box: the form stays keyboard-first
        self.text.setPlaceholderText(spec.placeholder or "")
        lines = self.text.fontMetrics().lineSpacing()
        self.text.setMinimumHeight(lines * 4)
        self.text.setMaximumHeight(lines * 8)
        self.nudge = QLabel()
        self.nudge.setObjectName("fieldHint")
        self.nudge.setWordWrap(True)
        self.nudge.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        layout.addWidget(self.nudge)
        self.text.textChanged.connect(self._on_text)

    def value(self) -> Any:
        text = self.text.toPlainText()
        return text if text.strip() else None

    def _show(self, value: Any) -> None:
        self.text.setPlainText(value or "")

    def _on_text(self) -> None:
        length = len(self.text.toPlainText())
        soft = self.spec.soft_limit
        long = soft is not None and length > soft
        self.nudge.setText(f"{length:,} characters. Keep to short facts (who, what, where, "
                           "when) rather than a word-for-word account." if long else "")
        self.nudge.setVisible(long)
        self._changed()

    def focus_target(self) -> QWidget:
        return self.text


class StateCombo(QComboBox):
    """A list of states where typing a code ("NY") or a name ("New York") picks that state;
    a plain list would jump to NE at "Ne" and stay there."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._typed = ""
        self._since = QElapsedTimer()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if not text or not text.isprintable() or event.modifiers() & ~(
                Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier):
            super().keyPressEvent(event)
            return
        # Keys typed within the desktop's search interval make one word, as in any list.
        if not self._since.isValid() or \
                self._since.elapsed() > QApplication.keyboardInputInterval():
            self._typed = ""
        self._since.restart()
        self._typed += text
        code = find_state(self._typed)
        if code is not None:
            self.setCurrentIndex(self.findData(code))
        event.accept()


class ChoiceEditor(FieldEditor):
    """One of a list; typing the first letters picks an entry (for states, their code or
    their name). A note beside the list can flag an answer to check."""

    def __init__(self, spec: Field, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.combo = _named(StateCombo() if spec.kind == "state" else QComboBox(), spec)
        self.combo.addItem(UNANSWERED, None)
        options = us_states() if spec.kind == "state" else [(o.value, o.label)
                                                             for o in spec.options]
        for value, label in options:
            self.combo.addItem(f"{value} — {label}" if spec.kind == "state" else label, value)
        # Beside the list, not under it: a note that comes and goes never moves the form.
        self.note = QLabel()
        self.note.setObjectName("fieldWarning")
        self.note.setAccessibleName(f"{spec.label}: note")
        self.note.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addWidget(self.note)
        layout.addStretch(1)
        self.combo.currentIndexChanged.connect(self._changed)

    def show_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def value(self) -> Any:
        return self.combo.currentData()

    def _show(self, value: Any) -> None:
        index = self.combo.findData(value)
        self.combo.setCurrentIndex(max(index, 0))

    def focus_target(self) -> QWidget:
        return self.combo


class YesNoEditor(FieldEditor):
    """Yes / No / Don't know: arrow keys move between them, Tab moves on."""

    def __init__(self, spec: Field, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.group = QButtonGroup(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, QRadioButton] = {}
        for value, label in YES_NO:
            button = _named(QRadioButton(label), spec, label)
            self.group.addButton(button)
            self.buttons[value] = button
            layout.addWidget(button)
        layout.addStretch(1)
        self.group.buttonToggled.connect(lambda _button, checked: checked and self._changed())

    def value(self) -> Any:
        return next((value for value, button in self.buttons.items() if button.isChecked()), None)

    def _show(self, value: Any) -> None:
        button = self.buttons.get(value)
        if button is None:
            # An exclusive group never shows "nothing chosen" again without this.
            self.group.setExclusive(False)
            for each in self.buttons.values():
                each.setChecked(False)
            self.group.setExclusive(True)
        else:
            button.setChecked(True)

    def focus_target(self) -> QWidget:
        return next((b for b in self.buttons.values() if b.isChecked()), self.buttons["yes"])


class ManyEditor(FieldEditor):
    """Several of a list (indicators, needs) or a checklist to work through."""

    COLUMNS = 3
    SHORT_LABEL = 24

    def __init__(self, spec: Field, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        columns = 1 if spec.kind == "checklist" else min(self.COLUMNS, len(spec.options))
        if any(len(option.label) > self.SHORT_LABEL for option in spec.options):
            columns = min(columns, 2)  # long labels in three columns overflow a 1366-px screen
        for number, option in enumerate(spec.options):
            box = _named(QCheckBox(option.label), spec, option.label)
            box.toggled.connect(self._changed)
            self.boxes[option.value] = box
            layout.addWidget(box, number // columns, number % columns)

    def value(self) -> Any:
        chosen = [value for value, box in self.boxes.items() if box.isChecked()]
        return chosen or None

    def _show(self, value: Any) -> None:
        chosen = set(value or [])
        for option, box in self.boxes.items():
            box.setChecked(option in chosen)

    def focus_target(self) -> QWidget:
        return next(iter(self.boxes.values()), self)

    def option_target(self, option: str | None) -> QWidget:
        return self.boxes.get(option or "") or self.focus_target()


_EDITORS: dict[str, type[FieldEditor]] = {
    "text": TextEditor, "phone": TextEditor, "zip": TextEditor, "number": TextEditor,
    "longtext": LongTextEditor, "choice": ChoiceEditor, "state": ChoiceEditor,
    "yesno": YesNoEditor, "multichoice": ManyEditor, "checklist": ManyEditor}


def editor_for(spec: Field, parent: QWidget | None = None) -> FieldEditor:
    editor = _EDITORS[spec.kind](spec, parent)
    editor.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the inner control takes the focus
    return editor
