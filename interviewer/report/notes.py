"""Short notes about a turn that every view of a session shows the same way (replay, HTML, markdown)."""

from __future__ import annotations

from ..models import Turn


def audio_dropped_note(turn: Turn) -> str | None:
    """'audio dropped 3 times in turn 2' when the microphone overflowed while the answer was recorded."""
    n = turn.audio_dropped
    if n <= 0:
        return None
    return f"audio dropped {n} {'time' if n == 1 else 'times'} in turn {turn.index + 1}"
