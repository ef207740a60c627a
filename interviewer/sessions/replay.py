"""`interviewer replay`: a saved session turn by turn, and both sides' saved audio in order."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from ..clock import clock
from ..errors import SessionError
from ..report.notes import turn_notes
from ..session_log import Session
from .store import CLOSING_AUDIO, GREETING_AUDIO

WRAP_COLUMNS = 100


def _clock(t: datetime, start: datetime) -> str:
    return f"{t.strftime('%H:%M:%S')} +{clock((t - start).total_seconds())}"


def _wrapped(prefix: str, text: str) -> list[str]:
    body = textwrap.wrap(text, WRAP_COLUMNS - 4) or [""]
    return [prefix, *("    " + line for line in body)]


def replay_lines(session: Session) -> list[str]:
    """The conversation turn by turn with clock time and time since the session started."""
    m = session.meta
    start = m.created_at
    out = [f"session {m.id} \u00b7 {m.persona} \u00b7 {m.level.value} \u00b7 {m.mode} \u00b7 "
           f"{start.strftime('%Y-%m-%d %H:%M UTC')}"]
    out.extend(f"warning: {w}" for w in session.warnings)
    for t in session.turns:
        out.append("")
        out += _wrapped(f"[{_clock(t.asked_at, start)}] interviewer ({t.round.value}):", t.question)
        talk = f", {t.answer_seconds:.0f} s" if t.answer_seconds else ""
        answer = "(skipped)" if t.skipped else (t.answer or "(no answer)")
        out += _wrapped(f"[{_clock(t.answered_at, start)}] candidate{talk}:", answer)
        out += [f"    ({note})" for note in turn_notes(t)]
    for a in session.attempts:
        replaced = f", in place of turn {a.replaces + 1}" if a.replaces is not None else ""
        status = (f"graded as version {a.version}" if a.version is not None
                  else a.finished.reason if a.finished is not None else "not finished")
        out += ["", f"retry {a.attempt} at {a.signal}{replaced} ({status}):"]
        for t in a.turns:
            out += _wrapped(f"[{_clock(t.asked_at, start)}] interviewer:", t.question)
            out += _wrapped(f"[{_clock(t.answered_at, start)}] candidate:", "(skipped)" if t.skipped else t.answer)
    out.append("")
    if session.ended:
        out.append(f"[{_clock(session.ended.at, start)}] session ended: {session.ended.reason}")
    else:
        out.append("session not finished (resume it with: interviewer practice --resume " + m.id + ")")
    if session.grades:
        g = session.grades[-1]
        out.append(f"latest grade (v{len(session.grades)}): {g.overall.score:.0f}/100 {g.overall.letter} "
                   f"{g.overall.recommendation.value} by {g.grader}")
    return out


def audio_sequence(folder: Path, session: Session) -> Iterator[tuple[str, Path]]:
    """The saved audio of both sides in conversation order: (label, file), greeting and closing included
    where they were saved."""
    if session.turns and (folder / GREETING_AUDIO).is_file():
        yield "greeting", folder / GREETING_AUDIO
    for t in session.turns:
        for who, name in (("interviewer", t.question_audio), ("candidate", t.answer_audio)):
            if name:
                yield f"turn {t.index + 1} {who}", folder / name
    if session.turns and (folder / CLOSING_AUDIO).is_file():
        yield "closing", folder / CLOSING_AUDIO


def play_audio(folder: Path, session: Session, out=None, echo=print) -> int:
    """Play both sides in order through the voice stack's audio output; returns the number of clips played."""
    from ..voice.audio import SoundDeviceOut, check_devices
    from ..voice.tts import read_wav

    clips = list(audio_sequence(folder, session))
    if not clips:
        raise SessionError(f"session {session.meta.id} has no saved audio (it was a {session.meta.mode} session)")
    missing = [str(p.name) for _, p in clips if not p.is_file()]
    if missing:
        raise SessionError(f"{folder}: audio files missing: {', '.join(missing)}")
    if out is None:
        check_devices(need_input=False, need_output=True)
        out = SoundDeviceOut()
    played = 0
    try:
        for label, path in clips:
            echo(f"\u25b6 {label}: {path.name}")
            out.play(read_wav(path))
            out.wait()
            played += 1
    finally:
        out.stop()
    return played
