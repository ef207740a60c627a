"""Unit tests for every offline detector: positive and negative cases, in spoken and written forms."""

from __future__ import annotations

import pytest

from interviewer.grading import assess as _assess
from interviewer.grading import detectors as d
from interviewer.grading.text import Doc, sentence_spans


def assess(text: str):
    """The rule detectors alone: what these tests pin down (the learned models are tested on the corpus)."""
    return _assess(text, model=None)


def texts(hits: list[d.Hit], text: str) -> list[str]:
    return [h.of(text) for h in hits]


# --- sentences and quotes ------------------------------------------------------------------


def test_sentences_are_trimmed_verbatim_spans() -> None:
    text = '  First one.  "Quoted second!" Third at 9:40 with 3.5 percent\n\nFourth?  '
    got = [s.of(text) for s in sentence_spans(text)]
    assert got == ["First one.", '"Quoted second!"', "Third at 9:40 with 3.5 percent", "Fourth?"]


def test_long_sentence_is_quoted_by_its_clause() -> None:
    filler = ", ".join(f"then step {n} happened" for n in range(20))
    text = f"It started, {filler}, and finally I rolled back the deploy, which helped."
    doc = Doc(text)
    start = text.index("rolled back")
    quote = doc.quote(start, start + 11)
    assert "rolled back" in quote and quote in text and len(quote) < len(text)


# --- time expressions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase",
    [
        "T+5",
        "T plus 20",
        "at 09:40",
        "around 2am",
        "by 10:15 UTC",
        "seven minutes in",
        "twenty minutes into the incident",
        "about two hours later",
        "an hour and a half later",
        "half an hour later",
        "a week after",
        "within two weeks",
        "within the hour",
        "by Monday",
        "by the end of the week",
        "the next morning",
        "the following sprint",
        "later that day",
        "on a Tuesday",
        "after 20 minutes",
        "in the first five minutes",
        "at minute 12",
        "the 30-minute mark",
    ],
)
def test_time_expression_forms(phrase: str) -> None:
    text = f"So {phrase} we did the next thing."
    assert texts(d.time_expressions(text), text) == [phrase]


@pytest.mark.parametrize(
    "text",
    [
        "The outage affected checkout badly.",
        "We had five engineers on the call.",  # a count, not a time
        "It was a while ago and it took some time.",  # vague, no anchor
        "Timeouts rose and the team responded.",  # 'T' inside a word is not T+
    ],
)
def test_no_time_expression(text: str) -> None:
    assert d.time_expressions(text) == []


def test_time_expressions_keep_order_and_verbatim_text() -> None:
    text = (
        "At 14:05 the page fired; seven minutes in I rolled back, and within two weeks we shipped a canary."
    )
    assert texts(d.time_expressions(text), text) == ["At 14:05", "seven minutes in", "within two weeks"]
    assert assess(text).time_anchors == ["At 14:05", "seven minutes in", "within two weeks"]


# --- quantities ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("about 40 percent of requests failed", "40 percent"),
        ("errors for twelve minutes", "twelve minutes"),
        ("it cost us $30k in refunds", "$30k"),
        ("roughly 4,000 settlement requests failed", "4,000 settlement requests"),
        ("half of our users were logged out", "half of our users"),
        ("latency hit 800ms at p99", "800ms"),
        ("we had 3x the normal load", "3x"),
    ],
)
def test_quantities(text: str, expected: str) -> None:
    assert expected in texts(d.quantities(text), text)


def test_no_quantity_in_vague_amounts() -> None:
    text = "A lot of users had some problems for a while."
    assert d.quantities(text) == []


# --- negation -----------------------------------------------------------------------------


def test_negation_is_scoped_to_the_clause() -> None:
    text = "We did not roll back, but later I restarted the pods."
    assert d.is_negated(text, text.index("roll back"))
    assert not d.is_negated(text, text.index("restarted"))


def test_negated_cause_is_not_a_root_cause() -> None:
    unknown = assess(
        "Errors spiked for an hour. We never figured out the cause, and it came back on its own."
    )
    assert unknown.scores["root_cause"] <= 1
    known = assess(
        "Errors spiked for an hour. The root cause was a retry loop, and nothing in our client library "
        "capped retries."
    )
    assert known.scores["root_cause"] >= 3


def test_negated_alert_is_not_detection_by_alert() -> None:
    no_alert = assess("No alert fired at all. A customer emailed support at 10:20 to tell us.")
    alert = assess("The error rate alert fired at 10:05 and paged me.")
    assert alert.scores["detection"] > no_alert.scores["detection"] >= 2


def test_stuff_happens_is_not_a_cause() -> None:
    a = assess("The database went away for twenty minutes. Stuff happens with cloud providers.")
    assert a.scores["root_cause"] <= 1


# --- blame versus systemic framing -----------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Kevin pushed a bad config without testing it.",
        "It was completely his fault; he should have known better.",
        "The ops team pushed a broken load balancer change on Friday.",
        "QA should have caught it, that is literally their job.",
        "If the platform team had just followed the process, none of this would have happened.",
        "The new guy on the data team dropped the table.",
    ],
)
def test_blame_at_people_and_teams(sentence: str) -> None:
    assert d.blame_hits(Doc(sentence)), sentence
    assert "blame" in assess(sentence).flags


@pytest.mark.parametrize(
    "sentence",
    [
        "The process did not require a canary for config changes.",
        "An engineer ran the script, but nothing in the tooling stopped it from targeting production.",
        "It was not his fault; anyone could have made that change with the tool as it was.",
        "The change was reviewed and approved, so this was not a people problem.",
        "I pushed a bad config and I own that.",  # self-critique is not blame
        "We blamed the database at first, but the logs ruled it out.",
        "Our payment provider had a regional outage for forty minutes.",  # a vendor outage, stated plainly
    ],
)
def test_systemic_or_neutral_framing_is_not_blame(sentence: str) -> None:
    assert "blame" not in assess(sentence).flags, sentence


def test_blame_caps_root_cause() -> None:
    a = assess("The outage happened because Dave forgot to renew the certificate. Classic Dave.")
    assert "blame" in a.flags and a.scores["root_cause"] <= 1
    assert any("Dave" in q for q in a.flags["blame"])


# --- mitigation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "I rolled back the deploy.",
        "We turned the flag off.",
        "I failed over to the standby region.",
        "We drained the three bad nodes.",
        "We scaled the consumers out from 6 to 24.",
        "I restarted the pods.",
        "We switched traffic to our backup provider.",
        "I paused the job with the kill switch.",
        "We flushed the cache.",
        "I halted the staged rollout.",
    ],
)
def test_mitigation_actions(sentence: str) -> None:
    assert assess(sentence).scores["mitigation"] >= 2, sentence


def test_negated_mitigation_does_not_count() -> None:
    assert assess("We did not roll back because we were not sure.").scores["mitigation"] < 2


def test_mitigation_named_apart_from_fix_with_reasoning_scores_higher() -> None:
    plain = assess("I rolled back the deploy.")
    distinct = assess(
        "To stop the bleeding I rolled back the deploy, the cheapest reversible step, before we knew the "
        "cause."
    )
    assert distinct.scores["mitigation"] == 4 > plain.scores["mitigation"]


# --- hero ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "I fixed the whole thing by myself while everyone else was panicking.",
        "Nobody else could figure it out, so I took over.",
        "I was the only one who understood that code, so I saved the launch.",
        "I had to do it all myself at midnight.",
    ],
)
def test_hero_framing(sentence: str) -> None:
    assert "hero" in assess(sentence).flags, sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "I didn't do it alone; Priya ran comms and Tom owned the database work.",
        "I was the incident commander and paged the database on-call.",
        "We worked through it together on the bridge.",
    ],
)
def test_not_hero(sentence: str) -> None:
    assert "hero" not in assess(sentence).flags, sentence


def test_hero_caps_ownership() -> None:
    a = assess(
        "I decided to roll back and I paged the team, and honestly I saved the day because everyone else was "
        "panicking. I restarted the brokers and posted in the incident channel."
    )
    assert "hero" in a.flags and a.scores["ownership"] <= 2


# --- conflation -----------------------------------------------------------------------------


def test_fix_used_for_everything_is_conflation() -> None:
    a = assess(
        "The fix was to roll back the deploy, which fixed it. Then we fixed the query. The fix going forward "
        "was a linter."
    )
    assert "conflation" in a.flags
    assert all(q in a.flags["conflation"][0] or "fix" in q.lower() for q in a.flags["conflation"])


def test_mitigation_vocabulary_avoids_conflation() -> None:
    a = assess(
        "To mitigate, I rolled back the deploy. The fix was a corrected query. We also fixed the alert "
        "threshold."
    )
    assert "conflation" not in a.flags


def test_single_fix_is_not_conflation() -> None:
    assert "conflation" not in assess("I rolled back at 10:05. The fix shipped the next day.").flags


# --- vagueness ----------------------------------------------------------------------------


def test_vague_story() -> None:
    a = assess("There were some issues and things went wrong. We worked hard and eventually it was fine.")
    assert "vague" in a.flags
    assert a.flags["vague"]


def test_specific_story_is_not_vague() -> None:
    a = assess("At 14:05 the checkout service returned errors for 30 percent of requests for twelve minutes.")
    assert "vague" not in a.flags


# --- prevention and no_prevention --------------------------------------------------------------


def test_story_ending_at_restore_raises_no_prevention() -> None:
    a = assess("Checkout failed for 20 minutes at 9:40. I rolled back and it was fine. Then we moved on.")
    assert "no_prevention" in a.flags
    assert a.flags["no_prevention"][-1] == "Then we moved on."


def test_counterfactual_is_not_prevention() -> None:
    a = assess("In hindsight I should have added an alert on certificate expiry long before this.")
    assert a.scores["prevention"] < 2
    assert a.scores["reflection"] >= 2


def test_a_change_that_caused_the_incident_is_not_prevention() -> None:
    """"lowered by a config change" describes the trigger; only what was done afterwards prevents."""
    a = assess("The cause was a connection pool limit lowered by a config change that skipped the canary.")
    assert a.scores["prevention"] == 0 and not a.evidence.get("prevention")
    b = assess("Afterwards we lowered the pool limit on every service and added a canary for config changes.")
    assert b.scores["prevention"] >= 2


def test_concrete_prevention_with_timing_and_proof() -> None:
    a = assess(
        "After the postmortem we added an alert that pages at 30 days before expiry for every certificate, "
        "and "
        "moved renewals onto automation within two weeks. Since then the alert has caught three certs."
    )
    assert a.scores["prevention"] == 4
    assert "no_prevention" not in a.flags


def test_generic_postmortem_is_token() -> None:
    a = assess("We did a postmortem and added more monitoring.")
    assert a.scores["prevention"] == 1 and "no_prevention" in a.flags


# --- other signals ----------------------------------------------------------------------------


def test_communication_levels() -> None:
    generic = assess("We kept everyone informed.")
    channel = assess("I posted updates to the support team in the incident channel.")
    full = assess(
        "I opened the incident channel and asked Ravi to own the comms, and he updated support and "
        "leadership "
        "every 15 minutes on the status page."
    )
    assert generic.scores["communication"] == 1
    assert channel.scores["communication"] == 2
    assert full.scores["communication"] == 4


def test_ownership_i_versus_we_and_passive() -> None:
    passive = assess("It was rolled back and things were resolved.")
    we_only = assess("We rolled back and we restarted the pods.")
    mine = assess(
        "I decided to roll back, and I paged Tom, the database on-call, who handed off to the DBA team."
    )
    assert passive.scores["ownership"] <= 1 and we_only.scores["ownership"] <= 1
    assert mine.scores["ownership"] >= 3


def test_diagnosis_with_wrong_turn_and_chain() -> None:
    thin = assess("We looked into it and found the bug.")
    rich = assess(
        "At first we thought it was the database, but the connection counts ruled it out. The traces showed "
        "a "
        "new call timing out, which exhausted the worker pool, so every request queued."
    )
    assert thin.scores["diagnosis"] == 1
    assert rich.scores["diagnosis"] == 4


def test_reflection_specific_versus_generic() -> None:
    assert assess("It was a good learning experience.").scores["reflection"] <= 1
    assert assess("I wouldn't change anything about how it went.").scores["reflection"] <= 1
    assert (
        assess("Next time I would roll back ten minutes sooner instead of chasing the cache theory.").scores[
            "reflection"
        ]
        >= 2
    )


def test_impact_needs_numbers_for_present() -> None:
    assert assess("Users were affected by the outage.").scores["impact"] == 1
    assert (
        assess("About 30 percent of checkouts failed for 25 minutes, roughly 2,000 orders.").scores["impact"]
        >= 3
    )


# --- entities -------------------------------------------------------------------------------


def test_entities_name_systems_numbers_and_people() -> None:
    text = (
        "At 09:40 the checkout service started failing for 40 percent of users. Postgres was fine, the CDN "
        "was fine. Priya from the payments team ran comms for twelve minutes while I rolled back."
    )
    e = assess(text).entities
    assert "the checkout service" in e.systems
    assert "Postgres" in e.systems and "CDN" in e.systems
    assert "40 percent of users" in e.numbers or "40 percent" in e.numbers
    assert "twelve minutes" in e.numbers
    assert "Priya" in e.people and "the payments team" in e.people
    for item in e.systems + e.numbers + e.people + e.quotes:
        assert item in text


def test_entities_empty_for_empty_text() -> None:
    a = assess("")
    assert a.entities.systems == [] and a.entities.numbers == [] and a.time_anchors == []
    assert all(score == 0 for score in a.scores.values())
