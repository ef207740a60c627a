"""The session store: one folder per session with an append-only, fsynced `session.jsonl`.

Each event is written as one line, flushed and fsynced before the call returns, so a crash, Ctrl-C or
SIGKILL loses no finished turn. Derived files (reports) are written atomically: temp file, then rename.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from .durable import fsync_dir, write_atomic  # noqa: F401 (write_atomic: the one durable write)
from .errors import SessionError
from .models import Event, Graded, Session, SessionEnded, SessionStarted, TurnCompleted, utcnow

SESSIONS_ENV = "INTERVIEWER_SESSIONS"
LOG_NAME = "session.jsonl"
GREETING_AUDIO = "greeting.wav"  # the persona's opening and closing words, in voice sessions
CLOSING_AUDIO = "closing.wav"
_EVENT = TypeAdapter(Event)


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


class SessionWriter:
    """Appends events to one session's log."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / LOG_NAME
        try:
            created = not folder.is_dir()
            folder.mkdir(parents=True, exist_ok=True)
            new_log = not self.path.exists()
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (held open for appends)
        except OSError as e:
            raise SessionError(f"{folder}: cannot open the session log: {e}") from e
        if new_log:
            fsync_dir(folder)  # the log's name survives a power cut, not only its lines
        if created:
            fsync_dir(folder.parent)

    def append(self, event: SessionStarted | TurnCompleted | Graded | SessionEnded) -> None:
        line = event.model_dump_json() + "\n"
        self._fh.write(line)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_session(folder: Path) -> Session:
    """Read a session back. A torn last line (a crash mid-write) is skipped and reported in `warnings`."""
    path = folder / LOG_NAME
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise SessionError(f"{folder}: no {LOG_NAME}; not a session folder") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SessionError(f"{path}: cannot read: {e}") from e
    session: Session | None = None
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
        elif isinstance(event, SessionEnded):
            session.ended = event
    if session is None:
        raise SessionError(f"{path}: empty session log")
    session.warnings = warnings
    return session


class SessionStore:
    """The folder of all sessions."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else default_store_dir()

    def create(self, session_id: str | None = None) -> tuple[str, SessionWriter]:
        sid = session_id or new_session_id()
        return sid, SessionWriter(self.root / sid)

    def folder(self, session_id: str) -> Path:
        path = self.root / session_id
        if not (path / LOG_NAME).is_file():
            raise SessionError(f"no session {session_id!r} in {self.root}")
        return path

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / LOG_NAME).is_file())

    def load(self, session_id: str) -> Session:
        return read_session(self.folder(session_id))
