"""Where each evidence quote sits in the transcript, and the transcript cut into highlighted segments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..models import GradeReport


@dataclass
class Span:
    start: int
    end: int
    key: str  # "impact", ..., or "flag-blame"
    quote: str = ""
    anchor: str = ""  # element id of the mark where this span starts


@dataclass(frozen=True)
class Segment:
    """A piece of an answer: plain text, or text quoted as evidence for `keys` (drawn as a <mark>)."""

    text: str
    keys: tuple[str, ...] = ()
    anchor: str = ""  # id of the mark, where a quote starts
    title: str = ""  # the signals' names, for the tooltip

    @property
    def flagged(self) -> bool:
        return any(k.startswith("flag-") for k in self.keys)


def locate(text: str, quote: str) -> int:
    """Offset of a verbatim quote in the transcript, or -1."""
    q = quote.strip()
    return text.find(q) if q else -1


def evidence_spans(text: str, report: GradeReport) -> tuple[list[Span], list[tuple[str, str]]]:
    """Spans of every evidence quote (signals and flags); also the quotes not found verbatim."""
    spans: list[Span] = []
    missing: list[tuple[str, str]] = []
    items = [(s.id, q) for s in report.signals for q in s.evidence]
    items += [(f"flag-{f.id}", q) for f in report.flags for q in f.evidence]
    anchors: dict[int, str] = {}
    for key, q in items:
        pos = locate(text, q)
        if pos < 0:
            missing.append((key, q))
            continue
        anchor = anchors.setdefault(pos, f"ev-{len(anchors)}")
        spans.append(Span(pos, pos + len(q.strip()), key, q.strip(), anchor))
    return spans, missing


def highlight(text: str, start: int, end: int, spans: Sequence[Span], names: dict[str, str]) -> list[Segment]:
    """text[start:end] cut at every evidence span boundary; overlapping spans give one segment with all keys."""
    cuts = {start, end}
    for s in spans:
        if s.end > start and s.start < end:
            cuts.update(c for c in (s.start, s.end) if start < c < end)
    bounds = sorted(cuts)
    out: list[Segment] = []
    placed: set[str] = set()
    for a, b in zip(bounds, bounds[1:], strict=False):
        covering = [s for s in spans if s.start <= a and b <= s.end]
        if not covering:
            out.append(Segment(text[a:b]))
            continue
        keys = tuple(sorted({s.key for s in covering}))
        anchor = next((s.anchor for s in covering if s.start == a and s.anchor not in placed), "")
        placed.add(anchor)
        out.append(Segment(text[a:b], keys, anchor, ", ".join(names.get(k, k) for k in keys)))
    return out
