"""Batch grading of many answers: recordings, transcripts and session folders, for a coach with a folder.

Pipeline: a decode thread reads and checks the next recordings (PyAV, then the Silero VAD for silence) while
two worker threads transcribe (one Whisper model, one CPU thread per transcription) and grade; the main
thread writes results in input order. The queue after the decoder is bounded, so memory does not grow with
the number of files.

Every result is cached under a key made of the input's content hash and the grader configuration, so a
re-run (after Ctrl-C, a crash, or adding files) grades only what is missing. Results stream out as each file
finishes; a bad file becomes an error row and never stops the batch.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import io
import json
import os
import queue
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TextIO

import numpy as np

from . import __version__
from .errors import CatalogError, InputFileError, InterviewerError, SessionError
from .media import AUDIO_EXTENSIONS, MAX_AUDIO_SECONDS, check_speech, decode, duration_hint
from .models import SIGNAL_IDS, GradeReport, Level, RoundKind, Rubric, Turn, candidate_text, utcnow
from .protocols import SAMPLE_RATE, Grader, Transcription
from .report.html import BatchRow, render_batch_index, render_html
from .store import LOG_NAME, read_session, write_atomic

Kind = Literal["audio", "text", "session", "unsupported", "empty_folder"]
TEXT_EXTENSIONS = (".txt",)  # graded through interviewer.batch.grade_input (labelled dialogues too)
SIDECAR_SUFFIX = ".question.txt"
MANIFEST_NAMES = ("manifest.csv",)
CACHE_ENV = "INTERVIEWER_CACHE"
CACHE_SCHEMA = 1  # bump when the cached record's shape changes
DECODE_AHEAD = 2  # decoded recordings waiting for Whisper; bounds memory
GRADE_WORKERS = 2  # transcriptions at once, one CPU thread each: on 2 cores this beats one 2-thread run
PROGRESS_WIDTH = 24
HASH_CHUNK = 1 << 20
INDEX_REFRESH_SECONDS = 2.0  # index.html is rewritten at most this often while a batch runs, and at the end


# --- inputs -------------------------------------------------------------------------------------


@dataclass
class BatchInput:
    path: Path
    kind: Kind
    question: str | None = None

    @property
    def source(self) -> str:
        return str(self.path)


def kind_of(path: Path) -> Kind:
    if path.is_dir() and (path / LOG_NAME).is_file():
        return "session"
    suffix = path.suffix.lower()
    if suffix in AUDIO_EXTENSIONS:
        return "audio"
    if suffix in TEXT_EXTENSIONS:
        return "text"
    return "unsupported"


def _is_helper_file(path: Path) -> bool:
    name = path.name.lower()
    return name.startswith(".") or name.endswith(SIDECAR_SUFFIX) or name in MANIFEST_NAMES


def discover(inputs: Sequence[str | Path], skip: Path | None = None) -> list[BatchInput]:
    """Expand folders (recursively; a session folder counts as one input) into an ordered list of inputs.

    Every file is accounted for: a missing or unsupported one (a .pdf, a .docx) becomes an error row, in a
    folder as on the command line, so a coach sees each file of the cohort in the results. Hidden files,
    question sidecars, manifests and `skip` (the output folder) are left out. A folder with nothing in it
    becomes one error row.
    """
    found: list[BatchInput] = []
    seen: set[Path] = set()
    skip_resolved = skip.resolve() if skip else None

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            found.append(BatchInput(p, kind_of(p)))

    def walk(folder: Path) -> int:
        n = 0
        for child in sorted(folder.iterdir()):
            if skip_resolved and child.resolve() == skip_resolved:
                continue
            if child.is_dir():
                if (child / LOG_NAME).is_file():
                    add(child)
                    n += 1
                elif not child.name.startswith("."):
                    n += walk(child)
            elif not _is_helper_file(child):
                add(child)
                n += 1
        return n

    for raw in inputs:
        p = Path(raw)
        if p.is_dir() and not (p / LOG_NAME).is_file():
            if walk(p) == 0:
                found.append(BatchInput(p, "empty_folder"))
        else:
            add(p)
    return found


def read_manifest(path: Path) -> dict[str, str]:
    """A CSV with a `file` (or `path`) column and a `question` column: file name -> question."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputFileError(f"{path}: cannot read the manifest: {e}") from None
    reader = csv.DictReader(io.StringIO(text))
    cols = {c.strip().lower(): c for c in reader.fieldnames or []}
    file_col = cols.get("file") or cols.get("path")
    q_col = cols.get("question")
    if not file_col or not q_col:
        raise InputFileError(f"{path}: the manifest needs a 'file' and a 'question' column "
                             f"(found: {', '.join(reader.fieldnames or []) or 'none'})")
    out: dict[str, str] = {}
    for row in reader:
        name, q = (row.get(file_col) or "").strip(), (row.get(q_col) or "").strip()
        if name and q:
            out[name] = q
    return out


def assign_questions(items: list[BatchInput], default: str | None, manifest: Path | None = None) -> None:
    """Per input: its sidecar (`NAME.question.txt`), else a manifest row, else the session's, else --question."""
    manifests: dict[Path, dict[str, str]] = {}
    explicit = read_manifest(manifest) if manifest else {}

    def from_manifest(p: Path) -> str | None:
        folder = p.parent
        if folder not in manifests:
            found = next((folder / n for n in MANIFEST_NAMES if (folder / n).is_file()), None)
            manifests[folder] = read_manifest(found) if found else {}
        for table in (manifests[folder], explicit):
            for key in (p.name, str(p), p.stem):
                if key in table:
                    return table[key]
        return None

    for item in items:
        side = item.path.with_name(item.path.stem + SIDECAR_SUFFIX) if item.kind != "session" else None
        if side is not None and side.is_file():
            try:
                item.question = side.read_text(encoding="utf-8").strip()
                continue
            except (OSError, UnicodeDecodeError) as e:
                print(f"interviewer: {side}: cannot read the question ({e}); using the next source", file=sys.stderr)
        q = from_manifest(item.path)
        if q:
            item.question = q
        elif item.kind != "session" and default:
            item.question = default


# --- cache --------------------------------------------------------------------------------------


def content_hash(path: Path) -> str:
    """sha256 of a file, or of a session folder's log."""
    target = path / LOG_NAME if path.is_dir() else path
    h = hashlib.sha256()
    with open(target, "rb") as f:
        while chunk := f.read(HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class GraderConfig:
    """Everything besides the input that changes a grade; part of the cache key."""

    grader: str
    rubric: Rubric
    level: Level
    stt: str = ""  # recognizer identity: model and decoding options

    def fingerprint(self, question: str | None) -> str:
        h = hashlib.sha256()
        for part in (str(CACHE_SCHEMA), __version__, code_fingerprint(), self.grader, self.rubric.model_dump_json(),
                     self.level.value, self.stt, question or ""):
            h.update(part.encode())
            h.update(b"\0")
        return h.hexdigest()


GRADING_CODE = ("grading", "llm", "batch.py", "media.py", "models.py", "voice/stt.py")  # what shapes a grade


@functools.cache
def code_fingerprint() -> str:
    """A hash of the source that shapes a grade, so a changed detector or parser never serves a stale one."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent
    files = [p for part in GRADING_CODE for p in ([root / part] if part.endswith(".py") else
                                                    sorted((root / part).rglob("*.py")))]
    files += sorted((root / "grading" / "model").glob("*.npz"))  # the learned weights shape a grade too
    for path in files:
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def default_cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "interviewer" / "grades"


class ResultCache:
    """One JSON file per (input content, grader configuration); written atomically."""

    def __init__(self, folder: Path):
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, record: dict) -> None:
        """Store a result; a cache that cannot be written only costs a re-grade later, so it never fails."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, json.dumps(record))
        except OSError as e:
            print(f"interviewer: cannot write the result cache {self.folder}: {e.strerror or e}", file=sys.stderr)


# --- grading one input --------------------------------------------------------------------------


@dataclass
class Outcome:
    source: str
    kind: Kind
    report: GradeReport | None = None
    error: str | None = None
    audio_seconds: float | None = None
    transcript: str | None = None
    turns: list[Turn] = field(default_factory=list)
    question: str | None = None
    cached: bool = False
    seconds: float = 0.0  # wall time spent on it

    def record(self) -> dict:
        """The JSON Lines object: the GradeReport's fields plus `source`, or `source` and `error`."""
        base: dict = {"source": self.source}
        if self.report is None:
            base["error"] = self.error or "unknown error"
            return base
        base.update(json.loads(self.report.model_dump_json()))
        base["audio_seconds"] = self.audio_seconds
        base["transcript"] = self.transcript
        return base

    def cache_record(self) -> dict:
        rec = self.record()
        rec["turns"] = [json.loads(t.model_dump_json()) for t in self.turns]
        return rec

    @classmethod
    def from_cache(cls, item: BatchInput, rec: dict) -> Outcome:
        turns = [Turn.model_validate(t) for t in rec.get("turns", [])]
        fields = set(GradeReport.model_fields)
        report = GradeReport.model_validate({k: v for k, v in rec.items() if k in fields})
        return cls(item.source, item.kind, report=report, audio_seconds=rec.get("audio_seconds"),
                   transcript=rec.get("transcript"), turns=turns, question=item.question, cached=True)


def answer_turn(text: str, question: str | None, tr: Transcription | None = None) -> Turn:
    """One answer as the single turn of a transcript."""
    talk = None
    if tr is not None and tr.words:
        talk = round(tr.words[-1].end - tr.words[0].start, 2)
    return Turn(index=0, round=RoundKind.opening, question=question or "", answer=text.strip(),
                answer_seconds=talk, words=(tr.words or None) if tr else None)


@dataclass
class Decoded:
    item: BatchInput
    audio: np.ndarray | None = None
    error: str | None = None
    key: str = ""


class BatchGrader:
    """Grades a list of inputs: a decode thread reads ahead, `workers` threads transcribe and grade."""

    def __init__(self, grader: Grader, config: GraderConfig, cache: ResultCache | None,
                 stt_factory: Callable[[], object] | None = None, workers: int = GRADE_WORKERS):
        self.grader = grader
        self.config = config
        self.cache = cache
        self.workers = max(1, workers)
        self._stt_factory = stt_factory
        self._stt = None
        self._stt_lock = threading.Lock()
        self._grade_lock = threading.Lock()  # graders keep per-call state (the LLM judge does): one at a time
        self.stop = threading.Event()

    @property
    def stt(self):
        with self._stt_lock:  # the workers share one model, loaded by whichever needs it first
            if self._stt is None:
                if self._stt_factory is None:
                    raise InterviewerError("no speech recognizer configured for audio inputs")
                self._stt = self._stt_factory()
            return self._stt

    def key(self, item: BatchInput) -> str:
        try:
            digest = content_hash(item.path)
        except OSError:
            return ""
        return hashlib.sha256(f"{item.kind}|{digest}|{self.config.fingerprint(item.question)}".encode()).hexdigest()

    def grade_decoded(self, d: Decoded) -> Outcome:
        """Everything after decoding: transcribe (audio) or read (text, session), then grade. A problem with
        the input becomes the outcome's error; a problem with the set-up (no model) is raised."""
        item, t0 = d.item, time.monotonic()
        out = Outcome(item.source, item.kind, question=item.question)
        try:
            if d.error:
                raise InputFileError(d.error)
            if item.kind == "text":
                self._text(item, out)
            else:
                if item.kind == "audio":
                    self._audio(d, out)
                elif item.kind == "session":
                    self._session(item, out)
                else:
                    raise InputFileError(self._unusable(item))
                with self._grade_lock:
                    out.report = self.grader.grade(out.turns, self.config.rubric, self.config.level, out.question)
        except (InputFileError, SessionError) as e:
            out.error, out.turns, out.report = str(e), [], None
        out.seconds = time.monotonic() - t0
        return out

    def _audio(self, d: Decoded, out: Outcome) -> None:
        assert d.audio is not None
        out.audio_seconds = round(len(d.audio) / SAMPLE_RATE, 2)
        tr = self.stt.transcribe(d.audio)
        if not tr.text.strip():
            raise InputFileError(f"{d.item.path}: no words recognized in {out.audio_seconds:.0f} s of audio")
        out.turns = [answer_turn(tr.text, out.question, tr)]
        out.transcript = tr.text

    def _text(self, item: BatchInput, out: Outcome) -> None:
        """Transcripts go through the `grade` command's own seam (plain answers and labelled dialogues)."""
        from .batch import GradeContext, grade_input

        ctx = GradeContext(self.config.rubric, self.config.level, self.grader, item.question)
        with self._grade_lock:
            (res,) = grade_input(item.path, ctx)
        if res.report is None:
            raise InputFileError(res.error or f"{item.path}: cannot be graded")
        out.turns, out.report = res.turns, res.report
        out.transcript = candidate_text(res.turns)
        out.question = res.report.question

    def _session(self, item: BatchInput, out: Outcome) -> None:
        session = read_session(item.path)
        out.turns = list(session.turns)
        out.question = item.question or session.meta.question
        out.transcript = candidate_text(out.turns)
        if not out.transcript:
            raise InputFileError(f"{item.path}: the session has no answers to grade")

    @staticmethod
    def _unusable(item: BatchInput) -> str:
        if item.kind == "empty_folder":
            return (f"{item.path}: folder has no transcripts (.txt), recordings ({', '.join(AUDIO_EXTENSIONS)}) "
                    f"or session folders")
        if not item.path.exists():
            return f"{item.path}: no such file or folder"
        return (f"{item.path}: unsupported file type {item.path.suffix or '(none)'}; expected audio "
                f"({', '.join(AUDIO_EXTENSIONS)}), .txt transcripts or session folders")

    def decode_one(self, item: BatchInput, use_cache: bool = True) -> Decoded:
        d = Decoded(item, key=self.key(item))
        if item.kind != "audio" or (use_cache and self.cached(d) is not None):
            return d
        try:
            audio = decode(item.path)
            check_speech(item.path, audio)
            d.audio = audio
        except InputFileError as e:
            d.error = str(e)
        except Exception as e:  # anything else about one file must not stop the batch
            d.error = f"{item.path}: cannot decode audio ({type(e).__name__}: {e})"
        return d

    def cached(self, d: Decoded) -> dict | None:
        if self.cache is None or not d.key:
            return None
        return self.cache.get(d.key)

    def _put(self, q: queue.Queue, value: Decoded | None) -> bool:
        """Put unless asked to stop; False when stopped."""
        while not self.stop.is_set():
            try:
                q.put(value, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _decoder(self, items: Sequence[BatchInput], q: queue.Queue) -> None:
        try:
            for index, item in enumerate(items):
                if self.stop.is_set() or not self._put(q, (index, self.decode_one(item))):
                    return
        finally:
            self._put(q, None)

    def process(self, d: Decoded) -> Outcome:
        """One decoded input to its outcome: from the cache when it holds this input and configuration."""
        rec = self.cached(d)
        if rec is not None:
            try:
                return Outcome.from_cache(d.item, rec)
            except ValueError:  # an unreadable cache entry is a miss
                if d.item.kind == "audio" and d.audio is None and not d.error:
                    d = self.decode_one(d.item, use_cache=False)
        out = self.grade_decoded(d)
        # errors are cheap to find again, and a fallback grade (LLM judge down) should be retried next time
        if self.cache is not None and d.key and out.report is not None and out.report.grader == self.config.grader:
            self.cache.put(d.key, out.cache_record())
        return out

    def _worker(self, inbox: queue.Queue, outbox: queue.Queue) -> None:
        while not self.stop.is_set():
            try:
                job = inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            if job is None:  # the decoder is done: pass the news on to the next worker
                inbox.put(None)
                return
            index, d = job
            try:
                outbox.put((index, self.process(d)))
            except BaseException as e:  # a configuration problem (no model, dead grader): stop the batch
                outbox.put((index, e))
                return

    def run(self, items: Sequence[BatchInput]) -> Iterator[Outcome]:
        """Yield one outcome per input, in input order, while the decoder reads ahead and `self.workers`
        threads transcribe and grade. Closing the generator (or Ctrl-C) stops them all."""
        inbox: queue.Queue = queue.Queue(maxsize=DECODE_AHEAD)
        outbox: queue.Queue = queue.Queue()
        threads = [threading.Thread(target=self._decoder, args=(items, inbox), name="batch-decode", daemon=True)]
        threads += [threading.Thread(target=self._worker, args=(inbox, outbox), name=f"batch-grade-{n}", daemon=True)
                    for n in range(self.workers)]
        for t in threads:
            t.start()
        waiting: dict[int, Outcome] = {}
        try:
            for index in range(len(items)):
                while index not in waiting:
                    got, result = outbox.get()
                    if isinstance(result, BaseException):
                        raise result
                    waiting[got] = result
                yield waiting.pop(index)
        finally:
            self.stop.set()
            for t in threads:
                t.join(timeout=30)


# --- outputs ------------------------------------------------------------------------------------


def csv_header() -> list[str]:
    return ["source", "status", "error", "audio_seconds", "overall", "letter", "recommendation",
            *SIGNAL_IDS, "flags", "question"]


def csv_row(o: Outcome) -> list[str]:
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

    def add(self, o: Outcome) -> None:
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


class Progress:
    """A progress bar with ETA on a terminal; one quiet line per input otherwise."""

    def __init__(self, total: int, total_audio: float, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.total, self.total_audio = total, max(total_audio, 0.0)
        self.done = self.failed = 0
        self.audio_done = 0.0
        self.started = time.monotonic()

    def eta(self) -> float | None:
        spent = time.monotonic() - self.started
        if self.done == 0 or spent <= 0:
            return None
        if self.total_audio > 0 and self.audio_done > 0:
            rate = self.audio_done / spent
            return max(0.0, (self.total_audio - self.audio_done) / rate)
        return spent / self.done * (self.total - self.done)

    def update(self, o: Outcome) -> None:
        self.done += 1
        self.failed += o.report is None
        self.audio_done += o.audio_seconds or 0.0
        if self.tty and o.report is None:  # the error above the bar, which is redrawn below
            self.stream.write(f"\r\033[Kinterviewer: {o.error}\n")
        if self.tty:
            frac = self.done / self.total if self.total else 1.0
            fill = int(frac * PROGRESS_WIDTH)
            eta = self.eta()
            eta_s = f"ETA {_clock(eta)}" if eta is not None else "ETA --:--"
            failed = f" {self.failed} failed" if self.failed else ""
            name = Path(o.source).name[:30]
            self.stream.write(f"\r[{'#' * fill}{'.' * (PROGRESS_WIDTH - fill)}] {self.done}/{self.total}{failed} "
                              f"{eta_s}  {name:<30}")
            if self.done == self.total:
                self.stream.write("\n")
        elif o.report is not None:
            cached = " (cached)" if o.cached else ""
            self.stream.write(f"[{self.done}/{self.total}] {o.source}: {o.report.overall.score:.0f} "
                              f"{o.report.overall.letter}{cached}\n")
        else:
            self.stream.write(f"interviewer: {o.error}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self.done < self.total:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def total_audio_seconds(items: Sequence[BatchInput]) -> float:
    return sum(d for i in items if i.kind == "audio" and (d := duration_hint(i.path)) and d <= MAX_AUDIO_SECONDS)


# --- the command ----------------------------------------------------------------------------------

EXIT_OK, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 130
STT_THREADS = 1  # CPU threads per transcription; with GRADE_WORKERS = 2 that fills 2 cores (see bench_batch.py)


class ParallelWhisper:
    """faster-whisper for batch work: `workers` transcriptions at once on one model, `threads` CPU threads
    each. Same decoding as the voice loop's WhisperSTT (greedy, word timestamps), without its one-at-a-time
    lock."""

    def __init__(self, spec: str | None, workers: int = GRADE_WORKERS, threads: int = STT_THREADS):
        from faster_whisper import WhisperModel

        from .voice.models import resolve_model
        from .voice.stt import COMPUTE_TYPE, DEFAULT_BEAM

        self.info = resolve_model(spec)
        self.beam_size = DEFAULT_BEAM
        self._model = WhisperModel(str(self.info.path), device="cpu", compute_type=COMPUTE_TYPE,
                                   cpu_threads=threads, num_workers=workers)

    def transcribe(self, audio: np.ndarray) -> Transcription:
        from .models import WordTiming

        segments, _ = self._model.transcribe(audio, language="en", beam_size=self.beam_size, word_timestamps=True,
                                             condition_on_previous_text=False, vad_filter=False)
        segments = list(segments)
        words = [WordTiming(word=w.word.strip(), start=round(w.start, 3), end=round(w.end, 3),
                            probability=round(w.probability, 3))
                 for seg in segments for w in (seg.words or []) if w.word.strip()]
        text = " ".join(seg.text.strip() for seg in segments if seg.text.strip())
        return Transcription(text=text, words=words, duration=len(audio) / SAMPLE_RATE)


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8  # glibc mallopt parameters
MMAP_THRESHOLD_BYTES = 128 * 1024  # buffers above this go straight to mmap and back to the OS when freed
ARENA_MAX = 2


def limit_heap_growth() -> bool:
    """Keep glibc from growing the heap file after file: measured here, Whisper's varying buffer sizes
    raised the dynamic mmap threshold and peak memory climbed ~2 MB per file; with a fixed threshold it
    stays flat. No-op where glibc is absent. Returns whether it applied."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
        ok &= libc.mallopt(M_TRIM_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
        ok &= libc.mallopt(M_ARENA_MAX, ARENA_MAX) == 1
        return bool(ok)
    except (OSError, AttributeError):
        return False


def whisper_factory(spec: str | None, workers: int = GRADE_WORKERS, threads: int = STT_THREADS
                    ) -> Callable[[], object]:
    def make() -> object:
        return ParallelWhisper(spec, workers, threads)

    return make


def stt_identity(spec: str | None) -> str:
    from .voice.stt import DEFAULT_BEAM

    return f"whisper:{spec or 'tiny.en'}:beam{DEFAULT_BEAM}"


class Interrupts:
    """Ctrl-C raises KeyboardInterrupt at once, except while one result is being written out: then it waits
    for the writes to finish, so the JSON Lines, CSV and HTML always agree on what finished."""

    def __init__(self) -> None:
        self.pending = False
        self.shielded = False
        self._previous = None

    def _handler(self, signum, frame) -> None:
        if self.shielded:
            self.pending = True
        else:
            raise KeyboardInterrupt

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    @contextlib.contextmanager
    def shield(self) -> Iterator[None]:
        self.shielded = True
        try:
            yield
        finally:
            self.shielded = False
            if self.pending:
                raise KeyboardInterrupt


def run_batch(
    items: list[BatchInput],
    engine: BatchGrader,
    out: OutputFolder | None,
    emit: Callable[[Outcome], None],
    progress: Progress | None,
) -> tuple[int, int, bool]:
    """Grade everything, streaming each outcome; returns (graded, failed, interrupted)."""
    graded = failed = 0
    results = engine.run(items)
    interrupted = False
    with Interrupts() as ctrl_c:
        try:
            for o in results:
                with ctrl_c.shield():
                    if out is not None:
                        out.add(o)
                    emit(o)
                    if progress is not None:
                        progress.update(o)
                    if o.report is None:
                        failed += 1
                    else:
                        graded += 1
        except KeyboardInterrupt:
            interrupted = True
        finally:
            results.close()
            if progress is not None:
                progress.finish()
            if out is not None:
                out.close()
    return graded, failed, interrupted


def batch_command(args, emit: Callable[[Outcome], None] | None = None) -> int:
    """`interviewer grade` over any mix of inputs; `emit` prints each outcome (default: in --format)."""
    from .catalog import load_catalog
    from .session_commands import choose_grader

    cat = load_catalog(getattr(args, "data_dir", None))
    if args.rubric not in cat.rubrics:
        raise CatalogError(f"--rubric {args.rubric!r}: no such rubric; available: {', '.join(sorted(cat.rubrics))}")
    rubric = cat.rubrics[args.rubric]
    emit = emit or printer(getattr(args, "format", "markdown"), rubric)
    out_dir = Path(args.out) if getattr(args, "out", None) else None
    items = discover(args.inputs, skip=out_dir)
    manifest = getattr(args, "manifest", None)
    assign_questions(items, args.question, Path(manifest) if manifest else None)
    grader = choose_grader(args)
    spec = getattr(args, "stt_model", None)
    has_audio = any(i.kind == "audio" for i in items)
    identity = str(getattr(grader, "name", type(grader).__name__))
    if getattr(grader, "trust", None):  # a calibrated judge blends differently from an uncalibrated one
        identity += "|trust:" + json.dumps(grader.trust, sort_keys=True)
    config = GraderConfig(grader=identity, rubric=rubric,
                          level=Level(args.level), stt=stt_identity(spec) if has_audio else "")
    cache = None
    if not getattr(args, "no_cache", False):
        cache = ResultCache(default_cache_dir())
    if has_audio:
        limit_heap_growth()
    engine = BatchGrader(grader, config, cache, whisper_factory(spec) if has_audio else None)
    out = OutputFolder(out_dir, rubric) if out_dir else None
    progress = Progress(len(items), total_audio_seconds(items) if has_audio else 0.0)
    graded, failed, interrupted = run_batch(items, engine, out, emit, progress)
    left = len(items) - graded - failed
    summary = f"{failed} of {len(items)} inputs could not be graded" if failed else f"all {len(items)} inputs graded"
    parts = [summary, f"{graded} graded"]
    if left:
        parts.append(f"{left} not started")
    where = f"; results in {out_dir}" if out_dir else ""
    print(f"interviewer: {', '.join(parts)}{where}", file=sys.stderr)
    if interrupted:
        print("interviewer: interrupted; everything finished so far is kept: run the same command again to "
              "grade only what is missing", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_PARTIAL if failed else EXIT_OK


def printer(fmt: str, rubric: Rubric | None = None, stream: TextIO | None = None) -> Callable[[Outcome], None]:
    """Print each outcome as it finishes: a JSON Lines record, or a markdown report (errors go to the
    progress lines on stderr)."""
    out = stream or sys.stdout

    def emit(o: Outcome) -> None:
        if fmt == "json":
            out.write(json.dumps(o.record(), ensure_ascii=False) + "\n")
        elif o.report is not None:
            from .report.markdown import render_markdown

            out.write(render_markdown(o.report, o.turns, title=f"Grade: {o.source}", rubric=rubric) + "\n")
        out.flush()

    return emit


def grade_command(args) -> int:
    """`interviewer grade DIR|FILE...`."""
    return batch_command(args)
