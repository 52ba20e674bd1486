"""Choosing the central server, and signing in to it."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from console import settings
from console.app import SERVER_PREFERENCE, USER_PREFERENCE
from console.security.credentials import CredentialStore, normalize_server_url
from console.sync.api import ServerApi
from console.ui.taskman import Lane, TaskManager


class ServerDialog(QDialog):
    """This workstation alone (embedded server) or the hotline's central server."""

    def __init__(self, current: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Central server")
        self.embedded = QRadioButton("&This workstation only (built-in server, demo accounts)")
        self.central = QRadioButton("The hotline's &central server:")
        self.url = QLineEdit(current or "")
        self.url.setPlaceholderText("https://hotline.example.org")
        self.url.setAccessibleName("Central server address")
        (self.central if current else self.embedded).setChecked(True)
        note = QLabel("The change takes effect the next time the console starts. Calls and "
                      "changes not yet sent stay on this workstation and are sent to the server "
                      "in use then.")
        note.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("fieldWarning")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.embedded, self.central, self.url, note, self.error, buttons):
            layout.addWidget(widget)

    def _save(self) -> None:
        if self.embedded.isChecked():
            settings.write_preference(SERVER_PREFERENCE, "")
            self.accept()
            return
        try:
            url = normalize_server_url(self.url.text())
        except ValueError as error:
            self.error.setText(str(error))
            return
        settings.write_preference(SERVER_PREFERENCE, url)
        self.accept()


class SignInDialog(QDialog):
    """User name and password for the central server; the sign-in runs off the GUI thread."""

    def __init__(self, server_url: str, credentials: CredentialStore, tasks: TaskManager,
                 reason: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in")
        self._server_url, self._credentials, self._tasks = server_url, credentials, tasks
        self.user = QLineEdit(settings.read_preference(USER_PREFERENCE) or "")
        self.user.setAccessibleName("User name")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.message = QLabel(reason or f"Sign in to {server_url}.")
        self.message.setWordWrap(True)
        if credentials.warning:
            self.message.setText(self.message.text() + "\n\n" + credentials.warning)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._sign_in)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&User name", self.user)
        form.addRow("&Password", self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    def _sign_in(self) -> None:
        user, password = self.user.text().strip(), self.password.text()
        self.buttons.setEnabled(False)
        self.message.setText("Signing in…")

        def sign_in() -> str:
            api = ServerApi(self._server_url, self._credentials)
            try:
                return api.sign_in(user, password).user
            finally:
                api.close()

        self._tasks.run(sign_in, self._signed_in, self._refused, lane=Lane.SYNC)

    def _signed_in(self, user: str) -> None:
        settings.write_preference(USER_PREFERENCE, user)
        self.accept()

    def _refused(self, error: Exception) -> None:
        self.buttons.setEnabled(True)
        self.password.clear()
        self.message.setText(f"Not signed in: {error}")
