"""Printed documents (PDF through reportlab): referral sheets, case printouts, shift packets and
downtime packs. Qt-free: the print dialog in ``console.ui`` only previews and sends the bytes.

``PrintError`` and ``write_atomically`` live here, not in ``base``, so the command line can
catch the one and the print dialog use the other without loading reportlab until a document is
actually built.
"""

import os
import tempfile
from pathlib import Path

from console.errors import UserError


class PrintError(UserError, ValueError):
    """A document cannot be printed as asked: bad option, unknown service, no such case, or a
    broken translations file."""


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step; on failure nothing is left at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
