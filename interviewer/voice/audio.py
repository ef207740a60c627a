"""Audio in and out: sounddevice (PortAudio) for the laptop, arrays for files, a null output.

Sources hand out 16 kHz mono float32 chunks; time inside the listening loop is counted in samples, never on
the wall clock, so a file fed faster than real time behaves exactly like a microphone.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import InterviewerError
from ..protocols import SAMPLE_RATE, Speech

CHUNK = 512  # samples per chunk: one Silero VAD frame (32 ms)
PORTAUDIO_HINT = "install it with: sudo apt-get install libportaudio2"


class SoundUnavailable(InterviewerError):
    """No usable microphone, speaker or audio library; the message says what is missing and how to fix it."""


def sounddevice_module():
    """Import sounddevice, turning a missing PortAudio library into a clear message."""
    try:
        import sounddevice as sd
    except OSError as e:  # raised at import when libportaudio cannot be loaded
        raise SoundUnavailable(f"the PortAudio library is missing ({e}); {PORTAUDIO_HINT}") from None
    except ImportError as e:
        raise SoundUnavailable(f"the sounddevice package is missing ({e}): pip install sounddevice") from None
    return sd


@dataclass
class Devices:
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    default_input: str | None = None
    default_output: str | None = None
    portaudio: str = ""


def list_devices() -> Devices:
    sd = sounddevice_module()
    found = Devices(portaudio=sd.get_portaudio_version()[1])
    try:
        devices = sd.query_devices()
    except Exception as e:  # PortAudioError when the host API fails
        raise SoundUnavailable(f"cannot list audio devices: {e}") from None
    for d in devices:
        label = f"{d['index']}: {d['name']}"
        if d["max_input_channels"] > 0:
            found.inputs.append(label)
        if d["max_output_channels"] > 0:
            found.outputs.append(label)
    for kind in ("input", "output"):
        try:
            d = sd.query_devices(kind=kind)
            setattr(found, f"default_{kind}", f"{d['index']}: {d['name']}")
        except Exception:  # no default device of that kind
            pass
    return found


def check_devices(need_input: bool = True, need_output: bool = True) -> Devices:
    """Raise SoundUnavailable naming what is missing; return the devices found otherwise."""
    devs = list_devices()
    missing = []
    if need_input and not devs.default_input:
        missing.append("no microphone (input device)")
    if need_output and not devs.default_output:
        missing.append("no speaker (output device)")
    if missing:
        raise SoundUnavailable(
            f"{' and '.join(missing)} found; connect one (or check `arecord -l` / `aplay -l` and the "
            f"ALSA/PulseAudio set-up), or use --text or --answers DIR"
        )
    return devs


# --- output ---------------------------------------------------------------------------


class SoundDeviceOut:
    """Plays one Speech at a time through the default output; `stop()` cuts it (barge-in)."""

    def __init__(self, device: int | str | None = None):
        self.sd = sounddevice_module()
        self.device = device
        self._stream = None
        self._done = threading.Event()
        self._done.set()
        self._lock = threading.Lock()
        self.started_at: float | None = None  # monotonic time of the last play()

    def play(self, speech: Speech) -> None:
        self.stop()
        samples = np.asarray(speech.samples, dtype=np.float32).reshape(-1)
        if samples.size == 0:
            return
        pos = 0

        def callback(outdata, frames, t, status):  # runs on PortAudio's thread
            nonlocal pos
            n = min(frames, len(samples) - pos)
            outdata[:n, 0] = samples[pos : pos + n]
            outdata[n:, 0] = 0
            pos += n
            if n < frames:
                raise self.sd.CallbackStop

        with self._lock:
            self._done.clear()
            try:
                stream = self.sd.OutputStream(
                    samplerate=speech.sample_rate, channels=1, dtype="float32", device=self.device,
                    callback=callback, finished_callback=self._done.set,
                )
            except Exception as e:
                self._done.set()
                raise SoundUnavailable(f"cannot open the speaker: {e}") from None
            self._stream = stream
            self.started_at = time.monotonic()
            stream.start()

    def playing(self) -> bool:
        return not self._done.is_set()

    def stop(self) -> None:
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort()
            stream.close()
        self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        ok = self._done.wait(timeout)
        if ok:
            with self._lock:
                stream, self._stream = self._stream, None
            if stream is not None:
                stream.close()
        return ok


class NullOut:
    """An output that plays nothing: for file-driven sessions, tests and benchmarks. Records what it got."""

    def __init__(self):
        self.played: list[Speech] = []
        self.started_at: float | None = None

    def play(self, speech: Speech) -> None:
        self.started_at = time.monotonic()
        self.played.append(speech)

    def playing(self) -> bool:
        return False

    def stop(self) -> None:
        pass

    def wait(self, timeout: float | None = None) -> bool:
        return True


# --- input ----------------------------------------------------------------------------


class Source:
    """Where the listening loop gets audio: `read()` returns a chunk, None when nothing came within the
    timeout, and raises EOFError when the source has ended. `overflows` counts blocks of audio the source
    lost (a microphone whose buffer overflowed); sources that cannot lose audio keep it at 0."""

    overflows: int = 0

    def read(self, timeout: float = 0.1) -> np.ndarray | None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        pass


class ArraySource(Source):
    """Samples from memory (an answer file). `speed` None: as fast as the loop reads; 1.0: real time."""

    def __init__(self, samples: np.ndarray, speed: float | None = None, chunk: int = CHUNK):
        self.samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        self.speed = speed
        self.chunk = chunk
        self.pos = 0
        self._t0: float | None = None
        self.fed_at: list[float] = []  # monotonic time each chunk was handed out (paced mode only)

    def read(self, timeout: float = 0.1) -> np.ndarray | None:
        if self.pos >= len(self.samples):
            raise EOFError
        if self.speed:
            now = time.monotonic()
            if self._t0 is None:
                self._t0 = now
            due = self._t0 + (self.pos + self.chunk) / SAMPLE_RATE / self.speed
            if due - now > timeout:
                time.sleep(timeout)
                return None
            if due > now:
                time.sleep(due - now)
        out = self.samples[self.pos : self.pos + self.chunk]
        self.pos += self.chunk
        return out


class CallbackSource(Source):
    """Audio handed over by a capture callback (on PortAudio's thread) through a queue.

    `callback` has sounddevice's input-callback signature; a status with `input_overflow` set means the
    driver dropped audio before this block, and is counted in `overflows`.
    """

    def __init__(self):
        self.queue: queue.Queue[np.ndarray] = queue.Queue()
        self.overflows = 0

    def callback(self, indata, frames, t, status) -> None:  # runs on PortAudio's thread
        if status.input_overflow:
            self.overflows += 1
        self.queue.put(indata[:, 0].copy())

    def read(self, timeout: float = 0.1) -> np.ndarray | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self) -> None:
        """Drop what was captured so far (e.g. while the interviewer was speaking with barge-in off)."""
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                return


class MicSource(CallbackSource):
    """The default microphone through a sounddevice input stream (16 kHz mono float32) feeding a queue."""

    def __init__(self, device: int | str | None = None):
        super().__init__()
        sd = sounddevice_module()
        self._closed = False
        try:
            self.stream = sd.InputStream(
                samplerate=SAMPLE_RATE, channels=1, dtype="float32", blocksize=CHUNK, device=device,
                callback=self.callback,
            )
            self.stream.start()
        except Exception as e:
            raise SoundUnavailable(f"cannot open the microphone: {e}") from None

    def close(self) -> None:
        """Stop and release the input stream; safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        self.stream.stop()
        self.stream.close()
