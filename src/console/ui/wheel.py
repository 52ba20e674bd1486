"""The mouse wheel scrolls the form; it never changes an answer on its way past.

Qt's lists, spin boxes and sliders take a wheel turn over them as a change of value even when
the person was only scrolling the page, so one notch could turn a case's status or a caller's
answer into another without a word. Here a wheel turn changes such a control only when it
already has the keyboard focus (the person chose it); otherwise the turn scrolls the page.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QAbstractSlider, QAbstractSpinBox, QComboBox, QScrollBar, QWidget

VALUE_CONTROLS = (QComboBox, QAbstractSpinBox, QAbstractSlider)


class WheelGuard(QObject):
    """Installed on the application: a wheel turn over a value control without the focus goes
    to what holds the control (a scroll area scrolls) instead of changing its value."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() != QEvent.Type.Wheel or not isinstance(watched, VALUE_CONTROLS)
                or isinstance(watched, QScrollBar) or watched.hasFocus()):
            return False
        holder = watched.parentWidget()
        if isinstance(holder, QWidget):
            # Delivered to the holder, the turn travels up to the first widget that scrolls.
            QCoreApplication.sendEvent(holder, event)
        return True
