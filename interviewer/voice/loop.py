"""The listening loop: audio chunks -> VAD -> segments -> a transcription worker, until the turn ends.

Stages run as a small pipeline: the loop reads the source and scores frames (cheap, never blocks on Whisper);
each finished speech segment goes to a worker thread that transcribes it while the candidate keeps talking.
When the turn ends only the last segment (usually already closed during the end-of-turn silence) remains.
An answer given a talk-time limit ends at the first pause past it (`vad.cut_at_limit`), without a warning.
"""

from __future__ import annotations

import bisect
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..models import WordTiming
from ..protocols import SAMPLE_RATE, STT, Transcription
from .audio import Source
from .vad import FRAME, EndOfTurn, Segment, SileroVAD, TurnConfig, TurnSegmenter, cut_at_limit

# (seconds into the answer, is_cap) -> speak a warning; returns how many seconds of microphone input to mute
# while it plays (its echo must not be taken for the candidate's words)
Warn = Callable[[float, bool], float]
# the answer's text so far, each time another segment has been transcribed (called by the listening loop)
Partial = Callable[[str], None]


class GrowingBuffer:
    """A float32 array that grows by doubling, for the turn's audio."""

    def __init__(self, capacity: int = SAMPLE_RATE * 30):
        self._data = np.zeros(capacity, dtype=np.float32)
        self.size = 0

    def append(self, chunk: np.ndarray) -> None:
        need = self.size + len(chunk)
        if need > len(self._data):
            grown = np.zeros(max(need, 2 * len(self._data)), dtype=np.float32)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : need] = chunk
        self.size = need

    def view(self, start: int = 0, end: int | None = None) -> np.ndarray:
        end = self.size if end is None else min(end, self.size)
        return self._data[start:end]


MAX_BATCH_S = 28.0  # a backlog of segments is transcribed together, up to Whisper's 30 s window


class TranscriptionWorker:
    """Transcribes submitted segments in order on its own thread.

    When it falls behind (a slow CPU), queued segments that fit one Whisper window are transcribed in one
    call, the pauses between them filled with silence so timestamps stay exact: the encoder runs once per
    call whatever the audio length, so this is how it catches up.
    """

    def __init__(self, stt: STT):
        self.stt = stt
        self._jobs: queue.Queue[tuple[Segment, np.ndarray] | None] = queue.Queue()
        self.results: list[tuple[Segment, Transcription]] = []
        self.error: BaseException | None = None
        self.busy_s = 0.0
        self.submitted = 0
        self.done = 0
        self._thread = threading.Thread(target=self._run, name="transcriber", daemon=True)
        self._thread.start()

    def submit(self, seg: Segment, audio: np.ndarray) -> None:
        self.submitted += 1
        self._jobs.put((seg, audio.copy()))

    def pending(self) -> int:
        """Segments submitted and not yet transcribed."""
        return self.submitted - self.done

    def _run(self) -> None:
        carry: tuple[Segment, np.ndarray] | None = None
        stop = False
        while not stop:
            job = carry or self._jobs.get()
            carry = None
            if job is None:
                break
            batch = [job]
            while True:  # take what else is waiting, while it fits one window
                try:
                    nxt = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                if (nxt[0].end - batch[0][0].start) / SAMPLE_RATE > MAX_BATCH_S:
                    carry = nxt
                    break
                batch.append(nxt)
            if self.error is None:
                self._transcribe(batch)
            self.done += len(batch)

    def _transcribe(self, batch: list[tuple[Segment, np.ndarray]]) -> None:
        first = batch[0][0]
        seg = Segment(first.start, batch[-1][0].end, sum(s.speech for s, _ in batch))
        audio = np.zeros(seg.end - seg.start, dtype=np.float32)
        for s, a in batch:
            audio[s.start - seg.start : s.start - seg.start + len(a)] = a
        t0 = time.monotonic()
        try:
            self.results.append((seg, self.stt.transcribe(audio)))
        except BaseException as e:  # re-raised on the caller's thread in finish()
            self.error = e
        self.busy_s += time.monotonic() - t0

    def finish(self) -> list[tuple[Segment, Transcription]]:
        self._jobs.put(None)
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.results


@dataclass
class Heard:
    """One answer as the loop heard it."""

    audio: np.ndarray
    text: str
    words: list[WordTiming]
    talk_seconds: float | None  # first speech to last speech; None when nothing was said
    reason: str  # "silence", "key", "cap", "timebox" (cut off past its limit), "end_of_input"
    segments: int = 0  # speech segments cut by the VAD
    calls: int = 0  # transcription calls (a backlog is batched)
    # timings (time.monotonic) for the latency benchmark
    last_speech_wall: float | None = None
    end_decided_wall: float | None = None
    transcribed_wall: float | None = None
    pending_at_end: int = 0  # segments still queued or being transcribed when the turn ended
    warnings: list[float] = field(default_factory=list)


class Listener:
    """Runs one turn: reads a source until end of turn and returns what was said."""

    def __init__(self, stt: STT, config: TurnConfig | None = None, on_warning: Warn | None = None,
                 finish_key: threading.Event | None = None, on_partial: Partial | None = None):
        self.stt = stt
        self.cfg = config or TurnConfig()
        self.on_warning = on_warning
        self.finish_key = finish_key
        self.on_partial = on_partial
        self.vad = SileroVAD()

    def listen(self, source: Source, prefix: np.ndarray | None = None, limit_s: float | None = None) -> Heard:
        """One turn; with `limit_s`, talk (from the first word) past it is cut off at the next pause, and the
        time warnings from the limit on are not said (the cut-in replaces them)."""
        cfg = self.cfg
        self.vad.reset()
        seg = TurnSegmenter(cfg)
        worker = TranscriptionWorker(self.stt)
        buf = GrowingBuffer()
        warn_marks = sorted(m for m in cfg.warn_at_s if limit_s is None or m < limit_s)
        warned: list[float] = []
        cap = int(cfg.cap_s * SAMPLE_RATE)
        chunk_walls: list[tuple[int, float]] = []  # (end sample, wall time it arrived)
        last_speech_wall: float | None = None
        vad_pos = 0
        mute = 0  # samples of input still to silence (a spoken warning is playing)
        shown = 0  # transcription results passed to on_partial so far
        reason = ""
        end: EndOfTurn | None = None
        if self.finish_key is not None:
            self.finish_key.clear()
        if prefix is not None and len(prefix):
            buf.append(prefix)
            chunk_walls.append((buf.size, time.monotonic()))
        while end is None:
            try:
                chunk = source.read(0.05)
            except EOFError:
                chunk, reason = None, "end_of_input"
            if chunk is not None and len(chunk):
                if mute > 0:
                    chunk = chunk.copy()
                    chunk[:mute] = 0.0
                    mute = max(0, mute - len(chunk))
                buf.append(chunk)
                chunk_walls.append((buf.size, time.monotonic()))
            events: list[Segment | EndOfTurn] = []
            while vad_pos + FRAME <= buf.size:
                had = seg.last_speech
                events += seg.feed(self.vad(buf.view(vad_pos, vad_pos + FRAME)))
                vad_pos += FRAME
                if seg.last_speech != had:
                    last_speech_wall = _wall_at(chunk_walls, vad_pos)
                if any(isinstance(e, EndOfTurn) for e in events):
                    reason = "silence"
                    break
            while warn_marks and seg.pos >= warn_marks[0] * SAMPLE_RATE:
                mark = warn_marks.pop(0)
                warned.append(mark)
                if self.on_warning:
                    mute = int(self.on_warning(mark, False) * SAMPLE_RATE)
            if not any(isinstance(e, EndOfTurn) for e in events):
                if self.finish_key is not None and self.finish_key.is_set():
                    reason = "key"
                elif seg.first_speech is not None and cut_at_limit(
                    (seg.pos - seg.first_speech) / SAMPLE_RATE, seg.silence() / SAMPLE_RATE, limit_s,
                    cfg.cut_pause_s, cfg.cut_grace_s):
                    reason = "timebox"
                elif seg.pos >= cap:
                    reason = "cap"
                    if self.on_warning:
                        self.on_warning(cfg.cap_s, True)
                if reason:
                    events += seg.finish()
            for e in events:
                if isinstance(e, Segment):
                    worker.submit(e, buf.view(e.start, e.end))
                elif isinstance(e, EndOfTurn):
                    end = e
            if self.on_partial is not None and len(worker.results) > shown:
                done = list(worker.results)  # appended by the worker thread; a snapshot is enough
                shown = len(done)
                self.on_partial(_joined(done))
        end_wall = time.monotonic()
        pending = worker.pending()
        results = worker.finish()
        done_wall = time.monotonic()
        words: list[WordTiming] = []
        for s, tr in sorted(results, key=lambda r: r[0].start):
            offset = s.start / SAMPLE_RATE
            words += [
                w.model_copy(update={"start": round(w.start + offset, 3), "end": round(w.end + offset, 3)})
                for w in tr.words
            ]
        words = fit_to_pauses(words, seg.silences)
        talk = None
        if seg.first_speech is not None and seg.last_speech is not None:
            talk = round((seg.last_speech - seg.first_speech) / SAMPLE_RATE, 2)
        return Heard(
            audio=buf.view().copy(),
            text=_joined(results),
            words=words,
            talk_seconds=talk,
            reason=reason,
            segments=worker.submitted,
            calls=len(results),
            last_speech_wall=last_speech_wall,
            end_decided_wall=end_wall,
            transcribed_wall=done_wall,
            pending_at_end=pending,
            warnings=warned,
        )


def _joined(results: list[tuple[Segment, Transcription]]) -> str:
    """The segments' texts in the order they were spoken."""
    texts = (tr.text.strip() for _, tr in sorted(results, key=lambda r: r[0].start))
    return " ".join(t for t in texts if t)


def fit_to_pauses(words: list[WordTiming], silences: list[tuple[int, int]]) -> list[WordTiming]:
    """Keep word timestamps out of the pauses the VAD heard.

    Whisper stretches words into the silence that follows or precedes them, which hides long pauses from
    the delivery metrics. A word ending inside a pause ends where the pause starts; one starting inside
    a pause starts where it ends.
    """
    if not silences:
        return words
    gaps = [(a / SAMPLE_RATE, b / SAMPLE_RATE) for a, b in silences]
    out = []
    for w in words:
        start, end = w.start, w.end
        for a, b in gaps:
            if a < end < b:
                end = a
            if a < start < b:
                start = b
        if end < start:  # a word wholly inside a pause (a hallucination or a mistimed word): keep its length
            end = start + (w.end - w.start)
        out.append(w if (start, end) == (w.start, w.end) else
                   w.model_copy(update={"start": round(start, 3), "end": round(end, 3)}))
    return out


def _wall_at(chunk_walls: list[tuple[int, float]], sample: int) -> float:
    """Wall time at which the chunk holding `sample` (an end offset) arrived."""
    i = bisect.bisect_left(chunk_walls, sample, key=lambda cw: cw[0])
    return chunk_walls[min(i, len(chunk_walls) - 1)][1]
