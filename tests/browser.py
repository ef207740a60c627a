"""Real headless Chromium for the HTML report tests: the DOM after scripts ran, console messages, screenshots.

Also a tiny PNG decoder (zlib + the five row filters) so a screenshot can be checked for content without
adding an imaging library.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
    "--disable-extensions", "--mute-audio",
)
CONSOLE_RE = re.compile(r":CONSOLE[:(]\d*\)?\]? ?\"(?P<msg>.*)\", source: (?P<src>.*)$")
TIMEOUT = 90


def chromium() -> str | None:
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Loaded:
    dom: str
    console: list[str]  # every console message (errors, warnings, CSP violations, logs)
    stderr: str


def _run(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    exe = chromium()
    assert exe, "chromium is not installed (scripts/bootstrap.sh test installs it)"
    profile.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [exe, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
        capture_output=True, text=True, timeout=TIMEOUT,
    )


def load(page: Path, profile: Path) -> Loaded:
    """Open the page, let its scripts run, return the serialized DOM and every console message."""
    proc = _run(page, profile, "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [m.group("msg") for line in proc.stderr.splitlines() if (m := CONSOLE_RE.search(line))]
    return Loaded(proc.stdout, console, proc.stderr)


def screenshot(page: Path, profile: Path, out: Path, size: tuple[int, int] = (1000, 1400)) -> np.ndarray:
    """Render the page to a PNG and return it decoded as an (h, w, channels) uint8 array."""
    proc = _run(page, profile, f"--screenshot={out}", f"--window-size={size[0]},{size[1]}")
    assert out.is_file(), proc.stderr[-2000:]
    return decode_png(out.read_bytes())


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png(data: bytes) -> np.ndarray:
    """Decode an 8-bit, non-interlaced RGB/RGBA/grey PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, bytearray()
    width = height = channels = 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0, "only 8-bit non-interlaced PNGs"
            channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    prev = np.zeros(stride, dtype=np.uint8)
    rows = np.empty((height, stride), dtype=np.uint8)
    for y in range(height):
        start = y * (stride + 1)
        ftype = raw[start]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=start + 1).copy()
        if ftype == 1:  # Sub: cumulative along each channel
            line = (np.cumsum(line.reshape(width, channels).astype(np.uint32), axis=0) % 256).astype(np.uint8)
            line = line.reshape(-1)
        elif ftype == 2:  # Up
            line = (line.astype(np.uint16) + prev).astype(np.uint8)
        elif ftype in (3, 4):  # Avg, Paeth: sequential along the row
            out = bytearray(line.tobytes())
            up = prev.tobytes()
            for i in range(stride):
                a = out[i - channels] if i >= channels else 0
                b = up[i]
                if ftype == 3:
                    out[i] = (out[i] + ((a + b) >> 1)) & 0xFF
                else:
                    c = up[i - channels] if i >= channels else 0
                    out[i] = (out[i] + _paeth(a, b, c)) & 0xFF
            line = np.frombuffer(bytes(out), dtype=np.uint8)
        rows[y] = line
        prev = line
    return rows.reshape(height, width, channels)
