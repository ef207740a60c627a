"""The result cache: one JSON file per (input content, grader configuration), so a re-run after Ctrl-C, a crash,
or adding files grades only what is missing. Lives in `$XDG_CACHE_HOME/interviewer/grades` or
`$INTERVIEWER_CACHE`."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..durable import WriteError, write_atomic
from ..models import Level, Rubric
from ..sessions.store import LOG_NAME
from .files import read_chunks

CACHE_ENV = "INTERVIEWER_CACHE"
CACHE_SCHEMA = 1  # bump when the cached record's shape changes
# the source that shapes a grade, relative to the package: a change to any of it never serves a stale grade
GRADING_CODE = ("grading", "llm", "graders.py", "batch/transcripts.py", "media.py", "models.py", "voice/stt.py")


def digest(chunks: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()


def content_hash(path: Path) -> str:
    """sha256 of a file, or of a session folder's log (regular files only: see `files.open_regular`)."""
    return digest(read_chunks(path / LOG_NAME if path.is_dir() else path))


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

    def key(self, kind: str, content: str, question: str | None) -> str:
        """The cache key of one input: its kind, its content's hash, this configuration and its question."""
        return hashlib.sha256(f"{kind}|{content}|{self.fingerprint(question)}".encode()).hexdigest()


@functools.cache
def code_fingerprint() -> str:
    """A hash of the source that shapes a grade, so a changed detector or parser never serves a stale one."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
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
    """One JSON file per key; written atomically."""

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
        except WriteError as e:
            print(f"interviewer: cannot write the result cache: {e}", file=sys.stderr)
