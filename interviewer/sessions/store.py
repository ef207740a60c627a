"""The session store: one folder per session with an append-only, fsynced `session.jsonl`.

Each event is written as one line, flushed and fsynced before the call returns, so a crash, Ctrl-C or
SIGKILL loses no finished turn. A line that cannot be written is taken back, so the log stays as it was.
Derived files (reports) are written atomically: temp file, then rename.

Every lookup from a session id to a folder goes through `check_session_id`: only ids of the store's own
form (`YYYYMMDD-HHMMSS-xxxxxx`, see `new_session_id`) name a folder, so no id reaches outside the store.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from ..durable import WriteError, fsync_dir, write_atomic  # noqa: F401 (write_atomic: the one durable write)
from ..errors import SessionError
from ..models import GradeReport, utcnow
from ..session_log import (
    Attempt,
    AttemptFinished,
    AttemptStarted,
    AttemptTurn,
    Event,
    Graded,
    SelfRated,
    Session,
    SessionEnded,
    SessionStarted,
    TurnCompleted,
)

SESSIONS_ENV = "INTERVIEWER_SESSIONS"
LOG_NAME = "session.jsonl"
GREETING_AUDIO = "greeting.wav"  # the persona's opening and closing words, in voice sessions
CLOSING_AUDIO = "closing.wav"
SESSION_ID_FORM = "YYYYMMDD-HHMMSS-xxxxxx"
_SESSION_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9a-f]{6}")
LogEvent = Event | AttemptStarted | AttemptTurn | AttemptFinished | SelfRated  # retries and self-ratings too
_EVENT = TypeAdapter(LogEvent)


class SessionIdError(SessionError):
    """A session id that is not of the store's own form (a path, a typo, '..')."""


def default_store_dir() -> Path:
    """INTERVIEWER_SESSIONS, else ./sessions in a checkout that has one, else the user's data folder."""
    env = os.environ.get(SESSIONS_ENV)
    if env:
        return Path(env).expanduser()
    local = Path.cwd() / "sessions"
    if (local / "README.md").is_file():
        return local
    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "interviewer" / "sessions"


def new_session_id(now: datetime | None = None) -> str:
    now = now or utcnow()
    return now.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def is_session_id(value: str) -> bool:
    return isinstance(value, str) and _SESSION_ID.fullmatch(value) is not None


def check_session_id(value: str) -> str:
    """`value` if it is a session id of the store's own form; anything else (a path, '..') is refused."""
    if not is_session_id(value):
        raise SessionIdError(f"no session {value!r}: not a session id (one looks like {SESSION_ID_FORM}; "
                             "`interviewer sessions` lists them)")
    return value


class SessionWriter:
    """Appends events to one session's log."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / LOG_NAME
        try:
            created = not folder.is_dir()
            folder.mkdir(parents=True, exist_ok=True)
            new_log = not self.path.exists()
            self._fh = open(self.path, "ab")  # noqa: SIM115 (held open for appends)
        except OSError as e:
            raise SessionError(f"{folder}: cannot open the session log: {e.strerror or e}") from e
        if new_log:
            fsync_dir(folder)  # the log's name survives a power cut, not only its lines
        if created:
            fsync_dir(folder.parent)

    def append(self, event: LogEvent) -> None:
        """One line, fsynced; if it cannot be written whole, the log is cut back to where it was."""
        line = (event.model_dump_json() + "\n").encode("utf-8")
        start = self._fh.seek(0, os.SEEK_END)
        try:
            self._fh.write(line)
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as e:
            self._take_back(start)
            raise WriteError(f"{self.path}: cannot write: {e.strerror or e}") from e

    def _take_back(self, size: int) -> None:
        """Drop whatever part of a failed line reached the file (best effort)."""
        with contextlib.suppress(OSError, ValueError):
            self._fh.close()
        with contextlib.suppress(OSError):
            os.truncate(self.path, size)
        with contextlib.suppress(OSError):
            self._fh = open(self.path, "ab")  # noqa: SIM115 (held open for appends)

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class SessionLog:
    """One reading of a session's log: the session, every grade with its version, and the log's state."""

    folder: Path
    session: Session
    versions: list[tuple[int, GradeReport]] = field(default_factory=list)
    size: int = 0  # bytes read; a different size later means someone appended since
    clean_end: bool = True  # the last line ends with a newline (appending after it is safe)

    @property
    def id(self) -> str:
        return self.folder.name

    @property
    def path(self) -> Path:
        return self.folder / LOG_NAME


def parse_log(path: Path, data: bytes) -> tuple[Session, list[tuple[int, GradeReport]]]:
    """The session and its versioned grades from a log's bytes. A torn last line (a crash mid-write) is
    skipped and reported in `warnings`; a bad line anywhere else is an error."""
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise SessionError(f"{path}: cannot read: {e}") from e
    session: Session | None = None
    versions: list[tuple[int, GradeReport]] = []
    warnings: list[str] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            event = _EVENT.validate_python(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as e:
            if n == len(lines):
                warnings.append(f"{path}:{n}: incomplete last line skipped (the session was cut off)")
                continue
            raise SessionError(f"{path}:{n}: corrupt event: {str(e).splitlines()[0]}") from None
        if isinstance(event, SessionStarted):
            session = Session(meta=event.meta)
        elif session is None:
            raise SessionError(f"{path}:{n}: event before session_started")
        elif isinstance(event, TurnCompleted):
            session.turns.append(event.turn)
        elif isinstance(event, Graded):
            session.grades.append(event.report)
            versions.append((event.version, event.report))
        elif isinstance(event, SessionEnded):
            session.ended = event
        else:
            _attempt_event(session, event, path, n)
    if session is None:
        raise SessionError(f"{path}: empty session log")
    session.warnings = warnings
    return session, versions


def _attempt_event(session: Session, event: AttemptStarted | AttemptTurn | AttemptFinished | SelfRated,
                   path: Path, n: int) -> None:
    """A retry's event onto the session read so far."""
    if isinstance(event, SelfRated):
        if event.attempt == 0:
            session.self_rating = event.rating
        elif event.attempt <= len(session.attempts):
            session.attempts[event.attempt - 1].self_rating = event.rating
        return
    if isinstance(event, AttemptStarted):
        if event.attempt != len(session.attempts) + 1:
            raise SessionError(f"{path}:{n}: attempt {event.attempt} out of order")
        session.attempts.append(Attempt(attempt=event.attempt, signal=event.signal, replaces=event.replaces,
                                        before_version=event.before_version))
        return
    if not 1 <= event.attempt <= len(session.attempts):
        raise SessionError(f"{path}:{n}: event of attempt {event.attempt}, which never started")
    attempt = session.attempts[event.attempt - 1]
    if isinstance(event, AttemptTurn):
        attempt.turns.append(event.turn)
    else:
        attempt.finished = event


def read_log(folder: Path) -> SessionLog:
    """Read a session's log once: everything a command needs from it."""
    path = folder / LOG_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SessionError(f"{folder}: no {LOG_NAME}; not a session folder") from None
    except OSError as e:
        raise SessionError(f"{path}: cannot read: {e.strerror or e}") from e
    session, versions = parse_log(path, data)
    return SessionLog(folder, session, versions, len(data), not data or data.endswith(b"\n"))


def read_session(folder: Path) -> Session:
    """Read a session back. A torn last line (a crash mid-write) is skipped and reported in `warnings`."""
    return read_log(folder).session


class SessionStore:
    """The folder of all sessions."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else default_store_dir()

    def create(self, session_id: str | None = None) -> tuple[str, SessionWriter]:
        sid = check_session_id(session_id) if session_id is not None else new_session_id()
        return sid, SessionWriter(self.root / sid)

    def folder(self, session_id: str) -> Path:
        """The folder of a session in this store; refuses anything but an id of the store's own form."""
        path = self.root / check_session_id(session_id)
        if not (path / LOG_NAME).is_file():
            raise SessionError(f"no session {session_id!r} in {self.root}")
        return path

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if is_session_id(p.name) and (p / LOG_NAME).is_file())

    def open_log(self, session_id: str) -> SessionLog:
        return read_log(self.folder(session_id))

    def load(self, session_id: str) -> Session:
        return self.open_log(session_id).session
