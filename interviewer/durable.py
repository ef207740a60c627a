"""Durable file writes: what a power cut must not undo.

Order for every file the product keeps: write a temp file in the same folder, fsync it, rename it into
place, fsync the folder (so the rename itself survives), and only then name the file anywhere else (a log
line). A failure is one `WriteError` naming the path and the reason; the temp file is removed and the old
file, if any, is left as it was.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import wave
from pathlib import Path

import numpy as np

from .errors import InterviewerError


class WriteError(InterviewerError):
    """A file the user asked for (or a session file) could not be written."""


def fsync_dir(folder: Path) -> None:
    """Make a create or rename inside `folder` durable (a no-op where folders can't be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a folder; the rename is still atomic
    finally:
        os.close(fd)


def _reason(e: OSError) -> str:
    return e.strerror or str(e)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `path` so readers see the old or the new content, never half, and a power cut keeps it."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")  # unique per writer
    try:
        with open(tmp, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise WriteError(f"{path}: cannot write: {_reason(e)}") from e
    fsync_dir(path.parent)


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """Float32 mono samples as a 16-bit PCM WAV file's bytes."""
    pcm = (np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0) * 32767).astype("<i2").tobytes()
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(rate))
        w.writeframes(pcm)
    return buf.getvalue()


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """Save float32 mono samples as a 16-bit PCM WAV, durably (see `write_atomic`)."""
    write_atomic(path, wav_bytes(samples, rate))
