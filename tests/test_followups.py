"""Follow-ups a coach would recognise: nothing covered is asked again, words said back in their role,
curveball families grounded in the story, and a plan per persona.

The stories are written for these tests; most run the real detectors (`assess`), as the interview does.
"""

from __future__ import annotations

import pytest

from interviewer.grading import assess
from interviewer.grading.assessment import Assessment, Entities
from interviewer.interview.engine import COVERED_SCORE, asks_for, plan_next
from interviewer.interview.followups import damage_numbers, ruled_out
from interviewer.llm.persona import similarity
from interviewer.models import SIGNAL_IDS, CurveballFamily, Level, Persona, RoundKind, Turn, candidate_text

PERSONAS = ("peer", "bar-raiser", "exec")
NEUTRAL = "I don't remember more than that."
# a story that covers almost everything well, with a healthy baseline and a ruled-out first suspect
STRONG = (
    "At 09:12 on a Tuesday our p99 latency on the checkout API went from 200 ms to 4 s and about 30 percent of "
    "orders failed for 25 minutes. The latency alert paged me. My first suspicion was the payments database, "
    "but it was not the payments database: its CPU and query times were flat. The traces showed the new "
    "connection pool config capped connections at 10. I rolled back the config at 09:31 and latency recovered "
    "within two minutes. I posted updates in the incident channel every 15 minutes and the support lead relayed "
    "them to customers. The cause was a config change that skipped our load test. We added a load test gate to "
    "the pipeline and an alert on pool saturation, and it caught a similar change last month. Next time I would "
    "roll back first instead of debugging."
)
THIN = "Our search went down once. We restarted it and it came back. Not much else to say."


def make(scores: dict[str, int] | None = None, evidence: dict[str, list[str]] | None = None,
         entities: Entities | None = None, flags: dict[str, list[str]] | None = None) -> Assessment:
    full = {s: 1 for s in SIGNAL_IDS}
    full.update(scores or {})
    return Assessment(scores=full, evidence={s: [] for s in SIGNAL_IDS} | (evidence or {}), flags=flags or {},
                      entities=entities or Entities())


def run_plan(persona: Persona, question, story: str, level: Level = Level.L5) -> list[Turn]:
    """The interviewer's questions for one story, every later answer neutral (as bench_followups does)."""
    turns: list[Turn] = []
    for round_kind in persona.rounds:
        planned = plan_next(round_kind, persona, question, turns, assess(candidate_text(turns)), level)
        turns.append(Turn(index=len(turns), round=round_kind, question=planned.text,
                          question_id=planned.question_id, target=planned.target,
                          answer=story if not turns else NEUTRAL))
    return turns


@pytest.fixture(scope="module")
def question(catalog):
    return catalog.question("incident-classic")


@pytest.fixture(scope="module")
def strong_runs(catalog, question) -> dict[str, list[Turn]]:
    return {pid: run_plan(catalog.persona(pid), question, STRONG) for pid in PERSONAS}


# --- nothing covered is asked again, nothing is repeated --------------------------------------


def test_a_strong_story_is_never_asked_for_what_it_covered(catalog, strong_runs):
    scores = assess(STRONG).scores
    covered = {s for s, v in scores.items() if v >= COVERED_SCORE}
    assert {"timeline", "detection", "mitigation", "prevention"} <= covered  # the story is what we think
    for pid, turns in strong_runs.items():
        library = {f.id: f for f in catalog.persona(pid).followups}
        for t in turns[1:]:
            fu = library.get(t.question_id or "")
            if t.round is RoundKind.curveball or (fu is not None and fu.round is RoundKind.curveball):
                continue  # a challenge to a solid part, on purpose
            assert asks_for(t.target) not in covered, f"{pid}: {t.question}"
        assert not any("timeline" in t.question.lower() for t in turns[1:]), pid


def test_no_follow_up_repeats_an_earlier_question(strong_runs, catalog, question):
    runs = list(strong_runs.values()) + [run_plan(catalog.persona(p), question, THIN) for p in PERSONAS]
    for turns in runs:
        ids = [t.question_id for t in turns if t.question_id]
        assert len(ids) == len(set(ids))
        for i, t in enumerate(turns):
            assert all(similarity(t.question, e.question) < 0.8 for e in turns[:i]), t.question


def test_a_part_the_candidate_had_nothing_more_on_is_not_pressed_twice(catalog, question):
    turns = run_plan(catalog.persona("peer"), question, THIN)
    targets = [t.target for t in turns[1:]]
    assert len(targets) == len(set(targets)), targets


# --- words said back only in their role --------------------------------------------------------


def test_a_healthy_baseline_is_never_quoted_as_the_damage(catalog, question, strong_runs):
    said = "At noon p99 latency on the checkout API went from 200 ms to 4 s for most requests."
    a = make({"impact": 4, "mitigation": 0, "root_cause": 0, "diagnosis": 0, "detection": 0, "ownership": 0},
             evidence={"impact": [said]}, entities=Entities(numbers=["200 ms", "4 s"]))
    assert damage_numbers(a) == ["4 s"]
    for pid in PERSONAS:
        planned = plan_next(RoundKind.curveball, catalog.persona(pid), question, [], a, Level.L5)
        assert "200 ms" not in planned.text, pid
    for turns in strong_runs.values():
        assert not any("200 ms" in t.question for t in turns)


def test_a_clock_time_in_words_is_not_the_damage():
    said = "A clinic manager rang in at seven minutes past eight, and about 1,100 clinics were affected."
    a = make(evidence={"impact": [said]}, entities=Entities(numbers=["seven minutes", "1,100 clinics"]))
    assert damage_numbers(a) == ["1,100 clinics"]
    a = make(evidence={"impact": ["We pushed a zone update about two hours before."]},
             entities=Entities(numbers=["two hours"]))
    assert damage_numbers(a) == []


def test_a_system_the_story_rules_out_is_not_named_as_where_it_broke(catalog, question):
    story = ("We first suspected the payments database, but the payments database was fine. The ledger "
             "queue had stalled.")
    assert ruled_out("the payments database", story) and not ruled_out("The ledger queue", story)
    a = make({"diagnosis": 0}, entities=Entities(systems=["the payments database", "The ledger queue"]))
    turns = [Turn(index=0, round=RoundKind.opening, question=question.text, question_id=question.id, answer=story)]
    for pid in PERSONAS:
        for kind in (RoundKind.probe, RoundKind.constraint, RoundKind.synthesis):
            planned = plan_next(kind, catalog.persona(pid), question, turns, a, Level.L5)
            assert "payments database" not in planned.text, (pid, kind, planned.text)


# --- curveball families ---------------------------------------------------------------------

FAMILY_EVIDENCE = {
    CurveballFamily.counterfactual: ("mitigation", "I rolled back the config at 09:31"),
    CurveballFamily.root_depth: ("root_cause", "The cause was a config change that skipped our load test"),
    CurveballFamily.credit: ("ownership", "I made the call to fail over to the second region"),
    CurveballFamily.detection: ("detection", "A support agent told me customers could not log in"),
}


@pytest.mark.parametrize("family", list(FAMILY_EVIDENCE))
def test_each_curveball_family_challenges_the_candidates_own_words(catalog, question, family):
    signal, said = FAMILY_EVIDENCE[family]
    a = make({signal: 4}, evidence={signal: [said]})
    for pid in PERSONAS:
        planned = plan_next(RoundKind.curveball, catalog.persona(pid), question, [], a, Level.L5)
        fu = next(f for f in catalog.persona(pid).followups if f.id == planned.question_id)
        assert fu.family is family, (pid, planned.question_id)
        assert f'"{said}"' in planned.text, planned.text


def test_the_scale_family_quotes_the_damage_not_the_baseline(catalog, question):
    said = "p99 went from 200 ms to 4 s and 30 percent of orders failed"
    a = make({"impact": 4}, evidence={"impact": [said]}, entities=Entities(numbers=["200 ms", "4 s", "30 percent"]))
    for pid in PERSONAS:
        planned = plan_next(RoundKind.curveball, catalog.persona(pid), question, [], a, Level.L5)
        fu = next(f for f in catalog.persona(pid).followups if f.id == planned.question_id)
        assert fu.family is CurveballFamily.scale, pid
        assert "30 percent" in planned.text and "200 ms" not in planned.text and "ten times" in planned.text \
            or "busiest day" in planned.text


# --- a plan per persona ----------------------------------------------------------------------


def test_the_bar_raiser_spends_two_rounds_on_the_failure_chain(catalog, question):
    turns = run_plan(catalog.persona("bar-raiser"), question, THIN)
    probes = [t for t in turns if t.round is RoundKind.probe]
    assert len(probes) == 2
    assert {t.target for t in probes} <= {"timeline", "diagnosis", "root_cause", "detection"}
    assert probes[0].target != probes[1].target


def test_the_exec_skips_the_technical_probe_and_presses_on_customers(catalog, question):
    turns = run_plan(catalog.persona("exec"), question, THIN)
    assert RoundKind.probe not in {t.round for t in turns}
    assert not any("-probe-" in (t.question_id or "") for t in turns)
    constraint = [t for t in turns if t.round is RoundKind.constraint]
    assert len(constraint) == 2
    on_customers = [t for t in constraint if t.target == "impact"]
    assert on_customers and any(w in on_customers[0].question.lower() for w in ("customer", "risk", "cost"))


def test_the_quote_is_the_sentence_most_particular_to_the_part_challenged():
    from interviewer.interview.followups import most_specific, short
    both = "I checked the model registry and saw the new model."
    own = "So I paused the campaign by hand."
    a = make(evidence={"mitigation": [both, own], "diagnosis": [both]})
    assert most_specific([both, own], "mitigation", a) == own
    # a first clause that only says when is skipped; a long clause is cut at a word boundary
    assert short("The same afternoon, I rolled back the config and paused the pipeline until it shipped.") == \
        "I rolled back the config and paused the pipeline until it shipped"
    assert short("The same afternoon, I rolled back the config and paused every pipeline until the fix had "
                 "shipped to all regions.") == "I rolled back the config and paused every pipeline until the fix..."
    assert short("I fixed it myself, I stayed up all night and saved the day alone.") == "I fixed it myself"


def test_a_count_is_not_said_back_as_a_system_and_the_first_impact_figure_leads():
    from interviewer.interview.followups import fills
    a = make(evidence={"impact": ["The panel was unusable for 25 minutes.", "25% was a number from elsewhere."]},
             entities=Entities(systems=["300 services", "the customer panel"], numbers=["25%", "25 minutes",
                                                                                       "300 services"]))
    values = fills(a, "")
    assert values["system"] == "the customer panel"
    assert values["number"] == "25 minutes"
