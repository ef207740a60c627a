"""The terminal channel: the interviewer's words printed, the candidate's answers typed (or piped) line by line."""

from __future__ import annotations

import select
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from ..errors import NoTerminalError
from ..protocols import Answer, Said

DONE_COMMANDS = ("/done",)
SKIP_COMMAND = "/skip"
QUIT_COMMAND = "/quit"
FIRST_INPUT_TIMEOUT_S = 30.0  # with a non-terminal stdin, how long to wait for the first answer line
TEXT_HINT = "(type your answer; an empty line or /done ends it, /skip skips the question, /quit ends the interview)"


class TextChannel:
    """The terminal: prints the interviewer's words and reads typed answers line by line."""

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None, speaker: str = "Interviewer"):
        self.stdin = stdin if stdin is not None else sys.stdin
        self.stdout = stdout if stdout is not None else sys.stdout
        self.speaker = speaker
        self._pending: list[str] = []  # lines read ahead by `check_input`
        self._eof = False
        self._hinted = False

    # -- setup --

    def attach(self, folder: Path) -> None:
        """Text needs no files in the session folder."""

    def close(self) -> None:
        """Nothing is held open: the terminal belongs to the user."""

    def check_input(self, timeout: float = FIRST_INPUT_TIMEOUT_S) -> None:
        """Fail fast when nobody can answer: stdin is not a terminal and carries no answers.

        With a terminal this returns at once. Otherwise it waits (up to `timeout`) for the first line and
        keeps it for the first answer, so piped answers work and an empty pipe or /dev/null does not hang.
        """
        if _isatty(self.stdin):
            return
        if not _readable_within(self.stdin, timeout):
            raise NoTerminalError(
                f"stdin is not a terminal and no answer arrived within {timeout:.0f} s; "
                "run `interviewer practice --text` in a terminal, or pipe the answers in"
            )
        line = self.stdin.readline()
        if line == "":
            raise NoTerminalError(
                "stdin is not a terminal and is empty, so there is nobody to answer; "
                "run `interviewer practice --text` in a terminal, or pipe the answers in "
                "(an empty line ends each answer)"
            )
        self._pending.append(line)

    # -- the Channel protocol --

    def say(self, pieces: Iterator[str], turn_index: int | None) -> Said:
        header = f"\n{self.speaker}: " if turn_index is None else f"\n[{turn_index + 1}] {self.speaker}: "
        self.stdout.write(header)
        parts: list[str] = []
        for piece in pieces:
            parts.append(piece)
            self.stdout.write(piece)
            self.stdout.flush()
        self.stdout.write("\n")
        self.stdout.flush()
        return Said(text="".join(parts).strip())

    def listen(self, turn_index: int, limit_s: float | None = None) -> Answer:
        # a typed answer cannot be interrupted: the loop cuts in after it, by its word count
        if not self._hinted:
            self.stdout.write(TEXT_HINT + "\n")
            self._hinted = True
        self.stdout.write("> ")
        self.stdout.flush()
        answer = self._read_answer()
        if not _isatty(self.stdin):  # piped answers: show them so the printed dialogue reads in order
            shown = "(skipped)" if answer.skipped else answer.text.replace("\n", "\n  ")
            self.stdout.write(f"{shown}{' /quit' if answer.quit else ''}\n")
            self.stdout.flush()
        return answer

    def _read_answer(self) -> Answer:
        lines: list[str] = []
        while True:
            raw = self._readline()
            if raw is None:  # end of input (Ctrl-D, or the pipe ran dry): whatever was typed is the last answer
                return Answer(text="\n".join(lines), quit=True)
            line = raw.rstrip("\r\n")
            command = line.strip().lower()
            if command == QUIT_COMMAND:
                return Answer(text="\n".join(lines), quit=True)
            if command == SKIP_COMMAND:
                return Answer(skipped=True)
            if command in DONE_COMMANDS or (not line.strip() and lines):
                if lines:
                    return Answer(text="\n".join(lines))
                continue  # /done or a blank line before any text: keep waiting for the answer
            if line.strip():
                lines.append(line.rstrip())

    def _readline(self) -> str | None:
        if self._pending:
            line = self._pending.pop(0)
        elif self._eof:
            return None
        else:
            line = self.stdin.readline()
        if line == "":
            self._eof = True
            return None
        return line


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _readable_within(stream: TextIO, timeout: float) -> bool:
    """True when a read would not block (data or end of file), as far as the platform can tell."""
    try:
        fd = stream.fileno()
    except (AttributeError, ValueError, OSError):
        return True  # an in-memory stream never blocks
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
    except (OSError, ValueError):
        return True  # select does not work on this kind of stream (e.g. Windows pipes): just read
    return bool(ready)
