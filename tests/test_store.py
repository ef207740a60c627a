"""The session store: appended events read back, a torn last line tolerated, corruption elsewhere reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.errors import SessionError
from interviewer.models import Level, RoundKind, SessionMeta, Turn
from interviewer.session_log import SessionEnded, SessionStarted, TurnCompleted
from interviewer.sessions import LOG_NAME, SessionStore, read_session, write_atomic


def _write_session(store: SessionStore, turns: int = 2) -> Path:
    sid, writer = store.create()
    with writer:
        writer.append(SessionStarted(meta=SessionMeta(id=sid, persona="peer", level=Level.L5, question="Q?")))
        for i in range(turns):
            writer.append(TurnCompleted(turn=Turn(index=i, round=list(RoundKind)[i], question=f"q{i}",
                                                  answer=f"answer {i}")))
    return writer.folder


def test_round_trip(tmp_path):
    store = SessionStore(tmp_path)
    folder = _write_session(store)
    session = store.load(folder.name)
    assert [t.answer for t in session.turns] == ["answer 0", "answer 1"]
    assert session.warnings == [] and session.ended is None
    assert store.ids() == [folder.name]


def test_torn_last_line_is_skipped_with_a_warning(tmp_path):
    folder = _write_session(SessionStore(tmp_path))
    log = folder / LOG_NAME
    full = TurnCompleted(turn=Turn(index=2, round=RoundKind.constraint, question="q2", answer="cut")).model_dump_json()
    with open(log, "a", encoding="utf-8") as f:
        f.write(full[: len(full) // 2])  # a crash mid-write: half a line, no newline
    session = read_session(folder)
    assert [t.answer for t in session.turns] == ["answer 0", "answer 1"]
    assert len(session.warnings) == 1 and "incomplete last line" in session.warnings[0]


def test_corruption_before_the_last_line_is_an_error(tmp_path):
    folder = _write_session(SessionStore(tmp_path))
    log = folder / LOG_NAME
    lines = log.read_text(encoding="utf-8").splitlines()
    lines[1] = "{not json"
    log.write_text("\n".join(lines) + "\n" + SessionEnded().model_dump_json() + "\n", encoding="utf-8")
    with pytest.raises(SessionError, match=r"session.jsonl:2: corrupt event"):
        read_session(folder)


def test_missing_log_and_unknown_session(tmp_path):
    with pytest.raises(SessionError, match="not a session folder"):
        read_session(tmp_path)
    with pytest.raises(SessionError, match="no session 'nope'"):
        SessionStore(tmp_path).load("nope")


def test_write_atomic_replaces_whole_files(tmp_path):
    path = tmp_path / "report.md"
    write_atomic(path, "old")
    write_atomic(path, "new content")
    assert path.read_text(encoding="utf-8") == "new content"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]  # no temp file left behind
