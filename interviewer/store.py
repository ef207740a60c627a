"""Old import path, kept only until the other branches import from `interviewer.sessions` (delete then)."""

from .sessions.store import (  # noqa: F401
    CLOSING_AUDIO,
    GREETING_AUDIO,
    LOG_NAME,
    SESSIONS_ENV,
    SessionStore,
    SessionWriter,
    default_store_dir,
    new_session_id,
    read_session,
    write_atomic,
)
