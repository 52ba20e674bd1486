"""The intake protocol rendered as tabs: fields on the left, what to say on the right.

Nothing here decides anything: the protocol engine says which fields show, which are required
and what is missing (``apply``); the form only shows it and reports each edit.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.protocol import Answers, Evaluation, Protocol, Tab
from console.ui.intake.fields import FieldEditor, editor_for

REQUIRED_MARK = " *"


class ScriptPanel(QFrame):
    """The protocol's scripted prompts for the tab, and the one for the field in hand."""

    def __init__(self, tab: Tab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scriptPanel")
        self.setAccessibleName(f"{tab.title}: what to say")
        heading = QLabel("Say or ask")
        heading.setObjectName("scriptHeading")
        self.tab_prompts = QLabel("".join(f"<p>{html.escape(p, quote=False)}</p>"
                                          for p in tab.prompts))
        self.field_prompt = QLabel()
        self.field_prompt.setObjectName("fieldPrompt")
        self.field_prompt.setTextFormat(Qt.TextFormat.PlainText)
        self.note = QLabel()
        self.note.setObjectName("scriptNote")
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.hide()
        for label in (self.tab_prompts, self.field_prompt, self.note):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.tab_prompts)
        layout.addWidget(self.field_prompt)
        layout.addStretch(1)
        layout.addWidget(self.note)

    def show_note(self, text: str) -> None:
        """A standing reminder under the prompts (e.g. the key for an unsafe caller)."""
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def show_field_prompt(self, prompt: str | None) -> None:
        self.field_prompt.setText(prompt or "")
        self.field_prompt.setVisible(bool(prompt))


class _UpAndDown(QScrollArea):
    """Scrolls up and down only: as wide as its content needs at the least, so no field or
    check box is ever cut off at the side."""

    def minimumSizeHint(self) -> QSize:
        content = self.widget()
        least = super().minimumSizeHint()
        if content is None:
            return least
        frame = 2 * self.frameWidth()
        return QSize(content.minimumSizeHint().width() + frame
                     + self.verticalScrollBar().sizeHint().width(), least.height())


def _scrolling(content: QWidget) -> QScrollArea:
    """``content`` in a frameless scroll area, so nothing is cut off on a small screen."""
    scroll = _UpAndDown()
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from field to field, no stops between
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(content)
    return scroll


class ProtocolTab(QWidget):
    """One tab of the protocol: a scrolling form, its script, what is still missing."""

    def __init__(self, tab: Tab, extra: QWidget | None = None, side: QWidget | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tab = tab
        self.editors: dict[str, FieldEditor] = {}
        self.labels: dict[str, QLabel] = {}
        self.script = ScriptPanel(tab)
        self.missing = QLabel()
        self.missing.setObjectName("missing")
        self.missing.setWordWrap(True)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for spec in tab.fields:
            editor = editor_for(spec)
            label = QLabel(spec.label + (" (personal)" if spec.personal else ""))
            label.setBuddy(editor.focus_target())
            label.setWordWrap(True)
            self.editors[spec.id], self.labels[spec.id] = editor, label
            form.addRow(label, editor)
        self._form = form
        body = QWidget()
        column = QVBoxLayout(body)
        column.addLayout(form)
        column.addWidget(self.missing)
        column.addStretch(1)
        top = QWidget()
        row = QHBoxLayout(top)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(_scrolling(body), 3)
        right = QVBoxLayout()
        right.addWidget(_scrolling(self.script), 2)
        if side is not None:
            right.addWidget(side, 2)  # as much room as the script: it holds the work
        row.addLayout(right, 2)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        if extra is None:
            outer.addWidget(top)
            return
        # A tab with a working area (the referral search) gives it most of the height — on a
        # 768-pixel screen, room for a handful of results — and the form scrolls above it; the
        # person can drag the divider when the form needs more.
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(top)
        splitter.addWidget(extra)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 4)
        outer.addWidget(splitter)

    def apply(self, evaluation: Evaluation) -> None:
        for field_id, editor in self.editors.items():
            self._form.setRowVisible(editor, field_id in evaluation.visible)
            spec = editor.spec
            required = REQUIRED_MARK if field_id in evaluation.required else ""
            self.labels[field_id].setText(
                spec.label + (" (personal)" if spec.personal else "") + required)
        mine = [self.editors[m.field_id].spec.label for m in evaluation.missing
                if m.tab_id == self.tab.id]
        self.missing.setText("Still needed: " + ", ".join(mine) if mine else "")
        self.missing.setVisible(bool(mine))


class IntakeForm(QTabWidget):
    """All the protocol's tabs; Alt+<digit> or Ctrl+PgUp/PgDn move between them."""

    sig_answer_changed = Signal(str)
    """A field's value changed (the field id); read it with ``answers``."""

    sig_position_changed = Signal(str, str)
    """The specialist moved to (tab id, field id or "")."""

    def __init__(self, protocol: Protocol, extras: dict[str, QWidget] | None = None,
                 sides: dict[str, QWidget] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Intake")
        self.tabBar().setAccessibleName("Intake tabs")
        self.protocol = protocol
        self.pages: dict[str, ProtocolTab] = {}
        extras, sides = extras or {}, sides or {}
        for tab in protocol.tabs:
            page = ProtocolTab(tab, extras.get(tab.id), sides.get(tab.id))
            self.pages[tab.id] = page
            # The digit is shown, not a mnemonic: Alt+digit is the window's "go to tab" action,
            # which also puts the cursor in the tab's first field.
            self.addTab(page, f"{tab.key} {tab.title}")
            for field_id, editor in page.editors.items():
                editor.sig_changed.connect(lambda f=field_id: self.sig_answer_changed.emit(f))
        self.currentChanged.connect(lambda _index: self._report_position(self._focused_field()))
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_focus)

    # --- values ----------------------------------------------------------------------------

    def answers(self) -> Answers:
        return {field_id: editor.value() for page in self.pages.values()
                for field_id, editor in page.editors.items()}

    def answer(self, field_id: str) -> Any:
        return self._editor(field_id).value()

    def set_answer(self, field_id: str, value: Any) -> None:
        """Answer a field for the specialist (a shortcut did it) and report it as an edit."""
        self._editor(field_id).set_value(value)
        self.sig_answer_changed.emit(field_id)

    def load(self, answers: Answers) -> None:
        for page in self.pages.values():
            for field_id, editor in page.editors.items():
                editor.set_value(answers.get(field_id))

    def apply(self, evaluation: Evaluation) -> None:
        for page in self.pages.values():
            page.apply(evaluation)

    # --- moving around ---------------------------------------------------------------------

    def current_tab_id(self) -> str:
        page = self.currentWidget()
        return page.tab.id if isinstance(page, ProtocolTab) else self.protocol.tabs[0].id

    def go_to(self, tab_id: str, field_id: str | None = None, option: str | None = None
              ) -> None:
        """Show a tab and put the cursor in a field (on one of its options, if given)."""
        page = self.pages.get(tab_id)
        if page is None:
            return
        self.setCurrentWidget(page)
        editor = page.editors.get(field_id or "")
        target = (editor.option_target(option) if editor is not None and editor.isVisible()
                  else None)
        if target is None:
            target = next((e.focus_target() for e in page.editors.values()
                           if not e.isHidden()), page)
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def step(self, offset: int) -> None:
        self.setCurrentIndex((self.currentIndex() + offset) % self.count())
        self.go_to(self.current_tab_id())

    def editor(self, field_id: str) -> FieldEditor:
        """The editor of a field (for notes the window shows beside it)."""
        return self._editor(field_id)

    def _editor(self, field_id: str) -> FieldEditor:
        tab = self.protocol.tab_of(field_id)
        return self.pages[tab.id].editors[field_id]

    def _focused_field(self) -> str:
        """The field holding the keyboard focus in the current tab, or "" when none does.

        Qt moves the focus into a new tab before announcing the tab change, so the change
        must not forget the field the focus just reached."""
        editor = _editor_holding(QApplication.focusWidget())
        page = self.currentWidget()
        return editor.spec.id if editor is not None and page.isAncestorOf(editor) else ""

    def _on_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        widget = _editor_holding(new)
        if widget is not None and self.isAncestorOf(widget):
            page = self.pages[self.protocol.tab_of(widget.spec.id).id]
            page.script.show_field_prompt(widget.spec.prompt)
            self._report_position(widget.spec.id)

    def _report_position(self, field_id: str) -> None:
        self.sig_position_changed.emit(self.current_tab_id(), field_id)


def _editor_holding(widget: QWidget | None) -> FieldEditor | None:
    while widget is not None and not isinstance(widget, FieldEditor):
        widget = widget.parentWidget()
    return widget
