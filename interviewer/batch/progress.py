"""Progress while a batch runs, on stderr: a rich progress bar on a terminal (inputs done, failures, audio
minutes done, ETA, the input just finished; errors printed above the bar), one plain line per input otherwise
(`[3/12] path: 72 B`, or `interviewer: <error>`), which scripts and logs can read."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ..clock import clock
from ..media import MAX_AUDIO_SECONDS, duration_hint
from .discover import BatchInput
from .result import GradeResult

BAR_WIDTH = 24
NAME_WIDTH = 30


def total_audio_seconds(items: Sequence[BatchInput]) -> float:
    """The recordings' stated durations (what the ETA is weighed by), without decoding them."""
    return sum(d for i in items if i.kind == "audio" and (d := duration_hint(i.path)) and d <= MAX_AUDIO_SECONDS)


class Progress:
    """Counts what finished and shows it: a rich bar on a terminal, one quiet line per input otherwise."""

    def __init__(self, total: int, total_audio: float, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.total, self.total_audio = total, max(total_audio, 0.0)
        self.done = self.failed = 0
        self.audio_done = 0.0
        self.last = ""
        self.started = time.monotonic()
        self._bar = self._rich_bar() if self.tty else None

    def eta(self) -> float | None:
        """Seconds left: by audio still to transcribe when there are recordings, else by inputs left."""
        spent = time.monotonic() - self.started
        if self.done == 0 or spent <= 0:
            return None
        if self.total_audio > 0 and self.audio_done > 0:
            rate = self.audio_done / spent
            return max(0.0, (self.total_audio - self.audio_done) / rate)
        return spent / self.done * (self.total - self.done)

    def status(self) -> str:
        """The text beside the bar: `7/12 1 failed 3.5/9.0 min audio ETA 1:05 bob.flac`."""
        parts = [f"{self.done}/{self.total}"]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.total_audio > 0:
            parts.append(f"{self.audio_done / 60:.1f}/{self.total_audio / 60:.1f} min audio")
        eta = self.eta()
        parts.append(f"ETA {clock(eta)}" if eta is not None else "ETA --:--")
        parts.append(self.last)
        return " ".join(parts)

    def update(self, o: GradeResult) -> None:
        self.done += 1
        self.failed += o.report is None
        self.audio_done += o.audio_seconds or 0.0
        self.last = Path(o.source).name[:NAME_WIDTH]
        if self._bar is not None:
            progress, task = self._bar
            if o.report is None:  # the error above the bar, which is redrawn below it
                progress.console.print(f"interviewer: {o.error}", markup=False, highlight=False, soft_wrap=True)
            progress.update(task, completed=self.done)
            progress.refresh()
            return
        if o.report is not None:
            cached = " (cached)" if o.cached else ""
            self.stream.write(f"[{self.done}/{self.total}] {o.source}: {o.report.overall.score:.0f} "
                              f"{o.report.overall.letter}{cached}\n")
        else:
            self.stream.write(f"interviewer: {o.error}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self._bar is not None:
            self._bar[0].stop()
            self._bar = None

    def _rich_bar(self):
        from rich.console import Console
        from rich.progress import BarColumn, ProgressColumn
        from rich.progress import Progress as RichProgress
        from rich.text import Text

        outer = self

        class Status(ProgressColumn):
            def render(self, task) -> Text:  # redrawn ten times a second, so the ETA counts down between files
                return Text(outer.status())

        progress = RichProgress(BarColumn(bar_width=BAR_WIDTH), Status(),
                                console=Console(file=self.stream, highlight=False),
                                redirect_stdout=False, redirect_stderr=False)
        task = progress.add_task("grading", total=self.total or 1)
        progress.start()
        return progress, task
