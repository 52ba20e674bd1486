"""The locked window and the sign-in screen: no case data, only who may come back in.

Locking swaps the window's whole content for this page (a stack, not a cover laid on top), so
nothing of a case is drawn — not on the screen, not in the task switcher's thumbnail. The person
who locked unlocks with their password; anyone else may sign in as themselves, which saves and
closes the first person's work and opens their own store. Password checks take an argon2id
derivation (a tenth of a second or more), so they run off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from console.security.people import Person, SignInRefused
from console.ui.labels import MessageSlot
from console.ui.taskman import Lane, TaskManager

# Input that shows someone is at the keyboard: it restarts the idle countdown.
_ACTIVITY = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress,
                       QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.TouchBegin})


class IdleWatcher(QObject):
    """Counts down from the last key press or mouse move anywhere in the application."""

    sig_idle = Signal()
    """Nobody touched keyboard or mouse for the whole idle time."""

    def __init__(self, idle_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(idle_ms)
        self.timer.timeout.connect(self.sig_idle)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY:
            self.timer.start()
        return False

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class LockPage(QWidget):
    """Unlock as the person signed in, or sign in as someone else.

    ``check_password(password)`` raises when the password is wrong (or must wait);
    ``sign_in(user, password)`` returns the ``Person`` signed in, or raises with words for them.
    With no one signed in (``user`` empty) only the sign-in part is shown.
    """

    sig_unlocked = Signal()
    """The person who locked typed their password."""
    sig_signed_in = Signal(object)
    """Someone signed in as themselves (the ``Person``)."""

    def __init__(self, tasks: TaskManager, check_password: Callable[[str], None] | None,
                 sign_in: Callable[[str, str], Person], user: str = "", hint: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockPage")
        self.setAccessibleName("Locked" if user else "Sign in")
        self._tasks, self._check, self._sign_in = tasks, check_password, sign_in
        title = QLabel(f"Locked — {user} is signed in" if user else "Hotline Console: sign in")
        title.setObjectName("lockTitle")
        # Each answer shows right under the button that asked for it, not at the foot of the
        # page: ``message`` is the one in use.
        self._unlock_note, self._sign_in_note = _note(), _note()
        self.message = self._sign_in_note
        self.password = _password_field("Your password")
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setAccessibleName("Unlock")
        self.unlock_button.clicked.connect(self.unlock)
        self.password.returnPressed.connect(self.unlock)
        self.other_user = QLineEdit()
        self.other_user.setAccessibleName("User name")
        self.other_password = _password_field("Password")
        self.sign_in_button = QPushButton("&Sign in")
        self.sign_in_button.setAccessibleName("Sign in")
        self.sign_in_button.clicked.connect(self.sign_in)
        self.other_password.returnPressed.connect(self.sign_in)

        panel = QWidget()  # a narrow column in the middle, whatever the window's width
        panel.setFixedWidth(480)
        column = QVBoxLayout(panel)
        column.addWidget(title, 0, Qt.AlignmentFlag.AlignHCenter)
        if user:
            mine = QFormLayout()
            mine.addRow("&Password", self.password)
            mine.addRow("", self.unlock_button)
            mine.addRow("", self._unlock_note)
            column.addLayout(mine)
        if user:
            column.addSpacing(16)
            column.addWidget(QLabel("Sign in as someone else:"))
        form = QFormLayout()
        form.addRow("User &name", self.other_user)
        form.addRow("Pass&word", self.other_password)
        form.addRow("", self.sign_in_button)
        form.addRow("", self._sign_in_note)
        column.addLayout(form)
        if hint:
            demo = QLabel(hint)
            demo.setWordWrap(True)
            demo.setObjectName("demoHint")
            demo.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            column.addWidget(demo)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(panel)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)

    def focus_first(self) -> None:
        (self.password if self._check is not None and self.password.isVisibleTo(self)
         else self.other_user).setFocus(Qt.FocusReason.OtherFocusReason)

    def unlock(self) -> None:
        check, password = self._check, self.password.text()
        if check is None:
            return
        self._busy("Checking…", self._unlock_note)
        self._tasks.run(lambda: check(password), lambda _none: self._unlocked(),
                        self._refused_unlock, lane=Lane.WRITES)

    def sign_in(self) -> None:
        user, password = self.other_user.text(), self.other_password.text()
        self._busy("Signing in…", self._sign_in_note)
        self._tasks.run(lambda: self._sign_in(user, password), self._signed_in, self._refused,
                        lane=Lane.SYNC)

    def _busy(self, words: str, note: QLabel) -> None:
        for each in (self._unlock_note, self._sign_in_note):
            each.setText("")
        self.message = note
        self.message.setText(words)
        self.unlock_button.setEnabled(False)
        self.sign_in_button.setEnabled(False)

    def _clear(self) -> None:
        for field in (self.password, self.other_password):
            field.clear()
        for note in (self._unlock_note, self._sign_in_note):
            note.setText("")
        self.unlock_button.setEnabled(True)
        self.sign_in_button.setEnabled(True)

    def _unlocked(self) -> None:
        self._clear()
        self.sig_unlocked.emit()

    def _signed_in(self, person: Person) -> None:
        self._clear()
        self.other_user.clear()
        self.sig_signed_in.emit(person)

    def _refused_unlock(self, error: Exception) -> None:
        # Only a password was asked for: "user name or password" would send the person looking
        # for a user name they never typed.
        self._refused(SignInRefused("Wrong password.") if isinstance(error, SignInRefused)
                      else error)

    def _refused(self, error: Exception) -> None:
        self.unlock_button.setEnabled(True)
        self.sign_in_button.setEnabled(True)
        self.password.clear()
        self.other_password.clear()
        self.message.setText(str(error))


def _note() -> MessageSlot:
    # Two lines kept for it, so "Checking…" or a refusal appearing never moves the fields below.
    note = MessageSlot("signInNote", lines=2, padding=0)
    note.setAccessibleName("Sign-in message")
    return note


def _password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


class WindowLock(QObject):
    """Locks ``window``: its ``content`` gives way to ``page`` on the ``screens`` stack, every
    action (menus and shortcuts) is off, and open dialogs are hidden until it unlocks.

    ``before_lock`` saves what is being typed; a call stays open, its timer running.
    """

    sig_locked = Signal(bool)
    """The window locked (True) or unlocked (False)."""

    def __init__(self, window: QMainWindow, screens: QStackedWidget, content: QWidget,
                 page: LockPage, before_lock: Callable[[], None], idle_ms: int) -> None:
        super().__init__(window)
        self._window, self._screens, self._content, self._page = window, screens, content, page
        self._before_lock = before_lock
        self._enabled: dict[QObject, bool] = {}
        self._hidden: list[QDialog] = []
        self._focus: QWidget | None = None
        self.idle = IdleWatcher(idle_ms, self)
        self.idle.sig_idle.connect(self.lock)
        page.sig_unlocked.connect(self.unlock)

    @property
    def locked(self) -> bool:
        return self._screens.currentWidget() is self._page

    def lock(self) -> None:
        if self.locked:
            return
        self._before_lock()
        self._focus = QApplication.focusWidget()
        self._hidden = [dialog for dialog in self._window.findChildren(QDialog)
                        if dialog.isVisible()]
        for dialog in self._hidden:
            dialog.hide()
        self._enabled = {action: action.isEnabled() for action in self._window.actions()}
        for action in self._enabled:
            action.setEnabled(False)
        self._window.menuBar().setEnabled(False)
        self._screens.setCurrentWidget(self._page)
        self._page.focus_first()
        self.sig_locked.emit(True)

    def unlock(self) -> None:
        if not self.locked:
            return
        self._screens.setCurrentWidget(self._content)
        self._window.menuBar().setEnabled(True)
        for action, enabled in self._enabled.items():
            action.setEnabled(enabled)
        for dialog in self._hidden:
            dialog.show()
        self._hidden = []
        if self._focus is not None:
            self._focus.setFocus(Qt.FocusReason.OtherFocusReason)
        self.idle.timer.start()
        self.sig_locked.emit(False)
