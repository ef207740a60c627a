"""The grading pipeline: each input is read, decoded, transcribed, graded and written exactly once.

A decode thread reads the next inputs ahead (a transcript's bytes, which also give its cache key; a recording
through PyAV and the Silero VAD check) while `workers` threads transcribe (one Whisper model, one CPU thread
per transcription) and grade; the main thread writes results in input order. The queue after the decoder is
bounded, so memory does not grow with the number of files.

Ctrl-C: the main thread stops at once (a result being written is finished first, so the outputs agree) and
tells the threads to stop; transcriptions stop between Whisper segments. It waits `STOP_WAIT_SECONDS` for
them, no longer: on a loaded machine one segment can take seconds, and the threads' work is thrown away
anyway. `BatchGrader.still_running` names the threads still busy, for the command to leave without waiting.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..errors import InputFileError, InterviewerError, SessionError
from ..media import AUDIO_EXTENSIONS, check_speech, decode
from ..models import Level, Rubric, candidate_text
from ..protocols import SAMPLE_RATE, Grader
from ..sessions.store import read_session
from .cache import GraderConfig, ResultCache, content_hash, digest
from .discover import BatchInput, assign_questions, discover
from .result import GradeResult, answer_turn
from .transcripts import answer_turns, read_transcript_bytes

if TYPE_CHECKING:
    from .outputs import OutputFolder
    from .progress import Progress

DECODE_AHEAD = 2  # decoded recordings waiting for Whisper; bounds memory
GRADE_WORKERS = 2  # transcriptions at once, one CPU thread each: on 2 cores this beats one 2-thread run
POLL_SECONDS = 0.2  # how often a waiting thread looks whether the batch was stopped
STOP_WAIT_SECONDS = 0.5  # after Ctrl-C, how long to wait for the threads to notice (between Whisper segments)


class _Stopped(Exception):
    """The batch was stopped while this input was being transcribed: its partial result is dropped."""


@dataclass
class Decoded:
    """An input read and ready for the workers: its bytes (a transcript) or samples (a recording)."""

    item: BatchInput
    audio: np.ndarray | None = None
    text: bytes | None = None
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
        self.still_running: list[str] = []  # threads that had not stopped when `run` ended

    @property
    def stt(self):
        with self._stt_lock:  # the workers share one model, loaded by whichever needs it first
            if self._stt is None:
                if self._stt_factory is None:
                    raise InterviewerError("no speech recognizer configured for audio inputs")
                self._stt = self._stt_factory()
            return self._stt

    # --- one input ---

    def prepare(self, item: BatchInput, use_cache: bool = True, decode_audio: bool = True) -> Decoded:
        """Read the input once: its cache key, and unless the cache holds it, what the workers need (a
        recording's samples only with `decode_audio`: the Ray engine decodes where it transcribes)."""
        d = Decoded(item)
        try:
            if item.kind == "refused":
                raise InputFileError(item.problem or f"{item.path}: cannot be graded")
            if item.kind == "text":
                d.text = read_transcript_bytes(item.path)
                d.key = self.config.key(item.kind, digest([d.text]), item.question)
                return d
            if item.kind in ("audio", "session"):
                with contextlib.suppress(OSError, InputFileError):  # unreadable: reported when graded
                    d.key = self.config.key(item.kind, content_hash(item.path), item.question)
            if item.kind != "audio" or not decode_audio or (use_cache and self.cached(d) is not None):
                return d
            audio = decode(item.path)
            check_speech(item.path, audio)
            d.audio = audio
        except InputFileError as e:
            d.error = str(e)
        except Exception as e:  # anything else about one file must not stop the batch
            d.error = f"{item.path}: cannot decode audio ({type(e).__name__}: {e})"
        return d

    def grade_decoded(self, d: Decoded) -> GradeResult:
        """Everything after reading: transcribe (audio) or parse (text, session), then grade. A problem with
        the input becomes the result's error; a problem with the set-up (no model) is raised."""
        item, t0 = d.item, time.monotonic()
        out = GradeResult(item.source, item.kind, question=item.question)
        try:
            if d.error:
                raise InputFileError(d.error)
            if item.kind == "text":
                assert d.text is not None
                out.turns = answer_turns(item.path, d.text, item.question)
                out.question = item.question or out.turns[0].question or None
            elif item.kind == "audio":
                self._audio(d, out)
            elif item.kind == "session":
                self._session(item, out)
            else:
                raise InputFileError(self._unusable(item))
            with self._grade_lock:
                out.report = self.grader.grade(out.turns, self.config.rubric, self.config.level, out.question)
            if item.kind != "audio":
                out.transcript = candidate_text(out.turns)
        except (InputFileError, SessionError) as e:
            out.error, out.turns, out.report = str(e), [], None
        out.seconds = time.monotonic() - t0
        return out

    def _audio(self, d: Decoded, out: GradeResult) -> None:
        assert d.audio is not None
        out.audio_seconds = round(len(d.audio) / SAMPLE_RATE, 2)
        tr = self.stt.transcribe(d.audio, should_stop=self.stop.is_set)
        if self.stop.is_set():  # cut short: not a transcript of the whole answer
            raise _Stopped
        if not tr.text.strip():
            raise InputFileError(f"{d.item.path}: no words recognized in {out.audio_seconds:.0f} s of audio")
        out.turns = [answer_turn(tr.text, out.question, tr)]
        out.transcript = tr.text

    def _session(self, item: BatchInput, out: GradeResult) -> None:
        session = read_session(item.path)
        out.turns = list(session.turns)
        out.question = item.question or session.meta.question
        if not candidate_text(out.turns):
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

    def cached(self, d: Decoded) -> dict | None:
        if self.cache is None or not d.key:
            return None
        return self.cache.get(d.key)

    def process(self, d: Decoded) -> GradeResult:
        """One read input to its result: from the cache when it holds this input and configuration."""
        rec = self.cached(d)
        if rec is not None:
            try:
                return GradeResult.from_cache(d.item.source, d.item.kind, d.item.question, rec)
            except ValueError:  # an unreadable cache entry is a miss
                if d.item.kind == "audio" and d.audio is None and not d.error:
                    d = self.prepare(d.item, use_cache=False)
        out = self.grade_decoded(d)
        self.store(d.key, out)
        return out

    def store(self, key: str, out: GradeResult) -> None:
        """Keep a result in the cache, when it is worth keeping: errors are cheap to find again, and a
        fallback grade (LLM judge down) should be retried next time."""
        if self.cache is not None and key and out.report is not None and out.report.grader == self.config.grader:
            self.cache.put(key, out.cache_record())

    def grade_one(self, item: BatchInput) -> GradeResult:
        """One input, start to end, on the calling thread."""
        return self.process(self.prepare(item))

    # --- the threads ---

    def _put(self, q: queue.Queue, value: object) -> bool:
        """Put unless asked to stop; False when stopped."""
        while not self.stop.is_set():
            try:
                q.put(value, timeout=POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def _decoder(self, items: Sequence[BatchInput], q: queue.Queue) -> None:
        try:
            for index, item in enumerate(items):
                if self.stop.is_set() or not self._put(q, (index, self.prepare(item))):
                    return
        finally:
            self._put(q, None)

    def _worker(self, inbox: queue.Queue, outbox: queue.Queue) -> None:
        while not self.stop.is_set():
            try:
                job = inbox.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            if job is None:  # the decoder is done: pass the news on to the next worker
                inbox.put(None)
                return
            index, d = job
            try:
                outbox.put((index, self.process(d)))
            except _Stopped:
                return
            except BaseException as e:  # a configuration problem (no model, dead grader): stop the batch
                outbox.put((index, e))
                return

    def run(self, items: Sequence[BatchInput]) -> Iterator[GradeResult]:
        """Yield one result per input, in input order, while the decoder reads ahead and `self.workers`
        threads transcribe and grade. Closing the generator (or Ctrl-C) stops them all."""
        inbox: queue.Queue = queue.Queue(maxsize=DECODE_AHEAD)
        outbox: queue.Queue = queue.Queue()
        threads = [threading.Thread(target=self._decoder, args=(items, inbox), name="batch-decode", daemon=True)]
        threads += [threading.Thread(target=self._worker, args=(inbox, outbox), name=f"batch-grade-{n}", daemon=True)
                    for n in range(self.workers)]
        for t in threads:
            t.start()
        waiting: dict[int, GradeResult] = {}
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
            deadline = time.monotonic() + STOP_WAIT_SECONDS
            for t in threads:
                t.join(timeout=max(0.0, deadline - time.monotonic()))
            self.still_running = [t.name for t in threads if t.is_alive()]  # a model still loading, say


# --- the in-process seam ------------------------------------------------------------------------


@dataclass
class GradeContext:
    """Everything grading needs besides the inputs, chosen once."""

    rubric: Rubric
    level: Level
    grader: Grader
    question: str | None = None
    stt_factory: Callable[[], object] | None = None  # needed for recordings only


def grade_input(path: str | Path, ctx: GradeContext) -> list[GradeResult]:
    """Grade one input path (a file, or a folder of them) in-process, with no cache. Never raises for a bad
    input: its error goes into its result."""
    items = discover([path])
    assign_questions(items, ctx.question)
    config = GraderConfig(str(getattr(ctx.grader, "name", type(ctx.grader).__name__)), ctx.rubric, ctx.level)
    engine = BatchGrader(ctx.grader, config, None, ctx.stt_factory)
    return [engine.grade_one(item) for item in items]


# --- Ctrl-C -------------------------------------------------------------------------------------


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


class BatchEngine(Protocol):
    """What `run_batch` drives: one result per input, in input order. `BatchGrader` runs threads here,
    `ray_engine.RayEngine` an actor pool on a Ray cluster. (Beside `run_batch`, not in protocols.py: its
    types are the batch package's own, and protocols.py importing them would close a cycle.)"""

    still_running: list[str]  # threads still busy when `run` ended (the command then leaves without waiting)

    def run(self, items: Sequence[BatchInput]) -> Iterator[GradeResult]:
        """Yield each input's result in input order; closing the iterator stops the work."""
        ...


def run_batch(items: list[BatchInput], engine: BatchEngine, out: OutputFolder | None,
              emit: Callable[[GradeResult], None], progress: Progress | None) -> tuple[int, int, bool]:
    """Grade everything, streaming each result to `out`, `emit` and `progress`; returns (graded, failed,
    interrupted)."""
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
