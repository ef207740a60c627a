"""Keeping the interview moving, as a person would: pure decisions the interview loop acts on.

- An opening story that runs past the persona's limit gets a polite cut-in, said before the next question.
  Its length is the spoken talk time when the channel measured one, else its words at the persona's pace
  (text mode). A spoken channel given the limit (`answer_limit`) interrupts at the first pause past it; an
  answer it cut off gets the cut-in even when its measured talk time is a little under the limit.
- A very short answer gets one "say more about ..." before the next round, naming what the question was
  after; an answer that says there is nothing more ("I don't remember") is taken at its word.
"""

from __future__ import annotations

import re

from ..models import Persona, RoundKind

SAY_MORE_ID = "say-more"  # the question_id of a "say more" turn: not a round of the plan
DECLINES_RX = re.compile(
    r"\b(?:don'?t|do not|can'?t|cannot)\s+(?:remember|recall|know)\b|\bno idea\b|\bnot sure\b"
    r"|\bnothing (?:more|else)\b|\bthat'?s (?:all|it)\b|\bno more\b|\bpass\b",
    re.IGNORECASE,
)
# what "say more about ..." names, per signal or flag the question pressed on
TOPICS: dict[str, str] = {
    "impact": "who was affected, and how badly",
    "detection": "how you first found out",
    "timeline": "when each step happened",
    "mitigation": "what you did to stop the damage",
    "diagnosis": "how you worked out what was wrong",
    "root_cause": "why it happened",
    "communication": "who you kept informed, and how",
    "ownership": "what you decided and did yourself",
    "prevention": "what changed afterwards",
    "reflection": "what you would do differently",
    "blame": "what in the system let it happen",
    "hero": "who else was involved",
    "conflation": "how stopping the damage differed from the fix",
    "vague": "the specifics: which system, how many, how long",
    "no_prevention": "what changed afterwards",
}
OPENING_TOPIC = "the incident itself: what broke, and what you did"
DEFAULT_TOPIC = "that"


def words(text: str) -> int:
    return len(re.findall(r"[\w'\u2019-]+", text))


def story_seconds(text: str, seconds: float | None, persona: Persona) -> float:
    """How long an answer ran: its talk time when measured, else its words at the persona's pace."""
    if seconds is not None:
        return float(seconds)
    return words(text) / persona.timebox.words_per_minute * 60.0


def answer_limit(round_kind: RoundKind, persona: Persona) -> float | None:
    """The talk time an answer in this round is given: the persona's limit for the opening story, else none."""
    return persona.timebox.opening_seconds if round_kind is RoundKind.opening else None


def cut_in(round_kind: RoundKind, text: str, seconds: float | None, persona: Persona,
           cut_off: bool = False) -> str | None:
    """The cut-in to say before the next question when the opening story ran past the limit (or the channel
    cut it off there: it measures from the first word, so its talk time may read a little under), else None."""
    if round_kind is not RoundKind.opening or not text.strip():
        return None
    if not cut_off and story_seconds(text, seconds, persona) <= persona.timebox.opening_seconds:
        return None
    return persona.timebox.cut_in.strip()


def say_more(round_kind: RoundKind, target: str | None, text: str, persona: Persona) -> str | None:
    """One "say more about ..." for a very short answer (not a skip, not a "that's all"), else None."""
    n = words(text)
    if n == 0 or n >= persona.timebox.short_words or DECLINES_RX.search(text):
        return None
    topic = OPENING_TOPIC if round_kind is RoundKind.opening else TOPICS.get(target or "", DEFAULT_TOPIC)
    return persona.timebox.say_more.format(topic=topic).strip()
