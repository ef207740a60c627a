"""The round engine: a pure function from what the candidate has said so far to the next question.

`plan_next` never does I/O. It reads the detector `Assessment` of everything answered so far (the same
evidence the grader uses), finds the biggest gap the current round is for, picks an unused follow-up from
the persona's library aimed at that gap, fills it with the candidate's own words in the role they played
(see `followups`) and writes a private `InterviewerNote`.

A signal the story already covers well (scored COVERED_SCORE or more) is never asked for again, and a
question is never repeated, by follow-up id or by text. Only a curveball presses on a solid part, and on
purpose: it challenges it.

What each round is for, and the gap priority inside it (first match wins). A persona's `focus` replaces a
round's signal list (an executive's constraint round presses on customers and cost first):

- opening: the bank question, as written.
- probe (the technical failure chain): 1. no timeline yet (timeline below "present") -> ask for one (unless
  the persona's focus orders the round); 2. otherwise the lowest-scored of timeline, diagnosis, root_cause,
  detection (ties in that order).
- constraint (communication under pressure): the lowest-scored of communication, mitigation, ownership.
- curveball (challenge the framing): 1. blame heard -> what in the system allowed it; 2. hero -> who else was
  involved; 3. conflation -> separate mitigation, fix and prevention; 4. vague -> ask for concrete specifics;
  5. otherwise a challenge to the strongest part of the story: the highest-scored of the parts the curveball
  families stand on (mitigation: the counterfactual, root_cause: one level deeper, ownership: credit,
  detection: without that signal, impact: at ten times the scale) and diagnosis (a claim needs some evidence,
  score >= 1); a family follow-up, grounded in the candidate's words, is preferred; 6. otherwise a general
  challenge to one of their decisions.
- synthesis (what changed and how it was measured): 1. no prevention (the `no_prevention` flag or
  prevention below "present") -> ask what changed; 2. at staff level, prevention that is present but not yet
  solid -> the class-of-incident version; 3. otherwise the lowest-scored of prevention, impact, reflection.

Outside the curveball round the order across those gaps is: a part the round is for that is missing (below
"present"), then a part missing anywhere in the story (asked with another round's follow-up), then a
challenge to the story (a curveball family), and only then a part that is present but not yet solid (asking
for it again risks asking for what was already told). A target an earlier turn already pressed waits behind
every other option (the candidate had nothing more to say about it). Level: follow-ups marked with
`levels` are only used at those levels, and are preferred there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..grading.assessment import Assessment
from ..models import (
    PRESENT_SCORE,
    SIGNAL_IDS,
    InterviewerNote,
    Level,
    Persona,
    Question,
    RoundKind,
    Turn,
    candidate_text,
)
from ..protocols import PlannedQuestion
from .followups import GENERAL_CHALLENGE, Used, choose, fills, fills_for, norm, render, short, suits

__all__ = [
    "CONSTRAINT_SIGNALS", "COVERED_SCORE", "CURVEBALL_CLAIMS", "CURVEBALL_FLAGS", "GENERAL_CHALLENGE", "Gap",
    "PROBE_SIGNALS", "SYNTHESIS_SIGNALS", "asks_for", "plan_next", "rank_gaps",
]

COVERED_SCORE = 3  # a signal scored at least this is covered well: no follow-up asks for it again
STRONG_SCORE = COVERED_SCORE  # a signal at or above this goes into the note's strong points
MAX_NOTE_ITEMS = 5

PROBE_SIGNALS = ("timeline", "diagnosis", "root_cause", "detection")
CONSTRAINT_SIGNALS = ("communication", "mitigation", "ownership")
SYNTHESIS_SIGNALS = ("prevention", "impact", "reflection")
CURVEBALL_FLAGS = ("blame", "hero", "conflation", "vague")
# the parts of the story a curveball may challenge (the curveball families' signals, and the diagnosis)
CURVEBALL_CLAIMS = ("mitigation", "root_cause", "diagnosis", "impact", "detection", "ownership")
# the signal a flag's question asks about (the others challenge framing rather than ask for a part)
FLAG_ASKS = {"no_prevention": "prevention", "vague": "impact"}

ROUND_SIGNALS: dict[RoundKind, tuple[str, ...]] = {
    RoundKind.probe: PROBE_SIGNALS,
    RoundKind.constraint: CONSTRAINT_SIGNALS,
    RoundKind.synthesis: SYNTHESIS_SIGNALS,
}

# Last resort when a persona's library is exhausted (a short user persona, or a long round plan), with the
# signal each asks for (None: a challenge).
LAST_RESORT: dict[RoundKind, tuple[tuple[str, str | None], ...]] = {
    RoundKind.opening: (("Walk me through a production incident you were part of.", None),),
    RoundKind.probe: (
        ("What happened technically, step by step, from the first symptom to the cause?", "diagnosis"),
        ("Which part of the technical story would you want to explain in more depth?", None),
    ),
    RoundKind.constraint: (
        ("Who did you keep informed while it was happening, and how?", "communication"),
        ("What did you decide yourself, and what did you hand to others?", "ownership"),
    ),
    RoundKind.curveball: (
        ("What would someone who disagreed with how you handled it say, and how would you answer them?", None),
        ("Which assumption in your story are you least sure about?", None),
    ),
    RoundKind.synthesis: (
        ("What changed after the incident, and how do you know it worked?", "prevention"),
        ("What would you do differently next time?", "reflection"),
    ),
}


@dataclass(frozen=True)
class Gap:
    """A target the round may press on: a signal id, a flag id or the general challenge."""

    target: str
    why: str


def asks_for(target: str | None) -> str | None:
    """The signal a question pressing `target` asks the candidate for (None for a framing challenge)."""
    if target in SIGNAL_IDS:
        return target
    return FLAG_ASKS.get(target or "")


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
    used_ids = frozenset(t.question_id for t in turns if t.question_id)
    if round_kind is RoundKind.opening and question.id not in used_ids:
        return PlannedQuestion(round=round_kind, text=question.text.strip(), question_id=question.id,
                               note=InterviewerNote())
    used = Used(used_ids, frozenset({norm(t.question) for t in turns} | {norm(question.text)}))
    story = candidate_text(turns)
    base = fills(assessment, story)
    covered = {s for s in SIGNAL_IDS if _score(assessment, s) >= COVERED_SCORE}

    def open_target(target: str, kind: RoundKind) -> bool:
        return kind is RoundKind.curveball or asks_for(target) not in covered

    gaps = rank_gaps(round_kind, assessment, level, persona.focus.get(round_kind))
    # when the round's own gaps are covered or exhausted: the weakest signal still open anywhere, then a
    # challenge to the story (a curveball), so a strong story is pressed rather than asked for again
    later = [g for g in _lowest_first(assessment, SIGNAL_IDS) if g.target not in covered]
    elsewhere = [(kind, g) for g in later for kind in _rounds_for(g.target, persona)]
    if round_kind is RoundKind.curveball:
        steps = [(round_kind, g) for g in gaps] + elsewhere
    else:
        # what is missing, here then anywhere; then a challenge to the story; a part that is present but
        # not yet solid only after that (asking for it again risks asking for what was told)
        own = [(round_kind, g) for g in gaps]
        steps = [st for st in own if _missing(st[1], assessment)]
        steps += [st for st in elsewhere if _missing(st[1], assessment)]
        steps += [(RoundKind.curveball, g) for g in rank_gaps(RoundKind.curveball, assessment, level)]
        steps += [st for st in own + elsewhere if not _missing(st[1], assessment)]
    # a part already pressed once (and still thin: the candidate had no more to say) waits behind the rest
    pressed = {t.target for t in turns if t.target}
    steps.sort(key=lambda step: step[1].target in pressed)
    for kind, gap in steps:
        if not open_target(gap.target, kind):
            continue
        chosen = choose(persona.followups, kind, gap.target, level,
                        fills_for(gap.target, base, assessment, story), used)
        if chosen:
            fu, text = chosen
            return PlannedQuestion(round=round_kind, text=text, question_id=fu.id, target=gap.target,
                                   note=_note(assessment, gap, round_kind))
    # the library has nothing left for any gap: any unused follow-up that asks for nothing covered
    spare = [f for f in persona.followups if f.round is round_kind] + [
        f for f in persona.followups if f.round is not round_kind
    ]
    for fu in spare:
        target = fu.flag or fu.signal
        text = render(fu, fills_for(target, base, assessment, story) if target else base)
        if text and used.allows(fu.id, text) and suits(fu, level) and open_target(target or "", fu.round):
            gap = Gap(target or GENERAL_CHALLENGE, "library exhausted for the round's gaps")
            return PlannedQuestion(round=round_kind, text=text, question_id=fu.id, target=target,
                                   note=_note(assessment, gap, round_kind))
    text, target = _last_resort(round_kind, used, covered)
    gap = Gap(target or GENERAL_CHALLENGE, "no follow-up left")
    return PlannedQuestion(round=round_kind, text=text, question_id=None, target=gap.target,
                           note=_note(assessment, gap, round_kind))


def _missing(gap: Gap, assessment: Assessment) -> bool:
    """A gap the story leaves open: a flag, a signal below "present", or a level rule (staff prevention)."""
    signal = asks_for(gap.target)
    return signal is None or _score(assessment, signal) < PRESENT_SCORE or gap.why.startswith("staff")


def _rounds_for(signal: str, persona: Persona) -> list[RoundKind]:
    """The rounds whose follow-ups may ask for `signal` (the persona's focus first, then the defaults)."""
    kinds = [k for k, sids in persona.focus.items() if signal in sids]
    kinds += [k for k, sids in ROUND_SIGNALS.items() if signal in sids and k not in kinds]
    return kinds


# --- gaps ---------------------------------------------------------------------------------


def _score(assessment: Assessment, signal: str) -> int:
    return int(assessment.scores.get(signal, 0))


def _lowest_first(assessment: Assessment, signals: Iterable[str]) -> list[Gap]:
    order = list(signals)
    ranked = sorted(order, key=lambda s: (_score(assessment, s), order.index(s)))
    return [Gap(s, f"{s} scored {_score(assessment, s)}") for s in ranked]


def rank_gaps(round_kind: RoundKind, assessment: Assessment, level: Level,
              focus: Sequence[str] | None = None) -> list[Gap]:
    """The targets this round may press on, biggest gap first (see the module docstring for the order).

    Outside the curveball round a signal already covered well is not a gap. `focus` replaces the round's
    own signal list (a persona's plan).
    """
    if round_kind is RoundKind.opening:
        return []
    signals = tuple(focus) if focus else ROUND_SIGNALS.get(round_kind, ())
    gaps: list[Gap] = []
    if round_kind is RoundKind.probe:
        if not focus and _score(assessment, "timeline") < PRESENT_SCORE:
            gaps.append(Gap("timeline", "no timeline yet"))
        gaps += _lowest_first(assessment, signals)
    elif round_kind is RoundKind.constraint:
        gaps += _lowest_first(assessment, signals)
    elif round_kind is RoundKind.curveball:
        for flag in CURVEBALL_FLAGS:
            if assessment.flags.get(flag):
                gaps.append(Gap(flag, f"{flag} flag raised"))
        claims = tuple(focus) if focus else CURVEBALL_CLAIMS
        ranked = sorted((s for s in claims if _score(assessment, s) >= 1),
                        key=lambda s: (-_score(assessment, s), claims.index(s)))
        gaps += [Gap(s, f"challenge the {s} claim (scored {_score(assessment, s)})") for s in ranked]
        gaps.append(Gap(GENERAL_CHALLENGE, "challenge a decision"))
    elif round_kind is RoundKind.synthesis:
        if "no_prevention" in assessment.flags:
            gaps.append(Gap("no_prevention", "the story ends when service is restored"))
        if _score(assessment, "prevention") < PRESENT_SCORE:
            gaps.append(Gap("prevention", "no prevention yet"))
        elif level is Level.staff and _score(assessment, "prevention") < COVERED_SCORE:
            gaps.append(Gap("prevention", "staff: prevention does not yet reach a class of incidents"))
        gaps += _lowest_first(assessment, signals)
    if round_kind is not RoundKind.curveball:
        gaps = [g for g in gaps if asks_for(g.target) is None or _score(assessment, asks_for(g.target)) < COVERED_SCORE]
    # keep the first occurrence of each target
    seen: set[str] = set()
    return [g for g in gaps if not (g.target in seen or seen.add(g.target))]


def _last_resort(round_kind: RoundKind, used: Used, covered: set[str]) -> tuple[str, str | None]:
    options = LAST_RESORT.get(round_kind, ()) + tuple(t for r in LAST_RESORT.values() for t in r)
    for text, target in options:
        if used.allows(None, text) and target not in covered:
            return text, target
    text = options[-1][0]
    n = 2
    while not used.allows(None, f"{text} ({n})"):
        n += 1
    return f"{text} ({n})", None


# --- the private note ----------------------------------------------------------------------


def _note(assessment: Assessment, gap: Gap, round_kind: RoundKind) -> InterviewerNote:
    """Strong points heard so far, what to press in later rounds, and the gap this question presses."""
    strong = []
    for sid in sorted(assessment.scores, key=lambda s: -_score(assessment, s)):
        if _score(assessment, sid) >= STRONG_SCORE:
            quote = (assessment.evidence.get(sid) or [""])[0]
            strong.append(f"{sid} ({_score(assessment, sid)}): {short(quote)}" if quote else sid)
    later_rounds = _rounds_after(round_kind)
    press: list[str] = []
    for flag, quotes in assessment.flags.items():
        if flag != gap.target and quotes:
            press.append(f"flag {flag}: {short(quotes[0])}")
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
