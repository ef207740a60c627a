"""The GradeReport: rubric data, levels, overall result, improvements and delivery metrics."""

from __future__ import annotations

import pytest
import yaml

from interviewer.catalog import builtin_dir
from interviewer.grading import OfflineGrader, grade
from interviewer.grading.delivery import FILLER_NOTE, TARGET_SECONDS, delivery_metrics
from interviewer.models import (
    FLAG_IDS,
    SIGNAL_IDS,
    GradeReport,
    Level,
    Recommendation,
    RoundKind,
    Rubric,
    Turn,
    WordTiming,
)

STRONG = (
    "At 09:40 on a Tuesday our checkout service started returning errors for about 30 percent of requests, "
    "roughly 2,000 orders over 25 minutes. A burn-rate alert on the checkout error rate paged me seven "
    "minutes in. "
    "I was the on-call, so I declared an incident, opened the incident channel and asked Priya to own the "
    "comms to "
    "support and leadership every 15 minutes so I could focus. At first we thought it was the Postgres "
    "primary, "
    "but the connection counts were normal, so we ruled it out. The deploy history showed a config push at "
    "09:31 "
    "which cut the connection pool to 5, so every request queued and timed out. To stop the bleeding I "
    "rolled back "
    "the config, the cheapest reversible step; errors dropped within four minutes. The root cause was that "
    "nothing "
    "in our pipeline validated config values, and there was no canary stage for config changes. In the "
    "postmortem "
    "we added a validation step to CI and a canary stage for this service, shipped within two weeks, and it "
    "has "
    "since blocked two bad pushes. In hindsight I should have rolled back ten minutes earlier instead of "
    "chasing "
    "the database theory, because the deploy lined up exactly."
)
CLASS_WIDE = STRONG.replace("for this service", "for every config change across all services")
WEAK = (
    "There were some issues and Dave broke things. I fixed it myself by restarting the servers. "
    "Later we fixed the code, and that was the fix."
)


@pytest.fixture(scope="module")
def rubric(catalog) -> Rubric:
    return catalog.rubric("production-incident")


def turns(*answers: str) -> list[Turn]:
    kinds = list(RoundKind)
    return [Turn(index=i, round=kinds[i % len(kinds)], question="q", answer=a) for i, a in enumerate(answers)]


# --- the rubric file ---------------------------------------------------------------------------


def test_rubric_file_is_complete(rubric: Rubric) -> None:
    assert [s.id for s in rubric.signals] == list(SIGNAL_IDS)
    assert [f.id for f in rubric.flags] == list(FLAG_IDS)
    for s in rubric.signals:
        assert sorted(s.anchors) == [0, 1, 2, 3, 4] and all(len(a) > 15 for a in s.anchors.values())
        assert set(s.level_expectations) == set(Level), s.id
        assert s.advice and "\n" not in s.advice
    assert "class" in rubric.signal("prevention").level_expectations[Level.staff].lower()
    for f in rubric.flags:
        assert f.penalty > 0 and f.advice
    assert set(rubric.recommendation_cutoffs) == set(Recommendation)
    cut = rubric.recommendation_cutoffs
    assert (
        cut[Recommendation.strong_hire]
        > cut[Recommendation.hire]
        > cut[Recommendation.lean_hire]
        > (cut[Recommendation.lean_no_hire])
        > cut[Recommendation.no_hire]
    )


def test_rubric_yaml_round_trips_through_the_model() -> None:
    raw = yaml.safe_load((builtin_dir("rubric") / "production-incident.yaml").read_text(encoding="utf-8"))
    assert Rubric.model_validate(raw).id == "production-incident"


# --- the report -----------------------------------------------------------------------------


def test_report_shape_and_json_round_trip(rubric: Rubric) -> None:
    report = grade(turns(STRONG), rubric, Level.L5, question="Tell me about an incident.")
    assert [s.id for s in report.signals] == list(SIGNAL_IDS)
    assert report.grader == "offline" and report.rubric == "production-incident" and report.level is Level.L5
    assert report.question == "Tell me about an incident."
    assert GradeReport.model_validate_json(report.model_dump_json()) == report
    assert report.summary.startswith(f"{report.overall.score:.0f}/100")


def test_strong_answer_grades_high_and_weak_low(rubric: Rubric) -> None:
    strong = grade(turns(STRONG), rubric, Level.L5)
    weak = grade(turns(WEAK), rubric, Level.L5)
    assert strong.overall.score >= 80 and strong.overall.recommendation in (
        Recommendation.strong_hire,
        Recommendation.hire,
    )
    assert strong.flags == []
    assert weak.overall.score < 20 and weak.overall.recommendation is Recommendation.no_hire
    # "I fixed it myself" with nobody else named is not the lone-saviour story the hero flag is for
    assert {"blame", "conflation", "vague", "no_prevention"} <= set(weak.flag_ids())
    assert strong.overall.letter in ("A", "B") and weak.overall.letter == "F"


def test_improvements_are_the_biggest_gains_tied_to_signals(rubric: Rubric) -> None:
    report = grade(turns(WEAK), rubric, Level.L4)
    assert len(report.improvements) == 3
    gains = [i.gain for i in report.improvements]
    assert gains == sorted(gains, reverse=True) and gains[0] > 0
    for imp in report.improvements:
        assert imp.signal in SIGNAL_IDS and imp.advice
    # prevention is absent and flagged: fixing it also clears the no_prevention penalty
    by_signal = {i.signal: i for i in report.improvements}
    assert "prevention" in by_signal
    assert rubric.flag("no_prevention").advice in by_signal["prevention"].advice


def test_advice_only_where_the_signal_is_not_exemplary(rubric: Rubric) -> None:
    report = grade(turns(STRONG), rubric, Level.L4)
    for s in report.signals:
        assert (s.advice == "") == (s.score == 4), s.id


def test_flag_evidence_names_the_trigger(rubric: Rubric) -> None:
    report = grade(turns(WEAK), rubric, Level.L4)
    blame = next(f for f in report.flags if f.id == "blame")
    assert blame.evidence == ["There were some issues and Dave broke things."]


def test_empty_transcript_grades_to_zero(rubric: Rubric) -> None:
    report = grade(turns(""), rubric, Level.L4)
    assert report.overall.score == 0 and all(s.score == 0 for s in report.signals)
    assert report.delivery.words == 0


def test_offline_grader_matches_grade(rubric: Rubric) -> None:
    grader = OfflineGrader()
    assert grader.name == "offline"
    a = grader.grade(turns(STRONG), rubric, Level.L4, None)
    b = grade(turns(STRONG), rubric, Level.L4, None)
    assert a.model_dump(exclude={"graded_at"}) == b.model_dump(exclude={"graded_at"})


# --- levels ----------------------------------------------------------------------------------


def test_staff_demands_class_wide_prevention(rubric: Rubric) -> None:
    l4 = grade(turns(STRONG), rubric, Level.L4)
    staff = grade(turns(STRONG), rubric, Level.staff)
    assert staff.signal("prevention").score <= l4.signal("prevention").score
    assert staff.signal("prevention").score < l4.signal("prevention").score  # this prevention is local
    wide_l4 = grade(turns(CLASS_WIDE), rubric, Level.L4)
    wide_staff = grade(turns(CLASS_WIDE), rubric, Level.staff)
    assert wide_staff.signal("prevention").score == wide_l4.signal("prevention").score
    assert wide_staff.overall.score > staff.overall.score


@pytest.mark.parametrize("level", list(Level))
def test_level_never_raises_prevention_above_l4_except_l3(rubric: Rubric, level: Level) -> None:
    base = grade(turns(STRONG), rubric, Level.L4).signal("prevention").score
    got = grade(turns(STRONG), rubric, level).signal("prevention").score
    if level is Level.L3:
        assert got >= base
    else:
        assert got <= base


def test_l3_gives_credit_for_a_thin_mention(rubric: Rubric) -> None:
    answer = "I rolled back at 10:05 after the alert fired. We kept everyone informed. We did a postmortem."
    l3 = grade(turns(answer), rubric, Level.L3)
    l5 = grade(turns(answer), rubric, Level.L5)
    assert l3.signal("communication").score == l5.signal("communication").score + 1
    assert l3.overall.score > l5.overall.score


# --- delivery -------------------------------------------------------------------------------


def test_delivery_from_typed_text() -> None:
    text = "Um, so, like, we rolled back. I think it was, you know, basically the cache. Uh, I paged Tom."
    m = delivery_metrics(turns(text))
    assert m.words == 19
    assert m.fillers == {"basically": 1, "like": 1, "uh": 1, "um": 1, "you know": 1}
    assert m.filler_rate == pytest.approx(100 * 5 / 19, abs=0.01)
    assert m.hedges == {"i think": 1}
    assert (m.i_count, m.we_count) == (2, 1) and m.i_we_ratio == pytest.approx(0.67)
    assert m.words_per_minute is None and m.talk_seconds is None and m.filler_note is None
    assert m.length_verdict == "short" and m.target_seconds == TARGET_SECONDS


def test_like_as_a_verb_is_not_a_filler() -> None:
    m = delivery_metrics(turns("It looks like the cache, and I would like to add an alert like that one."))
    assert "like" not in m.fillers


def test_delivery_with_word_timings() -> None:
    words = [
        WordTiming(word=w, start=i * 0.5, end=i * 0.5 + 0.4) for i, w in enumerate(["we", "rolled", "back"])
    ]
    words.append(WordTiming(word="quickly", start=5.0, end=5.4))  # a pause of more than 2 s before it
    t = Turn(index=0, round=RoundKind.opening, question="q", answer="we rolled back quickly", words=words)
    m = delivery_metrics([t])
    assert m.talk_seconds == pytest.approx(5.4)
    assert m.words_per_minute == pytest.approx(4 / 5.4 * 60, abs=0.1)
    assert m.long_pauses == 1
    assert m.filler_note == FILLER_NOTE and "lower bound" in m.filler_note


def test_length_verdict_per_answer() -> None:
    two_minutes = " ".join(["word"] * 300)
    assert delivery_metrics(turns(two_minutes)).length_verdict == "on_target"
    assert delivery_metrics(turns(two_minutes, two_minutes)).length_verdict == "on_target"
    assert delivery_metrics(turns(" ".join(["word"] * 600))).length_verdict == "long"


def test_length_is_the_opening_story_not_the_average_with_follow_ups() -> None:
    """A two-minute story then four half-minute follow-ups is on target; the follow-ups are short by design."""
    story, follow_up = " ".join(["word"] * 300), " ".join(["word"] * 75)
    m = delivery_metrics(turns(story, follow_up, follow_up, follow_up, follow_up))
    assert m.length_verdict == "on_target" and m.estimated_seconds == 120.0
    assert delivery_metrics(turns(follow_up, story, story)).length_verdict == "short"  # a thin opening
