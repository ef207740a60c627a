"""The round engine: each gap rule, echoing the candidate's words, never repeating, level awareness.

Unit tests build `Assessment` objects directly (the engine is pure and takes them as input); the last few
run the real detectors on written answers.
"""

from __future__ import annotations

import copy

import pytest

from interviewer.grading import assess
from interviewer.grading.assessment import Assessment, Entities
from interviewer.interview.engine import (
    CONSTRAINT_SIGNALS,
    CURVEBALL_FLAGS,
    GENERAL_CHALLENGE,
    PROBE_SIGNALS,
    SYNTHESIS_SIGNALS,
    plan_next,
    rank_gaps,
)
from interviewer.models import SIGNAL_IDS, FollowUp, Level, Persona, RoundKind, Turn

LEVELS = list(Level)
ROUNDS_AFTER_OPENING = [RoundKind.probe, RoundKind.constraint, RoundKind.curveball, RoundKind.synthesis]


def make(scores: dict[str, int] | None = None, flags: dict[str, list[str]] | None = None,
         entities: Entities | None = None, evidence: dict[str, list[str]] | None = None) -> Assessment:
    """An assessment where every signal not given scores 3 (solid), so only the named gaps stand out."""
    full = {s: 3 for s in SIGNAL_IDS}
    full.update(scores or {})
    return Assessment(scores=full, evidence=evidence or {s: [] for s in SIGNAL_IDS}, flags=flags or {},
                      entities=entities or Entities())


def opening_turn(question) -> Turn:
    return Turn(index=0, round=RoundKind.opening, question=question.text, question_id=question.id,
                answer="We had an outage.")


@pytest.fixture
def peer(catalog) -> Persona:
    return catalog.persona("peer")


@pytest.fixture
def question(catalog):
    return catalog.question("incident-classic")


def plan(round_kind, persona, question, assessment, level=Level.L5, turns=None):
    return plan_next(round_kind, persona, question, turns if turns is not None else [opening_turn(question)],
                     assessment, level)


def test_opening_asks_the_bank_question(peer, question):
    planned = plan_next(RoundKind.opening, peer, question, [], make(), Level.L5)
    assert planned.round is RoundKind.opening
    assert planned.text == question.text.strip()
    assert planned.question_id == question.id
    assert planned.target is None


# --- the three rules from the issue ---------------------------------------------------------


def test_no_timeline_yet_asks_for_one(peer, question):
    # timeline absent outranks a diagnosis that scores even lower
    planned = plan(RoundKind.probe, peer, question, make({"timeline": 1, "diagnosis": 0}))
    assert planned.target == "timeline"
    assert planned.question_id.startswith("peer-probe-timeline")
    assert "timeline" in planned.text.lower() or "how long" in planned.text.lower()
    assert planned.note.gap == "timeline"


def test_with_a_timeline_the_probe_presses_the_weakest_technical_signal(peer, question):
    planned = plan(RoundKind.probe, peer, question, make({"timeline": 3, "diagnosis": 1, "detection": 2}))
    assert planned.target == "diagnosis"
    planned = plan(RoundKind.probe, peer, question, make({"timeline": 2, "detection": 0, "root_cause": 1}))
    assert planned.target == "detection"


def test_blame_heard_asks_what_in_the_system_allowed_it(catalog, question):
    a = make(flags={"blame": ["Priya pushed a broken config."]}, entities=Entities(people=["Priya"]))
    for pid in ("peer", "bar-raiser", "exec"):
        planned = plan(RoundKind.curveball, catalog.persona(pid), question, a)
        assert planned.target == "blame", pid
        assert "Priya" in planned.text, pid  # refers back to who they named
        assert planned.note.gap == "blame"


def test_blame_without_a_named_person_uses_the_fallback(peer, question):
    planned = plan(RoundKind.curveball, peer, question, make(flags={"blame": ["the other team broke it"]}))
    assert planned.target == "blame"
    assert "{" not in planned.text and "system" in planned.text.lower()


def test_blame_names_whoever_the_blame_quote_names(peer, question):
    # the detectors may list a capitalised word as a person; only someone in the blame quote is named back
    a = make(flags={"blame": ["Honestly Priya pushed a broken config."]},
             entities=Entities(people=["Something", "Priya"]))
    assert "Priya" in plan(RoundKind.curveball, peer, question, a).text
    a = make(flags={"blame": ["the other team broke it"]}, entities=Entities(people=["Something"]))
    planned = plan(RoundKind.curveball, peer, question, a)
    assert planned.target == "blame" and "Something" not in planned.text


def test_the_system_in_the_targeted_evidence_wins(catalog, question):
    a = make({"timeline": 0}, entities=Entities(systems=["the CDN", "the checkout API"]),
             evidence={**{s: [] for s in SIGNAL_IDS}, "timeline": ["the checkout API fell over at noon"]})
    planned = plan(RoundKind.probe, catalog.persona("bar-raiser"), question, a)
    assert "the checkout API" in planned.text and "the CDN" not in planned.text


def test_no_prevention_asks_what_changed(catalog, question):
    a = make({"prevention": 0}, flags={"no_prevention": ["and then it was back up."]})
    for pid in ("peer", "bar-raiser", "exec"):
        planned = plan(RoundKind.synthesis, catalog.persona(pid), question, a)
        assert planned.target == "no_prevention", pid
        assert "change" in planned.text.lower(), pid


def test_thin_prevention_without_the_flag_still_asks_for_prevention(peer, question):
    planned = plan(RoundKind.synthesis, peer, question, make({"prevention": 1, "reflection": 0}))
    assert planned.target == "prevention"


# --- the other rounds -----------------------------------------------------------------------


@pytest.mark.parametrize("weakest", CONSTRAINT_SIGNALS)
def test_constraint_presses_the_weakest_of_its_signals(peer, question, weakest):
    planned = plan(RoundKind.constraint, peer, question, make({weakest: 0}))
    assert planned.target == weakest
    assert planned.question_id.startswith(f"peer-constraint-{weakest.replace('_', '-')}")


def test_constraint_presses_its_own_missing_part_before_other_rounds(peer, question):
    planned = plan(RoundKind.constraint, peer, question, make({"timeline": 0, "prevention": 0, "ownership": 1}))
    assert planned.target == "ownership"


def test_a_part_told_but_thin_waits_behind_what_is_missing_and_a_challenge(peer, question):
    # ownership is present (2): something missing elsewhere comes first ...
    planned = plan(RoundKind.constraint, peer, question, make({"timeline": 0, "ownership": 2}))
    assert planned.target == "timeline"
    # ... and with nothing missing, the story is challenged (a curveball) before a present part is asked again
    planned = plan(RoundKind.constraint, peer, question, make({"ownership": 2}))
    fu = next(f for f in peer.followups if f.id == planned.question_id)
    assert fu.round is RoundKind.curveball and planned.target != "ownership"


@pytest.mark.parametrize("flag", CURVEBALL_FLAGS)
def test_curveball_challenges_each_framing_flag(peer, question, flag):
    planned = plan(RoundKind.curveball, peer, question, make(flags={flag: ["I fixed it myself."]}))
    assert planned.target == flag
    assert planned.question_id.startswith(f"peer-curveball-{flag}")


def test_curveball_flag_order_blame_then_hero_then_conflation(peer, question):
    both = make(flags={"hero": ["I alone"], "conflation": ["fixed"], "blame": ["ops broke it"]})
    assert plan(RoundKind.curveball, peer, question, both).target == "blame"
    assert plan(RoundKind.curveball, peer, question, make(flags={"hero": ["x"], "conflation": ["y"]})).target == "hero"
    hero = plan(RoundKind.curveball, peer, question, make(flags={"hero": ["x"]}))
    assert "who else" in hero.text.lower()
    conflation = plan(RoundKind.curveball, peer, question, make(flags={"conflation": ["y"]}))
    assert "fix" in conflation.text.lower()


def test_curveball_without_flags_challenges_the_strongest_claim(peer, question):
    a = make({"mitigation": 4, "root_cause": 2, "diagnosis": 1, "impact": 2},
             entities=Entities(systems=["the ledger service"]))
    planned = plan(RoundKind.curveball, peer, question, a)
    assert planned.target == "mitigation"
    assert "the ledger service" in planned.text


def test_curveball_with_nothing_to_challenge_asks_about_a_decision(peer, question):
    a = make({s: 0 for s in SIGNAL_IDS})
    planned = plan(RoundKind.curveball, peer, question, a)
    assert planned.target == GENERAL_CHALLENGE
    assert planned.question_id == "peer-curveball-decision"


def test_synthesis_presses_unmeasured_impact(peer, question):
    a = make({"impact": 1, "reflection": 2}, entities=Entities(numbers=["about 40 percent"]))
    planned = plan(RoundKind.synthesis, peer, question, a)
    assert planned.target == "impact"


def test_rank_gaps_documents_the_order():
    a = make({"timeline": 0, "diagnosis": 0, "root_cause": 1, "detection": 2})
    assert [g.target for g in rank_gaps(RoundKind.probe, a, Level.L5)] == list(PROBE_SIGNALS)
    a = make({"prevention": 2, "impact": 1, "reflection": 0})
    assert [g.target for g in rank_gaps(RoundKind.synthesis, a, Level.L5)] == ["reflection", "impact", "prevention"]
    assert rank_gaps(RoundKind.synthesis, a, Level.staff)[0].target == "prevention"
    assert {g.target for g in rank_gaps(RoundKind.synthesis, a, Level.L5)} == set(SYNTHESIS_SIGNALS)
    # a signal covered well (3 or more) is no gap outside the curveball, at any level
    a = make({"prevention": 3, "impact": 1, "reflection": 0})
    for level in LEVELS:
        assert [g.target for g in rank_gaps(RoundKind.synthesis, a, level)] == ["reflection", "impact"]


# --- the candidate's own words --------------------------------------------------------------


def test_refers_to_the_system_the_candidate_named(catalog, question):
    a = make({"timeline": 0}, entities=Entities(systems=["the search indexer"], numbers=["12 minutes"]))
    for pid in ("peer", "bar-raiser"):
        planned = plan(RoundKind.probe, catalog.persona(pid), question, a)
        assert "the search indexer" in planned.text, pid


def test_says_the_candidates_system_back_from_the_interviewers_side(catalog, question):
    a = make({"timeline": 0}, entities=Entities(systems=["our checkout service"]))
    planned = plan(RoundKind.probe, catalog.persona("peer"), question, a)
    assert "your checkout service" in planned.text
    assert "our checkout service" not in planned.text.replace("your checkout service", "")


def test_refers_to_the_number_the_candidate_named(catalog, question):
    a = make({"impact": 2, "mitigation": 0, "root_cause": 0, "diagnosis": 0, "detection": 0, "ownership": 0},
             entities=Entities(numbers=["300 merchants"]),
             evidence={**{s: [] for s in SIGNAL_IDS}, "impact": ["300 merchants could not take payments"]})
    planned = plan(RoundKind.curveball, catalog.persona("bar-raiser"), question, a)
    assert planned.target == "impact"
    assert "300 merchants" in planned.text


def test_echoes_the_candidates_own_phrase_cut_to_a_clause(catalog, question):
    a = make(flags={"hero": ["I fixed it myself, I stayed up all night and saved the day alone."]})
    for pid in ("peer", "bar-raiser", "exec"):
        planned = plan(RoundKind.curveball, catalog.persona(pid), question, a)
        assert planned.target == "hero"
        assert '"I fixed it myself"' in planned.text, pid


def test_placeholders_fall_back_when_the_candidate_named_nothing(catalog, question):
    for persona in catalog.personas.values():
        for round_kind in ROUNDS_AFTER_OPENING:
            for gap in [*SIGNAL_IDS, *CURVEBALL_FLAGS, "no_prevention"]:
                flags = {gap: ["quote"]} if gap in (*CURVEBALL_FLAGS, "no_prevention") else {}
                scores = {gap: 0} if gap in SIGNAL_IDS else {}
                for level in LEVELS:
                    planned = plan(round_kind, persona, question, make(scores, flags), level)
                    assert planned.text and "{" not in planned.text and "}" not in planned.text


# --- never repeats --------------------------------------------------------------------------


def test_never_repeats_a_question_by_id_or_text(peer, question):
    a = make({"timeline": 0})
    turns = [opening_turn(question)]
    seen_ids, seen_texts = set(), set()
    for i in range(60):  # far more probe rounds than the library holds: falls through to other follow-ups
        planned = plan(RoundKind.probe, peer, question, a, turns=turns)
        assert planned.text not in seen_texts, f"repeat at {i}: {planned.text}"
        assert planned.question_id is None or planned.question_id not in seen_ids
        seen_texts.add(planned.text)
        seen_ids.add(planned.question_id)
        turns.append(Turn(index=len(turns), round=RoundKind.probe, question=planned.text,
                          question_id=planned.question_id))


def test_a_question_already_asked_in_other_words_is_not_reused_by_id(peer, question):
    first = plan(RoundKind.probe, peer, question, make({"timeline": 0}))
    rephrased = Turn(index=1, round=RoundKind.probe, question="So, walk me through the clock times?",
                     question_id=first.question_id)
    second = plan(RoundKind.probe, peer, question, make({"timeline": 0}),
                  turns=[opening_turn(question), rephrased])
    assert second.question_id != first.question_id
    assert second.target == "timeline"  # still the biggest gap, different follow-up


def test_a_question_already_asked_with_the_same_text_is_not_reused(peer, question):
    first = plan(RoundKind.probe, peer, question, make({"timeline": 0}))
    same_text = Turn(index=1, round=RoundKind.probe, question=first.text.upper(), question_id=None)
    second = plan(RoundKind.probe, peer, question, make({"timeline": 0}),
                  turns=[opening_turn(question), same_text])
    assert second.question_id != first.question_id


def test_a_persona_with_no_follow_ups_still_asks_something_new(peer, question):
    bare = peer.model_copy(update={"followups": []})
    turns = [opening_turn(question)]
    texts = set()
    for round_kind in ROUNDS_AFTER_OPENING * 3:
        planned = plan(round_kind, bare, question, make({"timeline": 0}), turns=turns)
        assert planned.text not in texts
        texts.add(planned.text)
        turns.append(Turn(index=len(turns), round=round_kind, question=planned.text))


def test_a_follow_up_with_an_unknown_placeholder_and_no_fallback_is_skipped(peer, question):
    broken = FollowUp(id="x-broken", round=RoundKind.probe, signal="timeline", text="When did {servcie} fail?")
    persona = peer.model_copy(update={"followups": [broken, *peer.followups]})
    planned = plan(RoundKind.probe, persona, question, make({"timeline": 0}))
    assert planned.question_id != "x-broken" and "{" not in planned.text


# --- level ----------------------------------------------------------------------------------


def test_staff_is_asked_about_class_of_incident_prevention(catalog, question):
    a = make({"prevention": 2, "reflection": 1, "impact": 1})
    for pid in ("peer", "bar-raiser", "exec"):
        persona = catalog.persona(pid)
        staff = plan(RoundKind.synthesis, persona, question, a, Level.staff)
        assert staff.target == "prevention", pid
        fu = next(f for f in persona.followups if f.id == staff.question_id)
        assert Level.staff in fu.levels, pid
        l5 = plan(RoundKind.synthesis, persona, question, a, Level.L5)
        assert l5.target in ("reflection", "impact"), pid


def test_staff_only_follow_ups_never_reach_lower_levels(catalog, question):
    staff_ids = {f.id for p in catalog.personas.values() for f in p.followups if f.levels == [Level.staff]}
    assert staff_ids
    for persona in catalog.personas.values():
        for level in (Level.L3, Level.L4, Level.L5):
            turns = [opening_turn(question)]
            for _ in range(40):
                planned = plan(RoundKind.synthesis, persona, question, make({"prevention": 0}), level, turns)
                assert planned.question_id not in staff_ids
                turns.append(Turn(index=len(turns), round=RoundKind.synthesis, question=planned.text,
                                  question_id=planned.question_id))


# --- notes and purity -----------------------------------------------------------------------


def test_note_records_strong_points_things_to_press_and_the_gap(peer, question):
    a = make({"impact": 4, "timeline": 0, "communication": 0, "prevention": 1},
             flags={"blame": ["the DBA dropped the index"]},
             evidence={**{s: [] for s in SIGNAL_IDS}, "impact": ["a third of all logins failed for an hour"]})
    planned = plan(RoundKind.probe, peer, question, a)
    note = planned.note
    assert note.gap == "timeline"
    assert any("a third of all logins failed" in s for s in note.strong)
    assert any(p.startswith("flag blame") for p in note.press_later)
    assert any(p.startswith("communication") for p in note.press_later)
    assert any(p.startswith("prevention") for p in note.press_later)
    assert not any(p.startswith("timeline") for p in note.press_later)


def test_plan_next_does_not_touch_its_inputs(peer, question):
    a = make({"timeline": 0}, flags={"blame": ["x"]}, entities=Entities(systems=["the API"]))
    turns = [opening_turn(question)]
    before = (copy.deepcopy(a), [t.model_copy(deep=True) for t in turns], peer.model_copy(deep=True))
    first = plan(RoundKind.probe, peer, question, a, turns=turns)
    again = plan(RoundKind.probe, peer, question, a, turns=turns)
    assert (a, turns, peer) == before
    assert (first.text, first.question_id) == (again.text, again.question_id)  # deterministic


# --- with the real detectors ----------------------------------------------------------------

BLAME_ANSWER = (
    "Our image resizing service went down on a Friday. Kevin from the infra team pushed a bad config and broke "
    "it, it was entirely his fault. I restarted the pods and it came back."
)
TIMED_ANSWER = (
    "At 14:05 the latency alert for the search API fired and paged me. By 14:12 I had rolled back the release "
    "and error rates dropped. About two hours later we confirmed the cause. Within two weeks we added a canary "
    "stage with an automatic rollback on p99 latency."
)


def test_real_assessment_blame_answer_gets_challenged_on_the_system(catalog, question):
    a = assess(BLAME_ANSWER)
    assert "blame" in a.flags
    turns = [Turn(index=0, round=RoundKind.opening, question=question.text, question_id=question.id,
                  answer=BLAME_ANSWER)]
    planned = plan_next(RoundKind.curveball, catalog.persona("peer"), question, turns, a, Level.L5)
    assert planned.target == "blame"
    assert "system" in planned.text.lower() or "guardrail" in planned.text.lower()


def test_real_assessment_probe_asks_for_a_timeline_only_when_missing(catalog, question):
    peer = catalog.persona("peer")
    turns = [Turn(index=0, round=RoundKind.opening, question=question.text, question_id=question.id, answer="x")]
    untimed = ("Our image resizing service went down. A bad config had been pushed to it. I restarted the pods "
               "and it came back.")
    assert assess(untimed).scores["timeline"] == 0
    no_time = plan_next(RoundKind.probe, peer, question, turns, assess(untimed), Level.L5)
    assert no_time.target == "timeline"
    timed = plan_next(RoundKind.probe, peer, question, turns, assess(TIMED_ANSWER), Level.L5)
    assert timed.target != "timeline"


def test_real_assessment_echoes_a_system_the_candidate_named(catalog, question):
    a = assess(TIMED_ANSWER)
    assert a.entities.systems, "detectors found no system to refer back to"
    turns = [Turn(index=0, round=RoundKind.opening, question=question.text, question_id=question.id, answer="x")]
    texts = [plan_next(r, catalog.persona("bar-raiser"), question, turns, a, Level.L5).text
             for r in ROUNDS_AFTER_OPENING]
    assert any(any(s in t for s in a.entities.systems) for t in texts)
