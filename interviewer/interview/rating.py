"""The candidate's own rating, "how did that go, 1 to 5?", asked before the grade is shown.

Asked only where someone can answer: on a terminal (Enter skips), or, for `--answers DIR`, read from the
folder's `self-rating.txt` when it has one (a number 1 to 5). Piped answers (`--text` from a pipe) are never
asked, so scripts are not blocked; `--no-self-rating` turns it off. The rating is stored in the session log.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from ..errors import InputFileError
from ..session_log import SelfRated
from ..sessions.store import SessionWriter

RATING_FILE = "self-rating.txt"
PROMPT = "Before the grade: how did that go, 1 to 5? (Enter skips) "
TRIES = 2


def _parse(text: str) -> int | None:
    text = text.strip()
    return int(text) if text in {"1", "2", "3", "4", "5"} else None


def ask_self_rating(args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int | None:
    """The rating, or None when skipped, turned off or nobody can be asked."""
    if getattr(args, "no_self_rating", False):
        return None
    answers = getattr(args, "answers", None)
    if answers:
        path = Path(answers) / RATING_FILE
        if not path.is_file():
            return None
        rating = _parse(path.read_text(encoding="utf-8", errors="replace"))
        if rating is None:
            raise InputFileError(f"{path}: the self-rating must be one number from 1 to 5")
        return rating
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    try:
        if not stdin.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    for _ in range(TRIES):
        stdout.write(PROMPT)
        stdout.flush()
        line = stdin.readline()
        if not line.strip():
            return None
        rating = _parse(line)
        if rating is not None:
            return rating
        stdout.write("(a number from 1 to 5, or Enter to skip)\n")
    return None


def save_self_rating(folder: Path, rating: int, attempt: int = 0) -> None:
    """Append the rating to the session's log (fsynced like every event)."""
    with SessionWriter(folder) as writer:
        writer.append(SelfRated(rating=rating, attempt=attempt))
