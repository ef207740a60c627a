"""Durations as people read them on a clock: 4:05, or 1:02:03 from an hour up."""

from __future__ import annotations


def clock(seconds: float) -> str:
    """Whole seconds as m:ss, or h:mm:ss from an hour up (fractions are dropped)."""
    s = max(0, int(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
