"""Saved sessions: the append-only store, listing and history, replay, versioned re-grades and reports.

- `store`: the log, the folders and the ids (`SessionStore`, `SessionWriter`, `read_log`, `read_session`);
- `listing`: `interviewer sessions` and `interviewer history` (plain lines; `tables` for a terminal);
- `replay`: the conversation turn by turn, and its audio;
- `versions`: re-grades as new versions, torn-tail repair, resume;
- `attempts`: retries (`practice --retry`) read back: the transcript a grade saw, before and after;
- `reports`: `grade-v{n}.json` and `report.html`;
- `commands`: the CLI handlers.
"""

from __future__ import annotations

import importlib

# public name -> submodule; imported on first use so `interviewer --help` stays light
_WHERE = {
    **dict.fromkeys(("SessionSummary", "format_history", "format_sessions", "history_points", "sparkline",
                     "summarize"), "listing"),
    **dict.fromkeys(("audio_sequence", "play_audio", "replay_lines"), "replay"),
    **dict.fromkeys(("HTML_REPORT", "latest_grade", "retry_views", "save_derived", "session_html",
                     "write_session_report"), "reports"),
    **dict.fromkeys(("CLOSING_AUDIO", "GREETING_AUDIO", "LOG_NAME", "SESSION_ID_FORM", "SESSIONS_ENV",
                     "SessionIdError", "SessionLog", "SessionStore", "SessionWriter", "check_session_id",
                     "default_store_dir", "is_session_id", "new_session_id", "read_log", "read_session",
                     "write_atomic"), "store"),
    **dict.fromkeys(("GRADE_FILE", "TORN_NAME", "Regrade", "append_grade", "grade_diff", "grade_versions",
                     "prepare_append", "regrade", "repair_torn_tail", "resumable", "write_grade_file"), "versions"),
    **dict.fromkeys(("AttemptChange", "attempt_changes", "change_lines", "effective_turns", "graded_attempts",
                     "weakest_signal"), "attempts"),
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
