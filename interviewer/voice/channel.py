"""Voice channels: the interview spoken through a speaker and heard through a microphone, or driven by files.

`VoiceChannel` implements `interviewer.protocols.Channel`:
- `say()` renders each piece of the question as the phraser yields it (with the LLM persona the first
  sentence plays while the rest is generated), a clause at a time with the next ones rendering while one
  plays (voice/speaking.py), plays it, watches the microphone for barge-in, and saves the
  question audio in the session folder; right after the channel cut an answer off at its limit, the first
  piece (the cut-in, said over the candidate) plays without barge-in and what the microphone heard meanwhile
  is dropped;
- `listen()` runs the listening loop (VAD, streaming transcription, end of turn, the cut at a limit) and
  saves the answer audio;
  in a terminal a live line (rich) shows what the candidate has said so far while they talk.
`FileChannel` runs the same loop on audio files, one per turn, with a null output: no microphone needed.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.live import Live
from rich.text import Text

from ..durable import write_wav
from ..errors import InputFileError
from ..media import AUDIO_EXTENSIONS
from ..media import decode as load_audio
from ..protocols import SAMPLE_RATE, TTS, Answer, AudioOut, Said
from ..sessions.store import CLOSING_AUDIO, GREETING_AUDIO
from .audio import ArraySource, MicSource, NullOut, Source
from .loop import Heard, Listener
from .speaking import RenderAhead
from .vad import FRAME, SileroVAD

BARGE_THRESHOLD = 0.8  # stricter than listening: the speaker's own voice may leak into the microphone
BARGE_MIN_S = 0.3  # this much continuous speech during playback stops it
ECHO_REF_S = 0.5  # the start of each question measures how loud its echo is at the microphone
ECHO_FACTOR = 2.0  # barge-in speech must be this much louder than that echo
MIN_RMS = 0.01  # and never quieter than this (about -40 dBFS)
HELD_S = 1.0  # audio kept from before a barge-in, so its first words are not lost
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")

Echo = Callable[[str], None]


def warning_text(seconds: float, cap: bool) -> str:
    if cap:
        return "Let's stop there so we have time for the next question."
    minutes = int(round(seconds / 60))
    if minutes < 1:
        return f"About {int(round(seconds))} seconds so far. Start bringing it to a close."
    said = NUMBER_WORDS[minutes] if minutes < len(NUMBER_WORDS) else str(minutes)
    unit = "minute" if minutes == 1 else "minutes"
    return f"About {said} {unit} so far. Start bringing it to a close."


@dataclass
class TurnTiming:
    """When things happened around one answer (time.monotonic), for the latency benchmark."""

    turn: int
    last_speech_wall: float | None
    end_decided_wall: float | None
    transcribed_wall: float | None
    pending_at_end: int
    segments: int
    calls: int = 0
    first_audio_wall: float | None = None  # first sample of the next thing the interviewer said


@dataclass
class BargeDetector:
    """Continuous confident speech during playback, louder than the echo of the interviewer's own voice.

    Without echo cancellation the microphone also hears the speaker, and Silero rightly calls that speech.
    The first `ECHO_REF_S` of each question set the echo level (the candidate is listening then); a
    barge-in needs `BARGE_MIN_S` of speech at `ECHO_FACTOR` times that level or more. Headphones: no echo,
    so the floor `MIN_RMS` applies. `--no-barge-in` turns it off.
    """

    vad: SileroVAD
    frames_needed: int = max(1, int(BARGE_MIN_S * SAMPLE_RATE / FRAME))
    run: int = 0
    _rest: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    _ref: list[float] = field(default_factory=list)

    def feed(self, chunk: np.ndarray) -> bool:
        data = np.concatenate([self._rest, chunk])
        n = len(data) // FRAME * FRAME
        self._rest = data[n:]
        ref_frames = int(ECHO_REF_S * SAMPLE_RATE / FRAME)
        for i in range(0, n, FRAME):
            frame = data[i : i + FRAME]
            rms = float(np.sqrt(np.mean(frame**2)))
            prob = self.vad(frame)
            if len(self._ref) < ref_frames:
                self._ref.append(rms)
                continue
            floor = max(MIN_RMS, ECHO_FACTOR * float(np.median(self._ref)))
            self.run = self.run + 1 if prob >= BARGE_THRESHOLD and rms >= floor else 0
            if self.run >= self.frames_needed:
                return True
        return False


class LiveTranscript:
    """One transient terminal line showing the answer transcribed so far, while the candidate talks.

    The final "You: ..." line is printed by the channel as before, after the live line is gone; without a
    console (output is not a terminal, or the caller echoes elsewhere) nothing is shown.
    """

    PREFIX = "You (so far): "

    def __init__(self, console: Console | None):
        self.console = console
        self._live: Live | None = None

    def start(self) -> None:
        if self.console is not None:
            self._live = Live(self._line("(listening)"), console=self.console, transient=True,
                              auto_refresh=False)
            self._live.start(refresh=True)

    def update(self, text: str) -> None:
        if self._live is not None:
            self._live.update(self._line(text), refresh=True)

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _line(self, text: str) -> Text:
        room = max(10, self.console.width - len(self.PREFIX) - 1) if self.console is not None else len(text)
        shown = text if len(text) <= room else "..." + text[-(room - 3):]  # the latest words fit on the line
        return Text(self.PREFIX + shown, style="dim", no_wrap=True, overflow="ellipsis")


def terminal_console() -> Console | None:
    """A rich console when standard output is a terminal, else None (plain output)."""
    return Console() if sys.stdout is not None and sys.stdout.isatty() else None


class VoiceChannel:
    """Speaker + microphone (or any `Source`)."""

    mode = "voice"

    def __init__(self, tts: TTS, listener: Listener, out: AudioOut, source: Source | None = None,
                 barge_in: bool = True, echo: Echo | None = None, speaker: str = "Interviewer",
                 live: Console | None = None):
        self.tts = tts
        self.listener = listener
        self.listener.on_warning = self._warn
        self.out = out
        self.source = source
        self.barge_in = barge_in and source is not None
        # the live line goes where the echo goes: the terminal by default, nowhere when the caller echoes
        self.live = LiveTranscript(live if live is not None else (terminal_console() if echo is None else None))
        self.echo = echo or (lambda line: print(line, flush=True))
        self.speaker = speaker
        self.folder: Path | None = None
        self.timings: list[TurnTiming] = []
        self._held: list[np.ndarray] = []
        self._barged = False
        self._asked = False  # a question (not just the greeting) has been said
        self._barge_vad = SileroVAD() if self.barge_in else None
        self._overflows_at_say = 0  # the source's overflow count when the last question started
        self._cut_off = False  # the last answer was cut off: the next say starts by talking over the candidate
        self.stt_model: str | None = getattr(listener.stt, "name", None)  # recorded in the session meta

    # --- Channel ---------------------------------------------------------------------

    def attach(self, folder: Path) -> None:
        self.folder = folder

    def say(self, pieces: Iterator[str], turn_index: int | None) -> Said:
        texts: list[str] = []
        audio: list[np.ndarray] = []
        rate = None
        first = True
        self._barged = False
        self._held = []
        self._overflows_at_say = self.source.overflows if self.source is not None else 0
        if self._barge_vad is not None:
            self._barge_vad.reset()
        detector = BargeDetector(self._barge_vad) if self._barge_vad is not None else None
        over_candidate, self._cut_off = self._cut_off, False  # a cut-in is not stopped by the talk it cuts
        ahead = RenderAhead(self.tts)  # later clauses render while the first ones play
        try:
            for piece in pieces:
                piece = " ".join(piece.split())
                if not piece:
                    continue
                if over_candidate and texts:  # the cut-in is out: let it end, drop what the mic heard, watch again
                    self._wait_playback(None)
                    self._discard_echo()
                    over_candidate = False
                barged = False
                for i, (_text, render) in enumerate(ahead.submit(piece, first=first)):
                    speech = render.result()
                    if self._wait_playback(None if over_candidate else detector):
                        barged = True
                        break
                    self.out.play(speech)
                    if first and self.timings and self.timings[-1].first_audio_wall is None:
                        self.timings[-1].first_audio_wall = time.monotonic()
                    first = False
                    if i == 0:  # a piece counts as said once it starts sounding, as before (barge-in or not)
                        self.echo(f"{self.speaker}: {piece}")
                        texts.append(piece)
                    audio.append(np.asarray(speech.samples, dtype=np.float32))
                    rate = speech.sample_rate
                if barged:
                    break
        finally:
            ahead.close()
        if not self._wait_playback(None if over_candidate else detector):
            self._discard_echo()
        name = self._audio_name(turn_index)
        if audio and self.folder is not None and rate:
            write_wav(self.folder / name, np.concatenate(audio), rate)
        self._asked = self._asked or turn_index is not None
        return Said(text=" ".join(texts), audio_file=name if audio and self.folder is not None else None)

    def listen(self, turn_index: int, limit_s: float | None = None) -> Answer:
        source = self._source_for(turn_index)
        if source is None:
            return Answer(quit=True)
        prefix = np.concatenate(self._held) if self._barged and self._held else None
        # audio lost while the answer was recorded; after a barge-in the answer began during the question
        overflows_before = self._overflows_at_say if self._barged else source.overflows
        self._held, self._barged = [], False
        self.listener.on_partial = self.live.update
        self.live.start()
        try:
            heard = self.listener.listen(source, prefix, limit_s)
        finally:
            self.live.stop()
        dropped = source.overflows - overflows_before
        name = f"turn-{turn_index:02d}-answer.wav"
        if self.folder is not None:
            write_wav(self.folder / name, heard.audio, SAMPLE_RATE)
        self._record(turn_index, heard)
        self._cut_off = heard.reason == "timebox"  # the next say starts with the cut-in, over the candidate
        self.echo(f"You: {heard.text}" if heard.text else "(no answer heard)")
        return Answer(
            text=heard.text,
            skipped=not heard.text.strip(),
            words=heard.words or None,
            seconds=heard.talk_seconds,
            audio_file=name if self.folder is not None else None,
            audio_dropped=dropped,
            cut_off=self._cut_off,
        )

    def close(self) -> None:
        """Stop playback and release the microphone (idempotent)."""
        self.live.stop()
        self.out.stop()
        if self.source is not None:
            self.source.close()

    # --- internals -------------------------------------------------------------------

    def _source_for(self, turn_index: int) -> Source | None:
        return self.source

    def _audio_name(self, turn_index: int | None) -> str:
        if turn_index is not None:
            return f"turn-{turn_index:02d}-question.wav"
        return CLOSING_AUDIO if self._asked else GREETING_AUDIO

    def _wait_playback(self, detector: BargeDetector | None) -> bool:
        """Wait for the current playback; with barge-in, stop it when the candidate talks. True if barged."""
        if self._barged:
            return True
        if detector is None or self.source is None:
            self.out.wait()
            return False
        held_max = int(HELD_S * SAMPLE_RATE)
        while self.out.playing():
            try:
                chunk = self.source.read(0.02)
            except EOFError:
                self.out.wait()
                return False
            if chunk is None:
                continue
            self._held.append(chunk)
            while sum(len(c) for c in self._held) - len(self._held[0]) > held_max:
                self._held.pop(0)
            if detector.feed(chunk):
                self.out.stop()
                self._barged = True
                self.echo("(you started talking: listening)")
                return True
        return False

    def _discard_echo(self) -> None:
        """After playback, drop what the microphone heard meanwhile (the interviewer's own voice)."""
        self._held = []
        drain = getattr(self.source, "drain", None)
        if drain is not None:
            drain()

    def _warn(self, seconds: float, cap: bool) -> float:
        """Speak a time warning; returns how long to mute the microphone (its echo is not an answer)."""
        text = warning_text(seconds, cap)
        self.echo(f"{self.speaker}: {text}")
        speech = self.tts.synthesize(text)
        self.out.play(speech)
        return len(speech.samples) / speech.sample_rate if self.source is not None else 0.0

    def _record(self, turn_index: int, heard: Heard) -> None:
        self.timings.append(
            TurnTiming(
                turn=turn_index, last_speech_wall=heard.last_speech_wall, end_decided_wall=heard.end_decided_wall,
                transcribed_wall=heard.transcribed_wall, pending_at_end=heard.pending_at_end,
                segments=heard.segments, calls=heard.calls,
            )
        )


class FileChannel(VoiceChannel):
    """The whole voice loop on audio files (one per turn, in sorted order) instead of a microphone.

    Each file is fed through the same VAD, segmenter and streaming transcriber, followed by enough silence
    for the end of turn to fire. `speed` None feeds as fast as the loop runs; 1.0 paces it in real time.
    When the files run out the interview ends as if the candidate had quit.
    """

    mode = "files"

    def __init__(self, answers: Path, tts: TTS, listener: Listener, out: AudioOut | None = None,
                 speed: float | None = None, echo: Echo | None = None, speaker: str = "Interviewer",
                 live: Console | None = None):
        super().__init__(tts, listener, out or NullOut(), source=None, barge_in=False, echo=echo, speaker=speaker,
                         live=live)
        self.files = answer_files(answers)
        self.speed = speed

    def _source_for(self, turn_index: int) -> Source | None:
        if turn_index >= len(self.files):
            self.echo(f"(no answer file for turn {turn_index + 1}: ending the interview)")
            return None
        audio = load_audio(self.files[turn_index])
        tail = np.zeros(int((self.listener.cfg.end_silence_s + 1.0) * SAMPLE_RATE), dtype=np.float32)
        return ArraySource(np.concatenate([audio, tail]), speed=self.speed)


def answer_files(folder: Path) -> list[Path]:
    """The audio files of an --answers folder, sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: --answers must be a folder of audio files, one per turn")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)
    if not files:
        raise InputFileError(f"{folder}: no audio files ({', '.join(AUDIO_EXTENSIONS)}) in the --answers folder")
    return files


class FinishKey:
    """Enter on the terminal ends the current answer at once (and is the only way with push-to-finish)."""

    def __init__(self):
        self.event = threading.Event()
        if sys.stdin is not None and sys.stdin.isatty():
            threading.Thread(target=self._read, name="finish-key", daemon=True).start()

    def _read(self) -> None:
        for _line in sys.stdin:
            self.event.set()


def open_mic(device: int | str | None = None) -> MicSource:
    return MicSource(device)
