"""Who is speaking, and whose words are quoted: rule checks on an LLM interviewer's sentence.

The interviewer asks the candidate; it never tells the incident as the candidate ("We found a new reason",
"I rolled back"), never narrates the interview ("When the interviewer asked ..., I responded with"), and puts
in quotation marks only words the candidate said (or the offline plan already quotes from their answers).
Pure functions, used by `persona.check_sentence`.
"""

from __future__ import annotations

import re

from ..models import Turn

# the reply narrates the interview instead of taking part in it ("When the interviewer asked ..., I
# responded with: ...")
_NARRATES = re.compile(
    r"\b(?:the|an|your|this)\s+interviewer\b|\binterviewer\s+(?:asked|said|asks|says)\b"
    r"|\bI\s+(?:responded|replied|answered)\b|\bmy\s+(?:answer|response|reply)\b|\bin\s+response\s+to\b"
    r"|\bwhen\s+(?:I\s+was|you\s+were)\s+asked\b|\byou\s+asked\s+me\b|\bthe\s+(?:next|following)\s+question\s+(?:is|was)\b",
    re.I,
)
# the reply speaks as the candidate: "I"/"we" telling what they did in the incident ("We found a new
# reason", "I rolled back"). The interviewer's own first person ("I'm curious", "I'd like", "I heard you
# say") is not that.
_ACTED = (
    r"\w+ed|found|made|took|told|saw|went|got|ran|wrote|knew|thought|built|sent|spent|kept|lost|began|"
    r"came|put|set|shut|broke|fixed|brought|caught|chose|gave|held|left|led|paid|rebuilt|rolled|shipped|"
    r"spoke|stayed|stood|woke|were|was"
)
_ASKER_VERBS = r"(?:need|heard|noticed|asked|gathered|followed|understood|wondered|mentioned|wanted|liked|loved)"
# "were we exposed", "are we protected": a question about the company, asked by an executive, not a story
_INVERTED = "".join(f"(?<!{aux} )" for aux in ("are", "were", "was", "did", "have", "had", "would", "could", "do"))
_SPEAKS_AS_CANDIDATE = re.compile(
    rf"(?<![\w'])(?<!if ){_INVERTED}(?:I|we)\s+(?:(?:then|also|just|finally|first|quickly|eventually|actually|all|both)\s+)?"
    rf"(?!{_ASKER_VERBS}\b)(?:{_ACTED})\b",
    re.I,
)
_QUOTED = re.compile(r"[\"\u201c]([^\"\u201c\u201d]+)(?:[\"\u201d]|$)")
MIN_QUOTE_WORDS = 2  # a quoted single word ("fix") is a term, not an attribution


def speaks_as_candidate(text: str) -> str | None:
    """The words that narrate the interview or tell the incident as the candidate, if any."""
    unquoted = _QUOTED.sub('""', text)  # the candidate's own words, quoted back, are theirs to speak
    m = _NARRATES.search(unquoted) or _SPEAKS_AS_CANDIDATE.search(unquoted)
    return m.group(0) if m else None


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "'").replace("'", "")))


def invented_quote(text: str, turns: list[Turn], allowed: str = "") -> str | None:
    """A quotation in `text` that the candidate never said (not in any answer, nor in the planned question)."""
    said = " " + " ".join(_plain(t.answer) for t in turns) + " "
    planned = " " + _plain(allowed) + " "
    for m in _QUOTED.finditer(text):
        quote = m.group(1).strip().rstrip(".\u2026").removesuffix("..").strip()
        words = _plain(quote)
        if len(words.split()) < MIN_QUOTE_WORDS:
            continue
        if f" {words} " not in said and f" {words} " not in planned:
            return quote
    return None
