"""Getting the interviewer's first word out fast: clause-sized renders ahead of playback, and a phrase cache.

- `speech_chunks` cuts what is said into sentences and clauses; the first chunk of a question is kept short
  (a clause of a few words), because the candidate hears nothing until it is rendered.
- `RenderAhead` renders the chunks in order on a worker thread while earlier ones play, so the rest of a
  question is ready before the first clause has finished.
- `PhraseCache` wraps a TTS: the phrases every interview says (the persona's greeting and closing, the time
  warnings) are rendered once per persona, voice and text, kept in memory and in a cache folder
  (`$XDG_CACHE_HOME/interviewer/speech`), and pre-rendered in the background when the channel opens.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..durable import WriteError, write_wav
from ..protocols import TTS, Speech

FIRST_CHUNK_WORDS = 6  # the first chunk of a question: at most this many words when a break allows
MIN_CHUNK_WORDS = 3  # never a chunk shorter than this (a lone word sounds clipped)
RUN_ON_S = 0.03  # silence kept where a chunk was cut inside a phrase (the words run on)
COMMA_PAUSE_S = 0.15  # and after a chunk that ends at a comma: a short breath
# words a spoken phrase can start with: a first chunk is cut before one of them when no comma comes early
PHRASE_STARTS = frozenset((
    "and", "but", "or", "so", "because", "when", "where", "what", "which", "who", "whom", "whose", "how",
    "why", "while", "after", "before", "if", "that", "than", "until", "since", "during", "from", "to",
    "for", "with", "about", "into", "through", "on", "in", "at", "by", "of",
))
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
CLAUSE_END = re.compile(r"(?<=[,;:])\s+(?=\S)")


def normalized(text: str) -> str:
    return " ".join(text.split())


def speech_chunks(text: str, first: bool = False) -> list[str]:
    """Sentences, each cut at its commas/semicolons into clauses of `MIN_CHUNK_WORDS` words or more; with
    `first`, the opening chunk is cut again to about `FIRST_CHUNK_WORDS` words at a phrase boundary.
    Joined with spaces, the chunks are the text (whitespace normalised)."""
    text = normalized(text)
    if not text:
        return []
    chunks: list[str] = []
    for sentence in SENTENCE_END.split(text):
        clauses: list[str] = []
        for clause in CLAUSE_END.split(sentence):
            if clauses and (len(clause.split()) < MIN_CHUNK_WORDS or len(clauses[-1].split()) < MIN_CHUNK_WORDS):
                clauses[-1] = f"{clauses[-1]} {clause}"
            else:
                clauses.append(clause)
        chunks += clauses
    if first:
        chunks[:1] = _cut_first(chunks[0])
    return chunks


def _cut_first(chunk: str) -> list[str]:
    words = chunk.split()
    if len(words) <= FIRST_CHUNK_WORDS:
        return [chunk]
    # the last phrase boundary that leaves a first part of MIN..FIRST words and a rest of MIN or more
    for i in range(FIRST_CHUNK_WORDS, MIN_CHUNK_WORDS - 1, -1):
        if len(words) - i >= MIN_CHUNK_WORDS and words[i].lower().strip("\"'(") in PHRASE_STARTS:
            return [" ".join(words[:i]), " ".join(words[i:])]
    return [chunk]


class RenderAhead:
    """Renders chunks in submission order on one worker thread; `close()` drops what was not started."""

    def __init__(self, tts: TTS):
        self.tts = tts
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts")

    def submit(self, piece: str, first: bool) -> list[tuple[str, Future[Speech]]]:
        """The chunks of one piece of speech, each with its render; a cached phrase is one chunk, at once."""
        cached = getattr(self.tts, "cached", None)
        speech = cached(piece) if cached is not None else None
        if speech is not None:
            done: Future[Speech] = Future()
            done.set_result(speech)
            return [(normalized(piece), done)]
        chunks = speech_chunks(piece, first)
        last = len(chunks) - 1
        return [(c, self._pool.submit(self._render, c, i > 0, i < last)) for i, c in enumerate(chunks)]

    def _render(self, text: str, joins_previous: bool, continues: bool) -> Speech:
        """A chunk, with the silence a render pads it with cut where it joins its neighbours: a cut inside a
        phrase runs on, a comma keeps a short breath."""
        speech = self.tts.synthesize(text)
        if not (joins_previous or continues) or not len(speech.samples):
            return speech
        tail = (COMMA_PAUSE_S if text[-1] in ",;:" else RUN_ON_S) if continues else None
        return Speech(trim_silence(speech.samples, speech.sample_rate, RUN_ON_S if joins_previous else None, tail),
                      speech.sample_rate)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def speech_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "interviewer" / "speech"


class PhraseCache:
    """A TTS whose fixed phrases are rendered once (memory, then the cache folder); other text passes through.

    The key is the voice's `cache_key()` (engine, model version, persona settings) and the text, so another
    persona, voice or wording is rendered anew. A cache folder that cannot be written only costs a render.
    """

    def __init__(self, tts: TTS, phrases: Iterable[str], folder: Path | None = None):
        self.tts = tts
        self.phrases = {normalized(p) for p in phrases if normalized(p)}
        self.folder = folder if folder is not None else speech_cache_dir()
        self._memory: dict[str, Speech] = {}
        self._lock = threading.Lock()
        self._voice_key = getattr(tts, "cache_key", lambda: type(tts).__name__)()
        self.engine = getattr(tts, "engine", None)
        self.description = getattr(tts, "description", None)
        self.renders = 0  # phrases actually rendered (not found in memory or on disk), for the tests

    def synthesize(self, text: str) -> Speech:
        return self.cached(text) or self.tts.synthesize(text)

    def cached(self, text: str) -> Speech | None:
        """The phrase's speech when `text` is one of the fixed phrases (rendered now if need be), else None."""
        text = normalized(text)
        if text not in self.phrases:
            return None
        with self._lock:  # one render per phrase, even when the warm-up thread is on it
            if text in self._memory:
                return self._memory[text]
            path = self._path(text)
            speech = _load(path)
            if speech is None:
                speech = self.tts.synthesize(text)
                self.renders += 1
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    write_wav(path, speech.samples, speech.sample_rate)
                except (OSError, WriteError):
                    pass
            self._memory[text] = speech
            return speech

    def warm(self, order: Iterable[str] = ()) -> threading.Thread:
        """Render the phrases in the background (`order` first, e.g. the greeting)."""
        first = [normalized(t) for t in order]
        todo = first + sorted(self.phrases - set(first))

        def run() -> None:
            for text in todo:
                try:
                    self.cached(text)
                except Exception:  # noqa: BLE001 - a failed warm-up render is retried (and reported) when said
                    return

        thread = threading.Thread(target=run, name="tts-warm-up", daemon=True)
        thread.start()
        return thread

    def _path(self, text: str) -> Path:
        digest = hashlib.sha256(f"{self._voice_key}\n{text}".encode()).hexdigest()[:32]
        return self.folder / f"{digest}.wav"


def _load(path: Path) -> Speech | None:
    if not path.is_file():
        return None
    try:
        from .tts import read_wav

        speech = read_wav(path)
    except Exception:  # noqa: BLE001 - a damaged cache file is rendered again
        return None
    return speech if len(speech.samples) else None


def trim_silence(samples: np.ndarray, rate: int, lead_s: float | None, tail_s: float | None,
                 level: float = 0.01) -> np.ndarray:
    """At most `lead_s` of silence before the speech and `tail_s` after it (None: leave that end alone)."""
    loud = np.nonzero(np.abs(samples) > level)[0]
    if not len(loud):
        return samples
    start = max(0, loud[0] - int(lead_s * rate)) if lead_s is not None else 0
    end = min(len(samples), loud[-1] + 1 + int(tail_s * rate)) if tail_s is not None else len(samples)
    return samples[start:end]
