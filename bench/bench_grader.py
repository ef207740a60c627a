"""Benchmark the offline grader: the learned recognizer against the rule detectors alone, in the same run.

For every corpus answer (tests/data/corpus), times `observe` + `recognize`:
- baseline: the rule detectors alone (what the grader was before the learned models), model=None;
- learned: embeddings (all-MiniLM-L6-v2 int8 on onnxruntime) + the shipped linear models, with the sentence
  cache cleared before every answer so each one pays for all of its sentences.
Reports mean and p95 ms per answer and per 300 words, the one-off load time of the tokenizer, the ONNX session
and the weights, and the resident memory they add. Targets (issue 8): mean <= 50 ms per 300-word answer on
2 cores, load <= 1.5 s, added memory <= 200 MB. Run:

    .venv/bin/python bench/bench_grader.py [--limit N]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

from interviewer.grading import corpus as cp
from interviewer.grading import learned
from interviewer.grading.recognize import observe, recognize

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "corpus"
TARGET_MS_PER_300 = 50.0
TARGET_LOAD_S = 1.5
TARGET_ADDED_MB = 200.0


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="grade only the first N answers")
    args = ap.parse_args()
    texts = [a.text for a in cp.load_answers(CORPUS).values()]
    if args.limit:
        texts = texts[: args.limit]
    words = [len(t.split()) for t in texts]

    rules_ms = []
    for t in texts:
        t0 = time.perf_counter()
        recognize(observe(t), model=None)
        rules_ms.append((time.perf_counter() - t0) * 1000)

    before = rss_mb()
    t0 = time.perf_counter()
    from interviewer.grading.embed import embedder

    emb = embedder()
    learned.shipped_model.cache_clear()
    model = learned.shipped_model()
    load_s = time.perf_counter() - t0
    if model is None:
        print("no trained model shipped (interviewer/grading/model/grader.npz): run scripts/train_grader.py")
        return 1
    learned_ms = []
    for t in texts:
        emb._cache.clear()
        t0 = time.perf_counter()
        recognize(observe(t), model=model)
        learned_ms.append((time.perf_counter() - t0) * 1000)
    added = rss_mb() - before

    def per300(ms: list[float]) -> float:
        return statistics.mean(m * 300 / max(w, 1) for m, w in zip(ms, words, strict=True))

    print(f"{len(texts)} answers, mean {statistics.mean(words):.0f} words (range {min(words)}-{max(words)})")
    print(f"{'':28} {'mean ms':>8} {'p95 ms':>8} {'ms/300 words':>13}")
    for name, ms in (("rule detectors (baseline)", rules_ms), ("learned recognizer", learned_ms)):
        print(f"{name:28} {statistics.mean(ms):8.1f} {p95(ms):8.1f} {per300(ms):13.1f}")
    ratio = per300(learned_ms) / per300(rules_ms)
    print(f"learned / baseline per 300 words: {ratio:.1f}x")
    print(f"load (tokenizer, ONNX session, weights): {load_s:.2f} s (target {TARGET_LOAD_S} s)")
    print(f"added resident memory: {added:.0f} MB (target {TARGET_ADDED_MB:.0f} MB)")
    ok = per300(learned_ms) <= TARGET_MS_PER_300 and load_s <= TARGET_LOAD_S and added <= TARGET_ADDED_MB
    print("targets met" if ok else "targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
