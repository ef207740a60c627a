"""Old import path, kept only until the other branches import from `interviewer.sessions` (delete then)."""

from .sessions.commands import choose_grader  # noqa: F401
