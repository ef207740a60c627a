"""Audit the offline interviewer's follow-ups against the labeled corpus: today's engine and the new one.

Every labeled answer in tests/data/corpus is played through each persona's round plan: the answer is the
opening story, and every later answer is the same short neutral line ("I don't remember more than that.").
Each follow-up the planner asks is then checked against the gold labels (two independent label passes,
adjudicated), never against the detectors the planner itself reads:

(a) covered: it asks for a signal the gold labels already score 3 or more. The signal a follow-up asks for
    is its target; a target flag counts as the signal it asks about (no_prevention: prevention, vague:
    impact). Curveballs are left out of (a) (a curveball round, or a curveball follow-up from the persona's
    library asked in another round): they challenge a solid part of the story on purpose.
(b) out of role: it quotes a number or a name from the story in a role the story did not give it. A number
    is quoted back as a figure of the damage only when a gold labeler cites its sentence as impact evidence
    (or as evidence of the signal asked about), and never when the story gives it as the healthy baseline
    ("from 200 ms to 4 s": 200 ms), the usual level, or a threshold. A system is out of role when the story
    only names it to rule it out ("it wasn't the database") and no labeler cites it for the impact, cause or
    mitigation. A person only from blame evidence when the question challenges blame.
(c) repeat: the same follow-up id, the same words, or a near repeat (the LLM phraser's similarity test).

"today" is the planner and persona files of commit d970f6b, read with `git show` into a module that only
this benchmark imports; "new" is the working tree. Tune only on `--split train`; the held-out figure is the
one to report. Run from the repository root:

    .venv/bin/python bench/bench_followups.py --split heldout
    .venv/bin/python bench/bench_followups.py --split train --per-author 4
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import yaml

from interviewer.catalog import load_catalog
from interviewer.grading import assess
from interviewer.grading import corpus as cp
from interviewer.grading.assessment import Assessment
from interviewer.interview import engine as new_engine
from interviewer.llm.persona import similarity
from interviewer.models import Level, Persona, RoundKind, Turn, candidate_text

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus"
BASELINE_COMMIT = "d970f6b"
PERSONAS = ("peer", "bar-raiser", "exec")
NEUTRAL = "I don't remember more than that."
COVERED = 3.0
TARGET_RATE = 0.05
REPEAT_SIMILARITY = 0.8
FLAG_ASKS = {"no_prevention": "prevention", "vague": "impact"}
# a number given as the healthy level, the old value or a limit, not as the damage
BASELINE_CUE = re.compile(
    r"(?:\bfrom|\bnormally|\busually|\btypically|\bbaseline(?:\s+of)?|\binstead\s+of|\bdown\s+from|\bup\s+from"
    r"|\bnormal(?:ly)?\s+(?:is|was|of|at)|\bthreshold(?:\s+of|\s+at|\s+was)?|\bbelow|\bunder|\blimit(?:\s+of)?"
    r"|\bsla\s+(?:of|is|was)|\btarget(?:\s+of|\s+is|\s+was)?)\s+(?:about\s+|around\s+|roughly\s+|~)?$",
    re.I,
)
QUOTED = re.compile(r"[\"\u201c][^\"\u201c\u201d]*[\"\u201d]")
POSSESSIVE = re.compile(r"^(?:our|my|your|the)\s+", re.I)
RULED_OUT = re.compile(r"\b(?:not|wasn't|was not|isn't|ruled out|fine|healthy|red herring|innocent)\b", re.I)


@dataclass
class Tally:
    followups: int = 0
    eligible_a: int = 0
    challenges: int = 0  # curveballs: left out of (a), shown so the share is visible
    untold: int = 0  # challenges aimed at a part the gold labels say was not told (below 2): shown, not a target
    covered: int = 0
    out_of_role: int = 0
    repeats: int = 0
    examples: dict[str, list[str]] = field(default_factory=lambda: {"a": [], "b": [], "c": []})

    def rate(self, n: int, d: int) -> str:
        return f"{n}/{d} ({(n / d if d else 0.0):.1%})"


def load_baseline() -> tuple[ModuleType, dict[str, Persona]] | None:
    """Today's planner and persona files, from git, importable only here."""
    try:
        src = subprocess.run(["git", "show", f"{BASELINE_COMMIT}:interviewer/interview/engine.py"], cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout
        personas = {}
        for pid in PERSONAS:
            raw = subprocess.run(["git", "show", f"{BASELINE_COMMIT}:personas/{pid}.yaml"], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout
            personas[pid] = Persona.model_validate(yaml.safe_load(raw))
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"baseline {BASELINE_COMMIT} not readable from git ({e}); measuring the new engine only")
        return None
    name = "interviewer.interview._engine_baseline"
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "interviewer.interview"
    sys.modules[name] = module
    exec(compile(src, f"{BASELINE_COMMIT}:engine.py", "exec"), module.__dict__)
    return module, personas


_assessed: dict[str, Assessment] = {}


def assessed(text: str) -> Assessment:
    if text not in _assessed:
        _assessed[text] = assess(text)
    return _assessed[text]


def interview(plan_next: Callable, persona: Persona, question, story: str, level: Level) -> list[Turn]:
    """The offline interviewer's questions for one story, the later answers all neutral."""
    turns: list[Turn] = []
    for round_kind in persona.rounds:
        planned = plan_next(round_kind, persona, question, turns, assessed(candidate_text(turns)), level)
        answer = story if not turns else NEUTRAL
        turns.append(Turn(index=len(turns), round=round_kind, question=planned.text,
                          question_id=planned.question_id, target=planned.target, answer=answer))
    return turns


def _sentences_citing(gold: cp.Gold, keys: tuple[str, ...]) -> list[str]:
    return [q for lab in gold.labels for k in keys for q in lab.evidence_for(k)]


def _story_sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def number_in_role(number: str, gold: cp.Gold, target: str | None) -> bool:
    """A number quoted back must be cited by a labeler for the signal asked about (impact when the question
    is about the damage) and must not be the story's baseline, usual level or threshold."""
    story = gold.answer.text
    for m in re.finditer(re.escape(number), story, re.I):
        if BASELINE_CUE.search(story[max(0, m.start() - 40) : m.start()]):
            return False
    keys = ("impact",) if target in (None, "impact", "challenge", "vague") else (target, "impact")
    return any(number.lower() in s.lower() for s in _sentences_citing(gold, keys))


def system_in_role(system: str, gold: cp.Gold) -> bool:
    """A system is said back as part of what broke unless the story only names it to rule it out (and no
    labeler cites it for the impact, the cause or the mitigation)."""
    bare = POSSESSIVE.sub("", system).lower()
    if any(bare in s.lower() for s in _sentences_citing(gold, ("impact", "root_cause", "mitigation"))):
        return True
    named = [s for s in _story_sentences(gold.answer.text) if bare in s.lower()]
    return not (named and all(RULED_OUT.search(s) for s in named))


def out_of_role(turn: Turn, gold: cp.Gold, story_assessment: Assessment) -> str | None:
    """The number or name quoted outside its role in the story, if any."""
    q = QUOTED.sub('""', turn.question)  # their own words, quoted whole, keep the role they gave them
    ent = story_assessment.entities
    for number in sorted(ent.numbers, key=len, reverse=True):
        quoted = number and re.search(rf"(?<!\w){re.escape(number)}(?!\w)", q, re.I)
        if quoted and not number_in_role(number, gold, turn.target):
            return number
    for system in ent.systems:
        bare = POSSESSIVE.sub("", system)
        if len(bare) > 3 and re.search(rf"(?<!\w){re.escape(bare)}(?!\w)", q, re.I) and not system_in_role(system, gold):
            return system
    if turn.target == "blame":
        blamed = " ".join(_sentences_citing(gold, ("blame",)))
        for person in ent.people:
            if re.search(rf"\b{re.escape(person)}\b", q) and person not in blamed:
                return person
    return None


def asks_covered(turn: Turn, gold: cp.Gold) -> str | None:
    target = FLAG_ASKS.get(turn.target or "", turn.target)
    if target in gold.score and gold.score[target] >= COVERED:
        return target
    return None


def audit(turns: list[Turn], gold: cp.Gold, persona: Persona, tally: Tally, tag: str) -> None:
    story_assessment = assessed(gold.answer.text)
    library = {f.id: f for f in persona.followups}
    asked: list[Turn] = [turns[0]]
    for turn in turns[1:]:
        tally.followups += 1
        used = library.get(turn.question_id or "")
        challenge = turn.round is RoundKind.curveball or (used is not None and used.round is RoundKind.curveball)
        tally.challenges += challenge
        if challenge and turn.target in gold.score and gold.score[turn.target] < 2:
            tally.untold += 1
        if not challenge:
            tally.eligible_a += 1
            hit = asks_covered(turn, gold)
            if hit:
                tally.covered += 1
                tally.examples["a"].append(f"{tag} [{hit} {gold.score[hit]:.1f}] {turn.question}")
        bad = out_of_role(turn, gold, story_assessment)
        if bad:
            tally.out_of_role += 1
            tally.examples["b"].append(f"{tag} [{bad!r}] {turn.question}")
        if any(turn.question_id and turn.question_id == t.question_id or similarity(turn.question, t.question)
               >= REPEAT_SIMILARITY for t in asked):
            tally.repeats += 1
            tally.examples["c"].append(f"{tag} {turn.question}")
        asked.append(turn)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("train", "heldout", "both"), default="heldout")
    ap.add_argument("--per-author", type=int, default=0, help="at most N answers per author (0: all)")
    ap.add_argument("--examples", type=int, default=3, help="show up to N failing follow-ups per check")
    args = ap.parse_args()
    split = {a.id: a.split for a in cp.load_authors(CORPUS)}
    wanted = ("train", "heldout") if args.split == "both" else (args.split,)
    catalog = load_catalog(ROOT)  # this checkout's persona files, whatever an installed package holds
    question = catalog.question("incident-classic")
    engines: dict[str, tuple[Callable, dict[str, Persona]]] = {}
    baseline = load_baseline()
    if baseline is not None:
        engines[f"today ({BASELINE_COMMIT})"] = (baseline[0].plan_next, baseline[1])
    engines["new"] = (new_engine.plan_next, {p: catalog.persona(p) for p in PERSONAS})
    started = time.monotonic()
    for which in wanted:
        golds, per = [], {}
        for g in cp.load_gold(CORPUS):
            if split.get(g.answer.author) == which and (not args.per_author or per.get(g.answer.author, 0) <
                                                          args.per_author):
                per[g.answer.author] = per.get(g.answer.author, 0) + 1
                golds.append(g)
        print(f"\n{which} authors: {len(golds)} answers by {len(per)} authors x {len(PERSONAS)} personas")
        for label, (plan_next, personas) in engines.items():
            tally = Tally()
            for g in golds:
                for pid in PERSONAS:
                    persona = personas[pid]
                    turns = interview(plan_next, persona, question, g.answer.text, persona.level)
                    audit(turns, g, persona, tally, f"{g.answer.id}/{pid}")
            print(f"  {label:16s} follow-ups {tally.followups:4d} (challenges {tally.challenges:4d}, on an untold part {tally.untold:3d})   (a) covered {tally.rate(tally.covered, tally.eligible_a)}"
                  f"   (b) out of role {tally.rate(tally.out_of_role, tally.followups)}"
                  f"   (c) repeats {tally.rate(tally.repeats, tally.followups)}")
            for key in "abc":
                for line in tally.examples[key][: args.examples]:
                    print(f"      ({key}) {line}")
    print(f"\n(target: each under {TARGET_RATE:.0%} on held-out authors; {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
