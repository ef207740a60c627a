"""The round engine: a pure function from what the candidate has said so far to the next question.

`plan_next` never does I/O. It reads the detector `Assessment` of everything answered so far, finds the
biggest gap that the current round is for, picks an unused follow-up from the persona's library aimed at
that gap, fills it with the candidate's own words (the system, number, person or phrase they used) and
writes a private `InterviewerNote`.

What each round is for, and the gap priority inside it (first match wins):

- opening: the bank question, as written.
- probe (the technical failure chain): 1. no timeline yet (timeline below "present") -> ask for one;
  2. otherwise the lowest-scored of timeline, diagnosis, root_cause, detection (ties in that order).
- constraint (communication under pressure): the lowest-scored of communication, mitigation, ownership
  (ties in that order).
- curveball (challenge the framing): 1. blame heard -> what in the system allowed it; 2. hero -> who else was
  involved; 3. conflation -> separate mitigation, fix and prevention; 4. vague -> ask for concrete specifics;
  5. otherwise challenge their strongest claim: the highest-scored of mitigation, root_cause, diagnosis,
  impact (a claim needs some evidence, score >= 1); 6. otherwise a general challenge to one of their decisions.
- synthesis (what changed and how it was measured): 1. no prevention (the `no_prevention` flag or
  prevention below "present") -> ask what changed; 2. at staff level, prevention that does not yet reach a
  class of incidents (below the top score) -> ask about class-of-incident prevention; 3. otherwise the
  lowest-scored of prevention, impact, reflection (ties in that order).

Level: follow-ups marked with `levels` are only used at those levels, and are preferred there (so a staff
candidate gets the class-of-incident and organization-wide versions).

If every follow-up for the top gap has been used, the next gap in the order is tried, then any unused
follow-up of the round, then of any round; a question is never repeated, by follow-up id or by text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass

from ..grading.assessment import Assessment
from ..models import (
    MAX_SCORE,
    PRESENT_SCORE,
    FollowUp,
    InterviewerNote,
    Level,
    Persona,
    Question,
    RoundKind,
    Turn,
)
from ..protocols import PlannedQuestion

PLACEHOLDERS = ("system", "number", "quote", "person")
SELF_POSSESSIVE_RX = re.compile(r"^(?:our|my)\s+", re.IGNORECASE)
MAX_QUOTE_WORDS = 12  # a longer phrase is cut to its first clause, or at a word boundary, before it is echoed
MIN_CLAUSE_WORDS = 3  # a first clause shorter than this is not a useful quote on its own
STRONG_SCORE = 3  # a signal at or above this goes into the note's strong points
MAX_NOTE_ITEMS = 5

PROBE_SIGNALS = ("timeline", "diagnosis", "root_cause", "detection")
CONSTRAINT_SIGNALS = ("communication", "mitigation", "ownership")
SYNTHESIS_SIGNALS = ("prevention", "impact", "reflection")
CURVEBALL_FLAGS = ("blame", "hero", "conflation", "vague")
CURVEBALL_CLAIMS = ("mitigation", "root_cause", "diagnosis", "impact")
GENERAL_CHALLENGE = "challenge"  # the target of a curveball follow-up with neither signal nor flag

ROUND_SIGNALS: dict[RoundKind, tuple[str, ...]] = {
    RoundKind.probe: PROBE_SIGNALS,
    RoundKind.constraint: CONSTRAINT_SIGNALS,
    RoundKind.synthesis: SYNTHESIS_SIGNALS,
}
# a number with one of these reads best when echoed back ("30 percent", "twelve minutes", "$40k")
QUOTABLE_NUMBER_RX = re.compile(
    r"%|\$|percent|minute|hour|second|day|week|user|customer|request|order|error|job|message|server|node",
    re.IGNORECASE,
)

# Last resort when a persona's library is exhausted (a short user persona, or a long round plan).
LAST_RESORT: dict[RoundKind, tuple[str, ...]] = {
    RoundKind.opening: ("Walk me through a production incident you were part of.",),
    RoundKind.probe: (
        "What happened technically, step by step, from the first symptom to the cause?",
        "Which part of the technical story would you want to explain in more depth?",
    ),
    RoundKind.constraint: (
        "Who did you keep informed while it was happening, and how?",
        "What did you decide yourself, and what did you hand to others?",
    ),
    RoundKind.curveball: (
        "What would someone who disagreed with how you handled it say, and how would you answer them?",
        "Which assumption in your story are you least sure about?",
    ),
    RoundKind.synthesis: (
        "What changed after the incident, and how do you know it worked?",
        "What would you do differently next time?",
    ),
}


@dataclass(frozen=True)
class Gap:
    """A target the round may press on: a signal id, a flag id or the general challenge."""

    target: str
    why: str


def plan_next(
    round_kind: RoundKind,
    persona: Persona,
    question: Question,
    turns: list[Turn],
    assessment: Assessment,
    level: Level,
) -> PlannedQuestion:
    """Decide the next question: the opening bank question, or a follow-up pressing the biggest gap."""
    planned = _plan(RoundKind(round_kind), persona, question, turns, assessment, Level(level))
    planned.level = Level(level)
    return planned


def _plan(round_kind: RoundKind, persona: Persona, question: Question, turns: list[Turn],
          assessment: Assessment, level: Level) -> PlannedQuestion:
    used_ids = {t.question_id for t in turns if t.question_id}
    used_texts = {_norm(t.question) for t in turns}
    if round_kind is RoundKind.opening and question.id not in used_ids:
        return PlannedQuestion(round=round_kind, text=question.text.strip(), question_id=question.id,
                               note=InterviewerNote())
    used_texts.add(_norm(question.text))

    gaps = rank_gaps(round_kind, assessment, level)
    fills = _fills(assessment)
    for gap in gaps:
        chosen = _choose(persona.followups, round_kind, gap.target, level, assessment, fills, used_ids, used_texts)
        if chosen:
            fu, text = chosen
            return PlannedQuestion(round=round_kind, text=text, question_id=fu.id, target=gap.target,
                                   note=_note(assessment, gap, round_kind))
    # the library has nothing left for any gap: any unused follow-up of this round, then of any round
    spare = [f for f in persona.followups if f.round is round_kind] + [
        f for f in persona.followups if f.round is not round_kind
    ]
    for fu in spare:
        text = _render(fu, fills, assessment)
        if text and _unused(fu.id, text, used_ids, used_texts) and _suits(fu, level):
            target = fu.flag or fu.signal
            gap = Gap(target or GENERAL_CHALLENGE, "library exhausted for the round's gaps")
            return PlannedQuestion(round=round_kind, text=text, question_id=fu.id, target=target,
                                   note=_note(assessment, gap, round_kind))
    text = _last_resort(round_kind, used_texts)
    gap = gaps[0] if gaps else Gap(GENERAL_CHALLENGE, "no follow-up left")
    return PlannedQuestion(round=round_kind, text=text, question_id=None, target=gap.target,
                           note=_note(assessment, gap, round_kind))


# --- gaps ---------------------------------------------------------------------------------


def _score(assessment: Assessment, signal: str) -> int:
    return int(assessment.scores.get(signal, 0))


def _lowest_first(assessment: Assessment, signals: Iterable[str]) -> list[Gap]:
    order = list(signals)
    ranked = sorted(order, key=lambda s: (_score(assessment, s), order.index(s)))
    return [Gap(s, f"{s} scored {_score(assessment, s)}") for s in ranked]


def rank_gaps(round_kind: RoundKind, assessment: Assessment, level: Level) -> list[Gap]:
    """The targets this round may press on, biggest gap first (see the module docstring for the order)."""
    if round_kind is RoundKind.opening:
        return []
    gaps: list[Gap] = []
    if round_kind is RoundKind.probe:
        if _score(assessment, "timeline") < PRESENT_SCORE:
            gaps.append(Gap("timeline", "no timeline yet"))
        gaps += _lowest_first(assessment, PROBE_SIGNALS)
    elif round_kind is RoundKind.constraint:
        gaps += _lowest_first(assessment, CONSTRAINT_SIGNALS)
    elif round_kind is RoundKind.curveball:
        for flag in CURVEBALL_FLAGS:
            if assessment.flags.get(flag):
                gaps.append(Gap(flag, f"{flag} flag raised"))
        claims = sorted(
            (s for s in CURVEBALL_CLAIMS if _score(assessment, s) >= 1),
            key=lambda s: (-_score(assessment, s), CURVEBALL_CLAIMS.index(s)),
        )
        gaps += [Gap(s, f"challenge the {s} claim (scored {_score(assessment, s)})") for s in claims]
        gaps.append(Gap(GENERAL_CHALLENGE, "challenge a decision"))
    elif round_kind is RoundKind.synthesis:
        if "no_prevention" in assessment.flags:
            gaps.append(Gap("no_prevention", "the story ends when service is restored"))
        if _score(assessment, "prevention") < PRESENT_SCORE:
            gaps.append(Gap("prevention", "no prevention yet"))
        elif level is Level.staff and _score(assessment, "prevention") < MAX_SCORE:
            gaps.append(Gap("prevention", "staff: prevention does not yet reach a class of incidents"))
        gaps += _lowest_first(assessment, SYNTHESIS_SIGNALS)
    # keep the first occurrence of each target
    seen: set[str] = set()
    return [g for g in gaps if not (g.target in seen or seen.add(g.target))]


# --- choosing and filling a follow-up -----------------------------------------------------


def _suits(fu: FollowUp, level: Level) -> bool:
    return not fu.levels or level in fu.levels


def _aims_at(fu: FollowUp, target: str) -> bool:
    if target == GENERAL_CHALLENGE:
        return fu.signal is None and fu.flag is None
    return fu.flag == target or (fu.flag is None and fu.signal == target)


def _choose(
    followups: list[FollowUp],
    round_kind: RoundKind,
    target: str,
    level: Level,
    assessment: Assessment,
    fills: dict[str, str],
    used_ids: set[str],
    used_texts: set[str],
) -> tuple[FollowUp, str] | None:
    """The best unused follow-up for `target` in this round: level-specific first, then ones that can echo
    the candidate's words, then library order."""
    options = [f for f in followups if f.round is round_kind and _aims_at(f, target) and _suits(f, level)]
    ranked = sorted(
        enumerate(options),
        key=lambda item: (not item[1].levels, not _fillable(item[1].text, _fills_for(target, fills, assessment)),
                          item[0]),
    )
    for _, fu in ranked:
        text = _render(fu, _fills_for(target, fills, assessment), assessment)
        if text and _unused(fu.id, text, used_ids, used_texts):
            return fu, text
    return None


def _unused(fu_id: str, text: str, used_ids: set[str], used_texts: set[str]) -> bool:
    return fu_id not in used_ids and _norm(text) not in used_texts


def _fields(template: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError:  # unbalanced braces in a user file: treat the template as unusable
        return ["<invalid>"]


def _fillable(template: str, fills: dict[str, str]) -> bool:
    names = _fields(template)
    return bool(names) and all(fills.get(n) for n in names)


def _render(fu: FollowUp, fills: dict[str, str], assessment: Assessment | None = None) -> str | None:
    """The follow-up with its placeholders filled, its fallback when they can't be, or None."""
    for template in (fu.text, fu.fallback):
        if template is None:
            continue
        names = _fields(template)
        if all(fills.get(n) for n in names):
            return _clean(template.format_map({n: fills[n] for n in names}))
    return None


def _fills(assessment: Assessment) -> dict[str, str]:
    """Placeholder values from the candidate's own words (the first system, number, person, phrase named)."""
    ent = assessment.entities
    out: dict[str, str] = {}
    if ent.systems:
        out["system"] = _second_person(ent.systems[0])
    if ent.numbers:
        quotable = [n for n in ent.numbers if QUOTABLE_NUMBER_RX.search(n)]
        out["number"] = (quotable or ent.numbers)[0].strip()
    if ent.people:
        out["person"] = ent.people[0].strip()
    if ent.quotes:
        out["quote"] = _short(ent.quotes[0])
    return {k: v for k, v in out.items() if v}


def _fills_for(target: str, fills: dict[str, str], assessment: Assessment) -> dict[str, str]:
    """Target-specific values: words from the target's own evidence are the most relevant to echo.

    A system or number that appears in the evidence wins over the first one named; a person is only named
    back when they appear in the evidence (so a blame challenge names whoever was blamed, or nobody).
    """
    evidence = assessment.flags.get(target) or assessment.evidence.get(target) or []
    if not evidence:
        return fills
    said = " ".join(evidence)
    out = {**fills, "quote": _short(evidence[0])}
    ent = assessment.entities
    for key, names in (("system", ent.systems), ("number", ent.numbers)):
        inside = [n for n in names if n.strip() and n in said]
        if inside:
            out[key] = _second_person(inside[0]) if key == "system" else inside[0].strip()
    people = [n for n in ent.people if n.strip() and re.search(rf"\b{re.escape(n.strip())}\b", said)]
    if people:
        out["person"] = people[0].strip()
    else:
        out.pop("person", None)
    return out


def _second_person(name: str) -> str:
    """Say the candidate's system back from the interviewer's side: "our checkout service" -> "your ..."."""
    return SELF_POSSESSIVE_RX.sub("your ", name.strip(), count=1)


def _short(quote: str) -> str:
    """A phrase short enough to say back: the whole quote, its first clause, or its first words."""
    words = quote.strip().strip("\"'").split()
    if len(words) <= MAX_QUOTE_WORDS:
        return " ".join(words).rstrip(".,;:!?")
    clause = re.split(r"[,;:]\s|\s[-\u2013\u2014]\s", " ".join(words), maxsplit=1)[0].split()
    if MIN_CLAUSE_WORDS <= len(clause) <= MAX_QUOTE_WORDS:
        return " ".join(clause).rstrip(".,;:!?")
    return " ".join(words[:MAX_QUOTE_WORDS]).rstrip(".,;:!?") + "..."


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _last_resort(round_kind: RoundKind, used_texts: set[str]) -> str:
    options = LAST_RESORT.get(round_kind, ()) + tuple(t for r in LAST_RESORT.values() for t in r)
    for text in options:
        if _norm(text) not in used_texts:
            return text
    n = 2
    while _norm(f"{options[0]} ({n})") in used_texts:
        n += 1
    return f"{options[0]} ({n})"


# --- the private note ----------------------------------------------------------------------


def _note(assessment: Assessment, gap: Gap, round_kind: RoundKind) -> InterviewerNote:
    """Strong points heard so far, what to press in later rounds, and the gap this question presses."""
    strong = []
    for sid in sorted(assessment.scores, key=lambda s: -_score(assessment, s)):
        if _score(assessment, sid) >= STRONG_SCORE:
            quote = (assessment.evidence.get(sid) or [""])[0]
            strong.append(f"{sid} ({_score(assessment, sid)}): {_short(quote)}" if quote else sid)
    later_rounds = _rounds_after(round_kind)
    press: list[str] = []
    for flag, quotes in assessment.flags.items():
        if flag != gap.target and quotes:
            press.append(f"flag {flag}: {_short(quotes[0])}")
    listed = {gap.target}
    for r in later_rounds:
        for sid in ROUND_SIGNALS.get(r, ()):
            if sid not in listed and _score(assessment, sid) < PRESENT_SCORE:
                listed.add(sid)
                press.append(f"{sid} (scored {_score(assessment, sid)}; {r.value} round)")
    return InterviewerNote(strong=strong[:MAX_NOTE_ITEMS], press_later=press[:MAX_NOTE_ITEMS], gap=gap.target)


def _rounds_after(round_kind: RoundKind) -> list[RoundKind]:
    order = list(RoundKind)
    return order[order.index(round_kind) + 1 :]
