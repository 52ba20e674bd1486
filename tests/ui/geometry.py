"""What a person would see as broken layout, found from the real widgets' geometry.

``layout_problems`` lists, in words, every visible control that sticks out of its parent (and so
out of the window), every pair of visible siblings that overlap, every label or button whose text
does not fit (unless it shortens itself with "…" and keeps the whole text in its tooltip), every
tab bar whose tabs hide behind scroll arrows and every form that scrolls sideways. Content inside a
scroll area may run past the area's top and bottom: that is what scrolling is for.
"""

from __future__ import annotations

from itertools import combinations

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QLabel,
    QScrollArea,
    QTabBar,
    QToolButton,
    QWidget,
)

from console.ui.labels import ElidedLabel

SLACK = 1  # pixels of rounding a layout may leave


def name_of(widget: QWidget) -> str:
    words = widget.accessibleName() or widget.objectName()
    if not words and isinstance(widget, QLabel | QAbstractButton):
        words = widget.text()
    return f"{type(widget).__name__} {words[:40]!r}" if words else type(widget).__name__


def _scrolls(widget: QWidget) -> bool:
    """The widget is the content of a scroll area (or sits in a list's viewport)."""
    parent = widget.parentWidget()
    area = parent.parentWidget() if parent is not None else None
    return isinstance(area, QAbstractScrollArea) and parent is area.viewport()


def _shown(root: QWidget) -> list[QWidget]:
    return [widget for widget in root.findChildren(QWidget)
            if widget.isVisible() and not widget.isWindow() and widget.width() > 0
            and widget.height() > 0]


def _outside(widget: QWidget) -> str | None:
    parent = widget.parentWidget()
    if parent is None or _scrolls(widget):
        return None
    inner = parent.rect().adjusted(-SLACK, -SLACK, SLACK, SLACK)
    if inner.contains(widget.geometry()):
        return None
    return (f"{name_of(widget)} at {widget.geometry().getRect()} sticks out of "
            f"{name_of(parent)} {parent.size().toTuple()}")


def _clipped(widget: QWidget) -> str | None:
    if isinstance(widget, ElidedLabel):
        shown = widget.shown_text()
        if shown != widget.text() and widget.text() not in widget.toolTip():
            return f"{name_of(widget)} is shortened without its whole text in a tooltip"
        return None
    if isinstance(widget, QLabel) and widget.text() and widget.pixmap().isNull():
        if widget.wordWrap():
            needed = widget.heightForWidth(widget.width())
            if needed > widget.height() + SLACK:
                return (f"{name_of(widget)} needs {needed} px of height, has "
                        f"{widget.height()}")
            return None
        hint = widget.sizeHint()
        if hint.width() > widget.width() + SLACK or hint.height() > widget.height() + SLACK:
            return f"{name_of(widget)} needs {hint.toTuple()}, has {widget.size().toTuple()}"
        return None
    if isinstance(widget, QAbstractButton) and not isinstance(widget, QToolButton) \
            and widget.text():
        hint = widget.sizeHint()
        if hint.width() > widget.width() + SLACK:
            return f"{name_of(widget)} needs {hint.width()} px, has {widget.width()}"
    return None


def _sideways(area: QScrollArea) -> str | None:
    """A form that scrolls sideways has controls cut off at its edge."""
    if area.horizontalScrollBar().isVisible():
        return f"{name_of(area)}: its content is cut off at the side (it scrolls sideways)"
    return None


def _hidden_tabs(bar: QTabBar) -> str | None:
    arrows = [child for child in bar.findChildren(QToolButton) if child.isVisible()]
    last = bar.tabRect(bar.count() - 1) if bar.count() else None
    if arrows or (last is not None and last.right() > bar.width() + SLACK):
        return f"{name_of(bar)}: tabs hidden behind scroll arrows"
    return None


def layout_problems(root: QWidget) -> list[str]:
    """Everything wrong with the layout of ``root`` as it is on screen now."""
    problems: list[str] = []
    shown = _shown(root)
    by_parent: dict[int, list[QWidget]] = {}
    for widget in shown:
        for check in (_outside, _clipped):
            problem = check(widget)
            if problem:
                problems.append(problem)
        special = (_hidden_tabs(widget) if isinstance(widget, QTabBar) else
                   _sideways(widget) if isinstance(widget, QScrollArea) else None)
        if special:
            problems.append(special)
        parent = widget.parentWidget()
        if parent is not None:
            by_parent.setdefault(id(parent), []).append(widget)
    for siblings in by_parent.values():
        for first, second in combinations(siblings, 2):
            if first.geometry().intersects(second.geometry()):
                problems.append(f"{name_of(first)} {first.geometry().getRect()} overlaps "
                                f"{name_of(second)} {second.geometry().getRect()}")
    return problems
