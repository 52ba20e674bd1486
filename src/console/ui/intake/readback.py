"""The Summary tab's read-back: every answer given, by tab, and what is still owed, each a link
to its field (Tab reaches the links, Enter follows one)."""

from __future__ import annotations

import html

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QTextBrowser, QWidget

from console.intake.readback import Answered, Owed

LINK_SCHEME = "field"  # field:<field id>[/<checklist option>]
NOTHING_OWED = "Nothing is missing: every required answer is given and every mandated step done."
NOTHING_GIVEN = "No answers yet."
NOTHING_ON_SHEET = "No services on the caller's sheet yet."


def _link(field_id: str, option: str | None, words: str) -> str:
    target = field_id if option is None else f"{field_id}/{option}"
    return f"<a href='{LINK_SCHEME}:{html.escape(target)}'>{html.escape(words)}</a>"


def read_back_html(groups: list[tuple[str, list[Answered]]], owed: list[Owed],
                   sheet: list[str]) -> str:
    """``sheet``: the services on the caller's sheet as its list names them."""
    still = "".join(f"<li>{_link(item.field_id, item.option, item.text)}</li>" for item in owed)
    parts = ["<h3>Still to do</h3>",
             f"<ul>{still}</ul>" if owed else f"<p>{html.escape(NOTHING_OWED)}</p>",
             "<h3>What the caller told us</h3>"]
    for title, given in groups:
        rows = "".join(f"<tr><td valign='top'>{_link(item.field_id, None, item.label)}</td>"
                       f"<td>{html.escape(item.text)}</td></tr>" for item in given)
        parts.append(f"<h4>{html.escape(title)}</h4><table cellpadding='2'>{rows}</table>")
    if not groups:
        parts.append(f"<p>{html.escape(NOTHING_GIVEN)}</p>")
    parts.append("<h3>On the caller's sheet</h3>")
    parts.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in sheet) + "</ul>"
                 if sheet else f"<p>{html.escape(NOTHING_ON_SHEET)}</p>")
    return "".join(parts)


class ReadBack(QTextBrowser):
    """Reads the call back; following a link asks to go to that field."""

    sig_go_to = Signal(str, object)
    """(field id, checklist option or None) the specialist chose to go back to."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readBack")
        self.setAccessibleName("Read back: answers given and what is still to do")
        self.setOpenLinks(False)
        self.anchorClicked.connect(self._follow)

    def show_call(self, groups: list[tuple[str, list[Answered]]], owed: list[Owed],
                  sheet: list[str]) -> None:
        self.setHtml(read_back_html(groups, owed, sheet))

    def _follow(self, url: QUrl) -> None:
        if url.scheme() != LINK_SCHEME:
            return
        field_id, _slash, option = url.path().partition("/")
        self.sig_go_to.emit(field_id, option or None)
