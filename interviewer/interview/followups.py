"""Choosing a follow-up from a persona's library and filling it with the candidate's own words.

Pure functions used by the round engine (`engine.plan_next`). Words are only said back in the role they
played in the story:
- {number} is a figure of the damage: a quantity inside the impact evidence that the story does not give as
  the healthy baseline, the usual level or a limit ("p99 went from 200 ms to 4 s": 4 s, never 200 ms) and
  that is not a point in time ("two hours before");
- {system} is a system the story names in the part asked about, never one the story rules out ("it wasn't
  the database");
- {person} is only someone the evidence for the part asked about names (so a blame challenge names whoever
  was blamed, or nobody); {quote} is the candidate's own words from that evidence.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from ..grading.assessment import Assessment
from ..grading.detectors import time_expressions
from ..models import FollowUp, Level, RoundKind

PLACEHOLDERS = ("system", "number", "quote", "person")
SELF_POSSESSIVE_RX = re.compile(r"^(?:our|my)\s+", re.IGNORECASE)
MAX_QUOTE_WORDS = 12  # a longer phrase is cut to its first clause, or at a word boundary, before it is echoed
MIN_CLAUSE_WORDS = 3  # a first clause shorter than this is not a useful quote on its own
GENERAL_CHALLENGE = "challenge"  # the target of a curveball follow-up with neither signal nor flag
# a number right after one of these is the healthy level, the old value or a limit, not the damage
BASELINE_BEFORE_RX = re.compile(
    r"(?:\bfrom|\bnormally|\busually|\btypically|\bbaseline(?:\s+of)?|\binstead\s+of|\bdown\s+from|\bup\s+from"
    r"|\bnormal(?:ly)?\s+(?:is|was|of|at)|\bthreshold(?:\s+of|\s+at|\s+was)?|\bbelow|\bunder|\blimit(?:\s+of)?"
    r"|\bsla\s+(?:of|is|was)|\btarget(?:\s+of|\s+is|\s+was)?|\bbudget\s+of)\s+(?:about\s+|around\s+|roughly\s+|~)?$",
    re.IGNORECASE,
)
BASELINE_WINDOW = 40  # characters before a number searched for a baseline cue
CLOCK_RX = re.compile(r"^\s*\d{1,2}:\d{2}")
# a sentence naming a system this way rules it out as the broken part
RULED_OUT_RX = re.compile(
    r"\b(?:not|wasn't|was not|isn't|weren't|ruled\s+out|red\s+herring|was\s+fine|were\s+fine|looked\s+fine|"
    r"healthy|innocent|flat)\b",
    re.IGNORECASE,
)
SENTENCE_RX = re.compile(r"[^.!?\n]+[.!?]?")
ACTED_SIGNALS = ("mitigation", "ownership")  # parts of the story that are things the candidate did
FIRST_PERSON_RX = re.compile(r"\b(?:I|we)\b", re.IGNORECASE)
# a duration reads less well as "the damage" than a share, a count or money ("30 percent", "1,100 clinics")
DURATION_RX = re.compile(r"\b(?:ms|milli\w*|s|secs?|seconds?|mins?|minutes?|hours?|hrs?|days?|weeks?|months?)$",
                         re.IGNORECASE)
# a number followed by one of these is a point in time ("seven minutes past eight", "two hours before")
TIME_POINT_AFTER_RX = re.compile(r"^\s+(?:past|after|before|later|ago|earlier|in\b|into|to\s+\w+\b)",
                                 re.IGNORECASE)


@dataclass(frozen=True)
class Used:
    """What has been asked already: follow-up ids and normalized question texts."""

    ids: frozenset[str]
    texts: frozenset[str]

    def allows(self, fu_id: str | None, text: str) -> bool:
        return (fu_id is None or fu_id not in self.ids) and norm(text) not in self.texts


# --- roles: which of the candidate's words may be said back, and as what ------------------------


def is_baseline(number: str, text: str) -> bool:
    """True when `text` gives `number` as the healthy level, the old value or a limit, anywhere it occurs."""
    found = False
    for m in re.finditer(rf"(?<!\w){re.escape(number)}(?!\w)", text, re.IGNORECASE):
        found = True
        if not BASELINE_BEFORE_RX.search(text[max(0, m.start() - BASELINE_WINDOW) : m.start()]):
            return False
    return found


def is_time_point(number: str, text: str) -> bool:
    """True when `text` uses `number` as a point in time ("seven minutes past eight"), not an amount."""
    if CLOCK_RX.match(number):
        return True
    return any(TIME_POINT_AFTER_RX.match(text[m.end():])
               for m in re.finditer(rf"(?<!\w){re.escape(number)}(?!\w)", text, re.IGNORECASE))


def damage_numbers(assessment: Assessment) -> list[str]:
    """Quantities the impact evidence gives as the damage (not baselines, limits or points in time)."""
    evidence = assessment.evidence.get("impact") or []
    said = " ".join(evidence)
    times = " ".join(assessment.time_anchors).lower()
    out = []
    for n in assessment.entities.numbers:
        n = n.strip()
        if not n or n not in said or is_baseline(n, said) or is_time_point(n, said) or n.lower() in times:
            continue
        out.append(n)
    # the grader's first impact sentence first; inside one sentence a share or a count before a duration
    first = {n: next(i for i, q in enumerate(evidence) if n in q) for n in out}
    return sorted(out, key=lambda n: (first[n], bool(DURATION_RX.search(n))))


def is_a_system(name: str, assessment: Assessment) -> bool:
    """A named system, not a count the detectors also read as one ("300 services")."""
    name = name.strip()
    return bool(name) and not name[0].isdigit() and not any(name in n or n in name
                                                            for n in assessment.entities.numbers if n.strip())


def ruled_out(system: str, story: str) -> bool:
    """True when every sentence naming `system` rules it out (so it is not where things broke)."""
    naming = [s for s in SENTENCE_RX.findall(story) if system.lower() in s.lower()]
    return bool(naming) and all(RULED_OUT_RX.search(s) for s in naming)


def fills(assessment: Assessment, story: str) -> dict[str, str]:
    """Placeholder values from the candidate's own words, each only in its role (see the module docstring)."""
    ent = assessment.entities
    out: dict[str, str] = {}
    systems = [s for s in ent.systems if is_a_system(s, assessment) and not ruled_out(s, story)]
    if systems:
        out["system"] = second_person(systems[0])
    damage = damage_numbers(assessment)
    if damage:
        out["number"] = damage[0]
    if ent.people:
        out["person"] = ent.people[0].strip()
    if ent.quotes:
        out["quote"] = short(ent.quotes[0])
    return {k: v for k, v in out.items() if v}


def fills_for(target: str, base: dict[str, str], assessment: Assessment, story: str) -> dict[str, str]:
    """Target-specific values: words from the target's own evidence are the most relevant to echo.

    A system or damage figure in the evidence wins over the first one named; a person is only named back
    when they appear in the evidence.
    """
    evidence = assessment.flags.get(target) or assessment.evidence.get(target) or []
    if not evidence:
        return {k: v for k, v in base.items() if k != "person"}
    said = " ".join(evidence)
    out = {**base, "quote": short(most_specific(evidence, target, assessment))}
    systems = [n for n in assessment.entities.systems
               if is_a_system(n, assessment) and n in said and not ruled_out(n, story)]
    if systems:
        out["system"] = second_person(systems[0])
    numbers = [n for n in damage_numbers(assessment) if n in said]
    if numbers:
        out["number"] = numbers[0]
    people = [n for n in assessment.entities.people if n.strip() and re.search(rf"\b{re.escape(n.strip())}\b", said)]
    if people:
        out["person"] = people[0].strip()
    else:
        out.pop("person", None)
    return out


def most_specific(evidence: list[str], target: str, assessment: Assessment) -> str:
    """The evidence sentence most particular to `target`: the one the grader cites for the fewest other
    signals ("I checked the registry" is diagnosis as much as mitigation; "I paused the campaign" is not).
    For what the candidate did (mitigation, ownership), a sentence where they are the ones acting first."""
    def rank(quote: str) -> tuple[int, bool]:
        shared = sum(quote in quotes for sid, quotes in assessment.evidence.items() if sid != target)
        return shared, target in ACTED_SIGNALS and not FIRST_PERSON_RX.search(quote)
    return min(evidence, key=rank)  # the first of the best, in the grader's order


# --- choosing and rendering ---------------------------------------------------------------------


def suits(fu: FollowUp, level: Level) -> bool:
    return not fu.levels or level in fu.levels


def aims_at(fu: FollowUp, target: str) -> bool:
    if target == GENERAL_CHALLENGE:
        return fu.signal is None and fu.flag is None
    return fu.flag == target or (fu.flag is None and fu.signal == target)


def choose(followups: list[FollowUp], round_kind: RoundKind, target: str, level: Level, values: dict[str, str],
           used: Used) -> tuple[FollowUp, str] | None:
    """The best unused follow-up for `target` in this round: level-specific first, then ones that can echo
    the candidate's words, then a curveball family, then library order."""
    options = [f for f in followups if f.round is round_kind and aims_at(f, target) and suits(f, level)]
    ranked = sorted(
        enumerate(options),
        key=lambda item: (not item[1].levels, not fillable(item[1].text, values), item[1].family is None, item[0]),
    )
    for _, fu in ranked:
        text = render(fu, values)
        if text and used.allows(fu.id, text):
            return fu, text
    return None


def template_fields(template: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError:  # unbalanced braces in a user file: treat the template as unusable
        return ["<invalid>"]


def fillable(template: str, values: dict[str, str]) -> bool:
    names = template_fields(template)
    return bool(names) and all(values.get(n) for n in names)


def render(fu: FollowUp, values: dict[str, str]) -> str | None:
    """The follow-up with its placeholders filled, its fallback when they can't be, or None."""
    for template in (fu.text, fu.fallback):
        if template is None:
            continue
        names = template_fields(template)
        if all(values.get(n) for n in names):
            return clean(template.format_map({n: values[n] for n in names}))
    return None


def second_person(name: str) -> str:
    """Say the candidate's system back from the interviewer's side: "our checkout service" -> "your ..."."""
    return SELF_POSSESSIVE_RX.sub("your ", name.strip(), count=1)


def short(quote: str) -> str:
    """A phrase short enough to say back: the whole quote, its first clause that says more than when it
    happened ("The same afternoon, I rolled back the config ..." -> "I rolled back the config ..."), or its
    first words."""
    words = quote.strip().strip("\"'").split()
    if len(words) <= MAX_QUOTE_WORDS:
        return " ".join(words).rstrip(".,;:!?")
    for clause in re.split(r"[,;:]\s|\s[-\u2013\u2014]\s", " ".join(words)):
        if _only_a_time(clause):
            continue
        if len(clause.split()) >= MIN_CLAUSE_WORDS:
            words = clause.split()  # the first clause that says something, cut at a word boundary if long
            if len(words) <= MAX_QUOTE_WORDS:
                return " ".join(words).rstrip(".,;:!?")
        break
    return " ".join(words[:MAX_QUOTE_WORDS]).rstrip(".,;:!?") + "..."


def _only_a_time(clause: str) -> bool:
    rest = clause
    for hit in time_expressions(clause):
        rest = rest.replace(hit.of(clause), " ")
    return len(re.findall(r"\w+", rest)) <= 1  # "The same afternoon", "At 09:12 on a Tuesday"


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()
