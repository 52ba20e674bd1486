"""Naming controls for screen readers and tying labels to them, the same way in every panel."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget


def describe(widget: QWidget, name: str, tip: str) -> None:
    """Name a control for screen readers and explain it in a tooltip."""
    widget.setAccessibleName(name)
    widget.setToolTip(tip)


def buddy(text: str, widget: QWidget) -> QLabel:
    """A label whose mnemonic (the letter after "&") puts the focus in ``widget``."""
    label = QLabel(text)
    label.setBuddy(widget)
    return label
