"""Log files that IT can read at 3 am without reading a caller's words.

The console writes one log in its data folder (owner-only, rolled over each day and whenever it
grows past a few megabytes, a week kept); the central server writes JSON lines to standard output
(``console.server.observe``). Both describe failures through ``describe_exception``: the
traceback's frames and the exception's type, but a message only where it cannot carry what a
caller said — a database error's message can quote the row it failed on, a ``KeyError`` the key.

The level is IT's to set without a release: ``HOTLINE_LOG_LEVEL`` (DEBUG, INFO, WARNING, ERROR),
else ``log_level`` in the workstation's preferences file, else INFO.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections import deque
from logging.handlers import TimedRotatingFileHandler
from pathlib import Path

from console import settings

LEVEL_ENV = "HOTLINE_LOG_LEVEL"
LEVEL_PREFERENCE = "log_level"
MAX_BYTES = 5 * 1024 * 1024  # per file; with a week of files, at most ~40 MB on disk
KEEP_DAYS = 7
MAX_MESSAGE = 2_000
LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_folder() -> Path:
    return settings.data_home() / "logs"


def console_log_path() -> Path:
    return log_folder() / "console.log"


def log_level() -> int:
    """The level IT chose (environment first, then the preferences file), INFO otherwise."""
    chosen = os.environ.get(LEVEL_ENV) or settings.read_preference(LEVEL_PREFERENCE) or "INFO"
    level = logging.getLevelName(chosen.strip().upper())
    return level if isinstance(level, int) else logging.INFO


def describe_exception(error: BaseException) -> str:
    """The exception's type and, where it is safe, its message — never a stored value."""
    name = f"{type(error).__module__}.{type(error).__qualname__}"
    if isinstance(error, OSError):
        # The errno and its text; the file name is left out (it can name a saved case file).
        return f"{name}: [errno {error.errno}] {error.strerror or ''}".rstrip()
    original = getattr(error, "orig", None)
    if type(error).__module__.startswith("sqlalchemy") and isinstance(original, BaseException):
        # SQLAlchemy's own text quotes the statement's parameters (a caller's answers); the
        # driver's first line names the constraint or the problem, its DETAIL lines the values.
        first = str(original).splitlines()[0] if str(original) else ""
        return f"{name} from {type(original).__qualname__}: {first}"
    if type(error).__module__.split(".")[0] == "console":
        # The console's own errors are written for people and name no caller data.
        return f"{name}: {clip_message(str(error))}"
    return f"{name} (message withheld)"


def clip_message(text: str) -> str:
    """At most MAX_MESSAGE characters: one runaway message must not fill the file."""
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "…"


def format_failure(error: BaseException) -> str:
    """Frames (file, line, function) of the whole chain of causes, each described safely."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)
        lines = [f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}'
                 for frame in frames]
        parts.append("\n".join(["Traceback (most recent call last):", *lines,
                                describe_exception(current)]))
        current = current.__cause__ or current.__context__
    return "\n\nwhich was raised while handling:\n\n".join(parts)


class SafeFormatter(logging.Formatter):
    """Plain lines; exceptions through ``format_failure``; long messages clipped."""

    def formatException(self, ei: object) -> str:
        error = ei[1] if isinstance(ei, tuple) else None
        return format_failure(error) if isinstance(error, BaseException) else ""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = clip_message(record.message)
        return super().formatMessage(record)


class OwnerOnlyRotatingLog(TimedRotatingFileHandler):
    """A log file only its owner can read, rolled at midnight and past ``max_bytes``.

    Rotating by day keeps a week findable by date; rotating by size as well keeps a runaway
    loop from filling the disk between midnights.
    """

    def __init__(self, path: Path, max_bytes: int = MAX_BYTES, keep: int = KEEP_DAYS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        self.max_bytes = max_bytes
        super().__init__(path, when="midnight", backupCount=keep, encoding="utf-8", delay=True)

    def _open(self):  # type: ignore[no-untyped-def]
        # Create it 0600 from the first byte, whatever the process's umask.
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.chmod(self.baseFilename, 0o600)
        return open(fd, self.mode, encoding=self.encoding, errors="backslashreplace")

    def shouldRollover(self, record: logging.LogRecord) -> bool:
        if super().shouldRollover(record):
            return True
        if self.stream is None:
            return False
        return self.stream.tell() + len(self.format(record)) + 1 > self.max_bytes

    def rotation_filename(self, default_name: str) -> str:
        # Several size roll-overs in one day must not overwrite each other's file.
        name, counter = default_name, 1
        while os.path.exists(name):
            name, counter = f"{default_name}.{counter}", counter + 1
        return name

    def getFilesToDelete(self) -> list[str]:
        # Keep the newest ``backupCount`` days of files, whatever their per-day counters.
        folder, base = os.path.split(self.baseFilename)
        olds = [os.path.join(folder, n) for n in os.listdir(folder)
                if n.startswith(base + ".")]
        cutoff = time.time() - self.backupCount * 86_400
        return [path for path in olds if os.path.getmtime(path) < cutoff]


def configure_console_logging(level: int | None = None) -> Path:
    """Send the console's log to its file (and keep warnings on the terminal); returns the path.

    Called once per process; calling again replaces the file handler rather than adding one.
    """
    path = console_log_path()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, OwnerOnlyRotatingLog):
            root.removeHandler(handler)
            handler.close()
    handler = OwnerOnlyRotatingLog(path)
    handler.setFormatter(SafeFormatter(LINE_FORMAT))
    root.addHandler(handler)
    root.setLevel(log_level() if level is None else level)
    logging.captureWarnings(True)
    return path


def last_lines(path: Path, count: int = 500) -> list[str]:
    """The last ``count`` lines of a log file (none when it does not exist yet)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as log:
            return [line.rstrip("\n") for line in deque(log, maxlen=count)]
    except FileNotFoundError:
        return []
