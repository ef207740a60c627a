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


# --- driving a page: the DevTools protocol over a pipe (no extra library, no port) ------------------------


def _above_nine(fd: int) -> int:
    import fcntl
    import os

    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class DevToolsPage:
    """One page in a real headless Chromium driven over `--remote-debugging-pipe`: evaluate script, click with
    real mouse events (a user gesture, as a person's click is), and record every network request and console
    message. `offline=True` turns the network off for the page before it loads."""

    def __init__(self, profile: Path, offline: bool = True):
        import os
        import threading

        exe = chromium()
        assert exe, "chromium is not installed (scripts/bootstrap.sh test installs it)"
        profile.mkdir(parents=True, exist_ok=True)
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # the child's ends above 9, so `3<&` and `4>&` below cannot clobber one another (bash reads any fd number)
        to_chrome_r, from_chrome_w = _above_nine(to_chrome_r), _above_nine(from_chrome_w)
        # Chromium reads commands on fd 3 and writes replies on fd 4
        self.proc = subprocess.Popen(
            ["bash", "-c", f'exec "$@" 3<&{to_chrome_r} 4>&{from_chrome_w}', "chromium", exe, *FLAGS,
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            pass_fds=(to_chrome_r, from_chrome_w), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._next = 0
        self._replies: dict[int, dict] = {}
        self.events: list[dict] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable")
        if offline:
            self.call("Network.emulateNetworkConditions", offline=True, latency=0, downloadThroughput=-1,
                      uploadThroughput=-1)

    def _read(self) -> None:
        import json
        import os

        buf = b""
        while True:
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                with self._cond:
                    if "id" in msg:
                        self._replies[msg["id"]] = msg
                    else:
                        self.events.append(msg)
                    self._cond.notify_all()

    def send(self, method: str, session: str | None = None, **params: object) -> dict:
        import json
        import os

        self._next += 1
        msg: dict = {"id": self._next, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        with self._cond:
            assert self._cond.wait_for(lambda: self._next in self._replies, timeout=TIMEOUT), f"{method}: no reply"
            reply = self._replies.pop(self._next)
        assert "error" not in reply, f"{method}: {reply['error']}"
        return reply.get("result", {})

    def call(self, method: str, **params: object) -> dict:
        """A command to the page's session."""
        return self.send(method, self.session, **params)

    def open(self, page: Path) -> None:
        with self._cond:
            seen = len(self.events)
        self.call("Page.navigate", url=page.resolve().as_uri())
        with self._cond:
            assert self._cond.wait_for(lambda: any(e["method"] == "Page.loadEventFired" for e in self.events[seen:]),
                                       timeout=TIMEOUT), "the page never finished loading"

    def evaluate(self, expression: str) -> object:
        """The value of a script expression in the page (promises are awaited)."""
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """Scroll the element into view and click the middle of its first line box with real mouse events."""
        import json

        x, y = self.evaluate(f"(() => {{ const el = document.querySelector({json.dumps(selector)}); "
                             "el.scrollIntoView({block: 'center'}); const r = el.getClientRects()[0]; "
                             "return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def requests(self) -> list[str]:
        """Every URL the page asked the network for."""
        with self._cond:
            return [e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"]

    def console(self) -> list[str]:
        """Console calls, uncaught exceptions and log entries (CSP violations among them)."""
        out = []
        with self._cond:
            for e in self.events:
                if e["method"] == "Runtime.consoleAPICalled":
                    out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in e["params"]["args"]))
                elif e["method"] == "Runtime.exceptionThrown":
                    out.append(e["params"]["exceptionDetails"].get("text", "exception"))
                elif e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] in ("error", "warning"):
                    out.append(e["params"]["entry"]["text"])
        return out

    def close(self) -> None:
        import contextlib
        import os

        with contextlib.suppress(Exception):
            self.send("Browser.close")
        with contextlib.suppress(OSError):
            os.close(self._to_chrome)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> DevToolsPage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
