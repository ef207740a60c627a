"""Short notes about a turn that every view of a session shows the same way (replay, HTML, markdown)."""

from __future__ import annotations

from ..clock import clock
from ..models import Turn


def audio_dropped_note(turn: Turn) -> str | None:
    """'audio dropped 3 times in turn 2' when the microphone overflowed while the answer was recorded."""
    n = turn.audio_dropped
    if n <= 0:
        return None
    return f"audio dropped {n} {'time' if n == 1 else 'times'} in turn {turn.index + 1}"


def cut_off_note(turn: Turn) -> str | None:
    """'cut off at the 2:00 limit in turn 1' when the interviewer interrupted the answer at its time limit."""
    if not turn.cut_off:
        return None
    at = f"the {clock(turn.time_limit_s)} limit" if turn.time_limit_s is not None else "the time limit"
    return f"cut off at {at} in turn {turn.index + 1}"


def turn_notes(turn: Turn) -> list[str]:
    """Every note about a turn, in the order the views show them."""
    return [n for n in (cut_off_note(turn), audio_dropped_note(turn)) if n]
