"""Sentence and clause spans over the graded text, so every quote is a verbatim slice of it.

Nothing here re-cases or re-spaces text: a quote is always `text[start:end]` with the surrounding
whitespace trimmed off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# a sentence ends at . ! ? (plus closing quotes/brackets) followed by whitespace, or at a line break
_SENTENCE_BREAK = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+|\s*\n\s*")
# clause boundaries inside a long sentence
_CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+(?:-|--|\u2013|\u2014)\s+")
MAX_QUOTE_CHARS = 220  # sentences longer than this are quoted by the clause(s) holding the evidence
MIN_CLAUSE_CHARS = 30  # a clause shorter than this is widened with its neighbour
# a transcript without punctuation is one endless "sentence": cut it where a speaker would breathe
MAX_SENTENCE_WORDS = 45
TARGET_PIECE_WORDS = 18
_WORD_RUN = re.compile(r"\S+")
_DISCOURSE = re.compile(
    r"(?<=\s)(?:so|and\s+then|then|but|because|after\s+that|which|and\s+we|and\s+i|and\s+it|and\s+the|"
    r"we|i|it\s+turned\s+out|turns\s+out|basically|anyway|afterwards|later|since\s+then|now)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int

    def of(self, text: str) -> str:
        return text[self.start : self.end]


def _trimmed(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def _pieces(text: str, span: Span) -> list[Span]:
    """A run-on span cut into sentence-sized pieces: at clause marks, else before a discourse word."""
    words = _WORD_RUN.findall(text, span.start, span.end)
    if len(words) <= MAX_SENTENCE_WORDS:
        return [span]
    cuts = [m.end() for m in _CLAUSE_BREAK.finditer(text, span.start, span.end)]
    cuts += [m.start() for m in _DISCOURSE.finditer(text, span.start, span.end)]
    cuts = sorted(set(c for c in cuts if span.start < c < span.end))
    out: list[Span] = []
    start = span.start
    count = 0
    last_word_end = span.start
    for m in _WORD_RUN.finditer(text, span.start, span.end):
        # close the piece at the last cut before this word once it is long enough, or hard-cut a very long one
        if count >= TARGET_PIECE_WORDS:
            cut = max((c for c in cuts if start < c <= m.start()), default=None)
            if cut is not None or count >= MAX_SENTENCE_WORDS:
                cut = cut if cut is not None else last_word_end
                piece = _trimmed(text, start, cut)
                if piece is not None:
                    out.append(piece)
                start = cut
                count = len(_WORD_RUN.findall(text, start, m.start()))
        count += 1
        last_word_end = m.end()
    tail = _trimmed(text, start, span.end)
    if tail is not None:
        out.append(tail)
    return out


def sentence_spans(text: str) -> list[Span]:
    """The sentences of `text`, as trimmed spans in order; a run-on without punctuation is cut into pieces."""
    spans: list[Span] = []
    pos = 0
    for m in _SENTENCE_BREAK.finditer(text):
        span = _trimmed(text, pos, m.start())
        if span is not None:
            spans.extend(_pieces(text, span))
        pos = m.end()
    last = _trimmed(text, pos, len(text))
    if last is not None:
        spans.extend(_pieces(text, last))
    return spans


def clause_quote(text: str, sentence: Span, start: int, end: int) -> Span:
    """The quote for evidence at text[start:end] inside `sentence`: the sentence, or its clause if long."""
    if sentence.end - sentence.start <= MAX_QUOTE_CHARS:
        return sentence
    bounds = [sentence.start]
    for m in _CLAUSE_BREAK.finditer(text, sentence.start, sentence.end):
        bounds.append(m.start())
        bounds.append(m.end())
    bounds.append(sentence.end)
    pieces = [Span(bounds[i], bounds[i + 1]) for i in range(0, len(bounds) - 1, 2)]
    first = next((i for i, p in enumerate(pieces) if p.end > start), len(pieces) - 1)
    last = next((i for i, p in enumerate(pieces) if p.end >= end), len(pieces) - 1)
    lo, hi = first, max(first, last)
    while pieces[hi].end - pieces[lo].start < MIN_CLAUSE_CHARS and (lo > 0 or hi < len(pieces) - 1):
        if hi < len(pieces) - 1:
            hi += 1
        else:
            lo -= 1
    span = _trimmed(text, pieces[lo].start, pieces[hi].end)
    return span if span is not None else sentence


class Doc:
    """The graded text with its sentences, and a quick lookup from a character offset to its sentence."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sentences = sentence_spans(text)
        self.lower = text.lower()

    def sentence_index(self, offset: int) -> int:
        lo, hi = 0, len(self.sentences) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.sentences[mid].end <= offset:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def sentence_text(self, index: int) -> str:
        return self.sentences[index].of(self.text)

    def quote(self, start: int, end: int) -> str:
        """A verbatim quote (sentence or clause) around the evidence at text[start:end]."""
        if not self.sentences:
            return ""
        sentence = self.sentences[self.sentence_index(start)]
        return clause_quote(self.text, sentence, start, end).of(self.text)
