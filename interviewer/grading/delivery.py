"""Delivery metrics: how the answer was said, not what it said (length, pace, fillers, hedges, I vs we)."""

from __future__ import annotations

import re
from collections import Counter

from ..models import DeliveryMetrics, RoundKind, Turn, candidate_text

TARGET_SECONDS = 120.0  # the opening story should take about two minutes (follow-ups are shorter by design)
TYPICAL_WPM = 150.0  # speaking pace used to estimate talk time from typed words
SHORT_FRACTION = 0.5  # under half the target is short
LONG_FRACTION = 1.5  # over one and a half times the target is long
LONG_PAUSE_SECONDS = 2.0
# Spoken fillers that survived transcription, measured by bench/bench_wer.py (24 synthetic answers, 8 with
# 16 "um"/"uh" between them, default decoding): model -> (kept, spoken). Re-measure when decoding changes.
FILLER_SURVIVAL = {"tiny.en": (0, 16), "base": (7, 16)}
FILLER_NOTE = (
    "Filler counts from speech recognition are a lower bound: Whisper drops most 'um' and 'uh'. Measured "
    "here on synthetic speech, " + " and ".join(f"{m} kept {k} of {n}" for m, (k, n) in FILLER_SURVIVAL.items())
    + " spoken fillers."
)

# "like" only counts as a filler when set off as one (", like," or at a clause start), not "looks like X"
FILLER_RX = re.compile(
    r"\b(?P<f>um+|uh+|erm+|er|uhm|hmm+|you\s+know|basically|sort\s+of|kind\s+of|I\s+mean|literally|actually|"
    r"so\s+yeah)\b|(?:^|[,.;!?]\s*|\b(?:and|so|but)\s+)(?P<like>like)\b(?=\s*,|\s+(?:um|uh|we|I|it|the|a|so|"
    r"you)\b)",
    re.IGNORECASE | re.MULTILINE,
)
HEDGE_RX = re.compile(
    r"\b(?:I\s+think|I\s+guess|I\s+believe|I\s+suppose|maybe|probably|perhaps|possibly|I'm\s+not\s+sure|"
    r"not\s+(?:100|a\s+hundred)\s+percent\s+sure|I\s+(?:don't|do\s+not)\s+(?:really\s+)?know|"
    r"kind\s+of\s+like|"
    r"more\s+or\s+less|somewhat|sort\s+of\s+like|if\s+I\s+remember\s+(?:right|correctly)|I\s+feel\s+like)\b",
    re.IGNORECASE,
)
I_RX = re.compile(r"\b(?:I|I'm|I'd|I've|I'll|me|my|myself|mine)\b", re.IGNORECASE)
WE_RX = re.compile(r"\b(?:we|we're|we'd|we've|we'll|us|our|ours|ourselves)\b", re.IGNORECASE)
WORD_RX = re.compile(r"\b[\w'-]+\b")


def _norm(token: str) -> str:
    return " ".join(token.lower().split())


def _count(rx: re.Pattern[str], text: str) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for m in rx.finditer(text):
        word = m.groupdict().get("f") or m.groupdict().get("like") or m.group()
        counts[_norm(word)] += 1
    return dict(sorted(counts.items()))


def _talk_seconds(turns: list[Turn]) -> tuple[float | None, int | None]:
    """Total talk time and long pauses, from word timings where known, else from answer_seconds."""
    total = 0.0
    pauses = 0
    known = False
    for t in turns:
        if t.words:
            known = True
            total += max(0.0, t.words[-1].end - t.words[0].start)
            pauses += sum(
                1 for a, b in zip(t.words, t.words[1:], strict=False) if b.start - a.end > LONG_PAUSE_SECONDS
            )
        elif t.answer_seconds is not None:
            known = True
            total += t.answer_seconds
    if not known:
        return None, None
    timed = any(t.words for t in turns)
    return total, pauses if timed else None


def story_seconds(answered: list[Turn]) -> float:
    """How long the opening story took (the answer to the opening question, else the first answer): spoken
    time where known, else its words at a typical pace. 0 with no answers."""
    if not answered:
        return 0.0
    story = next((t for t in answered if t.round is RoundKind.opening), answered[0])
    talk, _ = _talk_seconds([story])
    return talk if talk is not None else len(WORD_RX.findall(story.answer)) / TYPICAL_WPM * 60.0


def delivery_metrics(turns: list[Turn]) -> DeliveryMetrics:
    """Delivery metrics over the candidate's answers; length is the opening story's against two minutes."""
    answered = [t for t in turns if t.answer.strip()]
    text = candidate_text(turns)
    words = len(WORD_RX.findall(text))
    fillers = _count(FILLER_RX, text)
    hedges = _count(HEDGE_RX, text)
    i_count = len(I_RX.findall(text))
    we_count = len(WE_RX.findall(text))
    talk, pauses = _talk_seconds(answered)
    wpm = round(words / (talk / 60.0), 1) if talk else None
    story = story_seconds(answered)
    if story < TARGET_SECONDS * SHORT_FRACTION:
        verdict = "short"
    elif story > TARGET_SECONDS * LONG_FRACTION:
        verdict = "long"
    else:
        verdict = "on_target"
    voiced = any(t.words or t.answer_audio for t in answered)
    return DeliveryMetrics(
        words=words,
        talk_seconds=round(talk, 1) if talk is not None else None,
        words_per_minute=wpm,
        fillers=fillers,
        filler_rate=round(100 * sum(fillers.values()) / words, 2) if words else 0.0,
        filler_note=FILLER_NOTE if voiced else None,
        long_pauses=pauses,
        i_count=i_count,
        we_count=we_count,
        i_we_ratio=round(i_count / (i_count + we_count), 2) if i_count + we_count else None,
        hedges=hedges,
        target_seconds=TARGET_SECONDS,
        estimated_seconds=round(story, 1),
        length_verdict=verdict,
    )
