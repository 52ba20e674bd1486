"""Printed documents (PDF through reportlab): referral sheets, case printouts, shift packets and
downtime packs. Qt-free: the print dialog in ``console.ui`` only previews and sends the bytes.

``PrintError`` lives here, not in ``base``, so the command line can catch it without loading
reportlab until a document is actually printed.
"""

from console.errors import UserError


class PrintError(UserError, ValueError):
    """A document cannot be printed as asked: bad option, unknown service, no such case, or a
    broken translations file."""
