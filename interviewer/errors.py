"""Errors shown to users. The CLI prints them at one boundary; tests see them raised as-is."""

from __future__ import annotations


class InterviewerError(Exception):
    """A problem the user can fix: the message names the input and what is wrong."""


class CatalogError(InterviewerError):
    """A persona, rubric or question file is missing or invalid."""


class InputFileError(InterviewerError):
    """An input file (transcript, audio) cannot be used."""


class SessionError(InterviewerError):
    """A session folder or log cannot be read or written."""


class NoTerminalError(InterviewerError):
    """Interactive input was needed but stdin is not a terminal and carries no answers."""
