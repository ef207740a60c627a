"""Speech or silence, frame by frame, with the Silero VAD model that faster-whisper bundles.

`SileroVAD` keeps the model's recurrent state between 32 ms frames, so a live stream is scored exactly like
faster-whisper scores a whole file. `TurnSegmenter` is the pure state machine on top: it cuts finished speech
into segments for the streaming transcriber and decides when the candidate's turn has ended.

End of turn defaults to 2.5 s of silence. Within-answer pauses of people recalling details are mostly under
a second and rarely pass two; a 2.5 s wait lets them think without being cut off, while a candidate who has
finished is not left waiting long (and Enter ends the turn at once). `--silence` tunes it.

An answer given a talk-time limit (the persona's opening limit) is cut off as a person would: at the first
short pause once the limit has passed, or when a grace period past it runs out (`cut_at_limit`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..protocols import SAMPLE_RATE

FRAME = 512  # samples per VAD frame at 16 kHz (32 ms), fixed by the model
CONTEXT = 64  # samples of the previous frame the model sees before each frame
DEFAULT_END_SILENCE_S = 2.5
DEFAULT_WARN_AT_S = (180.0, 300.0)  # spoken time warnings: 3 and 5 minutes into one answer
DEFAULT_CAP_S = 360.0  # an answer is stopped at 6 minutes
CUT_PAUSE_S = 0.25  # past its limit, an answer is cut off at the first pause this long...
CUT_GRACE_S = 8.0  # ...or this long after the limit, whichever comes first
MIN_PAUSE_S = 0.3  # silences at least this long are recorded, to correct word timestamps around them


class SileroVAD:
    """Streaming speech probability per 512-sample frame."""

    def __init__(self):
        from faster_whisper.vad import get_vad_model

        self._session = get_vad_model().session  # shared ONNX session; the state lives here
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)

    def __call__(self, frame: np.ndarray) -> float:
        frame = np.asarray(frame, dtype=np.float32).reshape(-1)
        if len(frame) != FRAME:
            raise ValueError(f"VAD frames are {FRAME} samples, got {len(frame)}")
        x = np.concatenate([self._context, frame])[None, :]
        prob, self._h, self._c = self._session.run(None, {"input": x, "h": self._h, "c": self._c})
        self._context = frame[-CONTEXT:]
        return float(np.asarray(prob).reshape(-1)[0])


@dataclass
class TurnConfig:
    """When speech starts and stops, when to hand a segment to the transcriber, when the turn is over."""

    end_silence_s: float = DEFAULT_END_SILENCE_S  # silence that ends the turn
    push_to_finish: bool = False  # only a key press (or the cap) ends the turn
    threshold: float = 0.5  # speech probability that starts/continues speech
    neg_threshold: float = 0.35  # below this it is silence; between the two, the previous state holds
    # Each Whisper call costs a fixed ~30 s encoder pass plus a little per second of audio, so segments are
    # long-ish (fewer calls) and closed early in a pause (the last one is done before the turn ends).
    segment_gap_s: float = 0.4  # a pause this long closes a segment for transcription...
    min_segment_s: float = 6.0  # ...once it holds this much audio (short ones wait for more)
    max_segment_s: float = 20.0  # past this, cut at the next non-speech frame
    hard_segment_s: float = 28.0  # never more than this (Whisper's window is 30 s)
    pad_s: float = 0.2  # audio kept before speech onset and after speech end
    min_speech_s: float = 0.25  # segments with less speech than this (clicks, breaths) are dropped
    warn_at_s: tuple[float, ...] = DEFAULT_WARN_AT_S  # spoken time warnings
    cap_s: float = DEFAULT_CAP_S  # hard cap on one answer
    cut_pause_s: float = CUT_PAUSE_S  # an answer past its limit ends at a pause this long...
    cut_grace_s: float = CUT_GRACE_S  # ...or this many seconds after the limit


@dataclass(frozen=True)
class Segment:
    start: int  # sample offsets in the turn's audio
    end: int
    speech: int  # samples judged speech inside


@dataclass(frozen=True)
class EndOfTurn:
    at: int  # sample where the end was decided
    last_speech: int  # end of the last speech frame


def cut_at_limit(talked_s: float, pause_s: float, limit_s: float | None, pause_needed_s: float = CUT_PAUSE_S,
                 grace_s: float = CUT_GRACE_S) -> bool:
    """Whether to cut the candidate off now: `talked_s` since their first word, `pause_s` of silence since
    their last one. Never before the limit (nor without one); past it, at the first pause of
    `pause_needed_s` (a natural place to interrupt), and at the latest `grace_s` after the limit."""
    if limit_s is None or talked_s < limit_s:
        return False
    return pause_s >= pause_needed_s or talked_s >= limit_s + grace_s


def samples(seconds: float) -> int:
    return int(round(seconds * SAMPLE_RATE))


class TurnSegmenter:
    """Pure: fed one speech probability per frame, returns the segments and end-of-turn it decides."""

    def __init__(self, config: TurnConfig):
        self.cfg = config
        self.in_speech = False
        self.seg_start: int | None = None
        self.seg_speech = 0
        self.first_speech: int | None = None
        self.last_speech: int | None = None  # end sample of the last speech frame
        self.pos = 0  # samples consumed
        self.ended = False
        self.silences: list[tuple[int, int]] = []  # pauses between speech, (start, end) samples

    @property
    def heard_speech(self) -> bool:
        return self.last_speech is not None

    def silence(self) -> int:
        """Samples of silence since the last speech frame (0 before any speech)."""
        return 0 if self.last_speech is None else self.pos - self.last_speech

    def feed(self, prob: float) -> list[Segment | EndOfTurn]:
        cfg = self.cfg
        start, self.pos = self.pos, self.pos + FRAME
        if prob >= cfg.threshold or (self.in_speech and prob >= cfg.neg_threshold):
            if self.last_speech is not None and start - self.last_speech >= samples(MIN_PAUSE_S):
                self.silences.append((self.last_speech, start))
            self.in_speech = True
            if self.seg_start is None:
                self.seg_start = max(0, start - samples(cfg.pad_s))
                self.seg_speech = 0
            if self.first_speech is None:
                self.first_speech = start
            self.seg_speech += FRAME
            self.last_speech = self.pos
        else:
            self.in_speech = False
        events: list[Segment | EndOfTurn] = []
        if self.seg_start is not None:
            length = self.pos - self.seg_start
            if not self.in_speech and self.silence() >= samples(cfg.segment_gap_s):
                if self.last_speech - self.seg_start >= samples(cfg.min_segment_s):  # type: ignore[operator]
                    events += self._close(min(self.pos, self.last_speech + samples(cfg.pad_s)))  # type: ignore[operator]
            elif (not self.in_speech and length >= samples(cfg.max_segment_s)) or length >= samples(
                cfg.hard_segment_s
            ):
                events += self._close(self.pos)
                if self.in_speech:  # cut inside speech: the next segment starts right here
                    self.seg_start, self.seg_speech = self.pos, 0
        if not cfg.push_to_finish and self.heard_speech and self.silence() >= samples(cfg.end_silence_s):
            events += self.finish()
        return events

    def finish(self) -> list[Segment | EndOfTurn]:
        """End the turn now (silence, key press, cap or end of input): flush the open segment."""
        if self.ended:
            return []
        events: list[Segment | EndOfTurn] = []
        if self.seg_start is not None:
            end = self.pos if self.last_speech is None else min(self.pos, self.last_speech + samples(self.cfg.pad_s))
            events += self._close(max(end, self.seg_start))
        self.ended = True
        events.append(EndOfTurn(at=self.pos, last_speech=self.last_speech or 0))
        return events

    def _close(self, end: int) -> list[Segment | EndOfTurn]:
        seg = Segment(self.seg_start or 0, end, self.seg_speech)
        self.seg_start, self.seg_speech = None, 0
        return [seg] if seg.speech >= samples(self.cfg.min_speech_s) else []
