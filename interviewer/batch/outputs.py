"""Where results go: `--out DIR` (results.jsonl, summary.csv, a report page per input, index.html) and the
per-input output on stdout (JSON Lines or markdown)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from ..durable import write_atomic
from ..errors import InputFileError
from ..models import SIGNAL_IDS, Rubric, utcnow
from ..report.html import BatchRow, render_batch_index, render_html
from .result import GradeResult

INDEX_REFRESH_SECONDS = 2.0  # index.html is rewritten at most this often while a batch runs, and at the end


def csv_header() -> list[str]:
    return ["source", "status", "error", "audio_seconds", "overall", "letter", "recommendation",
            *SIGNAL_IDS, "flags", "question"]


def csv_row(o: GradeResult) -> list[str]:
    if o.report is None:
        return [o.source, "error", o.error or "", "", "", "", "", *([""] * len(SIGNAL_IDS)), "", o.question or ""]
    scores = {s.id: s.score for s in o.report.signals}
    return [o.source, "ok", "", f"{o.audio_seconds:.1f}" if o.audio_seconds else "",
            f"{o.report.overall.score:.1f}", o.report.overall.letter, o.report.overall.recommendation.value,
            *(str(scores.get(s, "")) for s in SIGNAL_IDS), " ".join(o.report.flag_ids()), o.question or ""]


def page_name(source: str) -> str:
    """A safe, unique file name for an input's report page."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(source).name)[:60] or "answer"
    return f"{stem}-{hashlib.sha1(source.encode()).hexdigest()[:8]}.html"


class OutputFolder:
    """--out DIR: results.jsonl and summary.csv appended as each input finishes, index.html and one page
    per answer rewritten atomically, so a Ctrl-C leaves everything finished so far readable."""

    def __init__(self, folder: Path, rubric: Rubric | None):
        self.folder = folder
        self.rubric = rubric
        try:
            (folder / "reports").mkdir(parents=True, exist_ok=True)
            self._jsonl = open(folder / "results.jsonl", "w", encoding="utf-8")  # noqa: SIM115
            self._csv_fh = open(folder / "summary.csv", "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as e:
            raise InputFileError(f"--out {folder}: cannot create the folder or its files: {e.strerror or e}") from None
        self._csv = csv.writer(self._csv_fh)
        self._csv.writerow(csv_header())
        self.rows: list[BatchRow] = []
        self._indexed = 0.0

    def add(self, o: GradeResult) -> None:
        self._jsonl.write(json.dumps(o.record()) + "\n")
        self._jsonl.flush()
        self._csv.writerow(csv_row(o))
        self._csv_fh.flush()
        link = None
        if o.report is not None:
            link = f"reports/{page_name(o.source)}"
            page = render_html(o.report, o.turns, title=f"Answer report \u00b7 {Path(o.source).name}",
                               source=o.source, rubric=self.rubric, back=("../index.html", "all answers"))
            write_atomic(self.folder / link, page)
        self.rows.append(BatchRow(o.source, o.report, o.error, link, o.audio_seconds))
        if time.monotonic() - self._indexed >= INDEX_REFRESH_SECONDS:
            self.write_index()

    def write_index(self) -> None:
        write_atomic(self.folder / "index.html", render_batch_index(self.rows, rubric=self.rubric,
                                                                    generated_at=utcnow()))
        self._indexed = time.monotonic()

    def close(self) -> None:
        self.write_index()
        for fh in (self._jsonl, self._csv_fh):
            if not fh.closed:
                fh.close()


def printer(fmt: str, rubric: Rubric | None = None, stream: TextIO | None = None) -> Callable[[GradeResult], None]:
    """Print each result as it finishes: a JSON Lines record, or a markdown report (errors go to the
    progress lines on stderr)."""
    out = stream or sys.stdout

    def emit(o: GradeResult) -> None:
        if fmt == "json":
            out.write(json.dumps(o.record(), ensure_ascii=False) + "\n")
        elif o.report is not None:
            from ..report.markdown import render_markdown

            out.write(render_markdown(o.report, o.turns, title=f"Grade: {o.source}", rubric=rubric) + "\n")
        out.flush()

    return emit
