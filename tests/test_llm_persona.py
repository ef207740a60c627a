"""The LLM persona: streamed, validated in code, re-asked once, then the offline phrasing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from llm_server import Fault, FaultServer
from test_llm_client import FakeClock, client_for

from interviewer.llm.persona import (
    MAX_WORDS,
    LLMPhraser,
    check_sentence,
    is_repeat,
    leak,
    parse_notes,
    topic_words,
)
from interviewer.models import InterviewerNote, Persona, RoundKind, Turn
from interviewer.protocols import PlannedQuestion

PLANNED = "Walk me through what you checked first when the errors started."


def persona() -> Persona:
    return Persona(
        id="tester", name="Robin", description="A calm staff engineer.", tone="calm, curious",
        intent="understand the failure chain", greeting="Hi.", closing="Thanks.", followups=[],
        style_notes=["short sentences"],
    )


def planned(text: str = PLANNED) -> PlannedQuestion:
    return PlannedQuestion(round=RoundKind.probe, text=text, question_id="probe-1", target="diagnosis",
                           note=InterviewerNote(gap="diagnosis"))


def earlier_turns() -> list[Turn]:
    return [Turn(index=0, round=RoundKind.opening, question="Tell me about an outage you handled.",
                 answer="Our checkout API failed for 30 percent of users; I rolled back the deploy.")]


def phrase(server: FaultServer, plan: PlannedQuestion | None = None, turns: list[Turn] | None = None,
           **over) -> tuple[list[str], LLMPhraser, PlannedQuestion]:
    plan = plan or planned()
    phraser = LLMPhraser(client_for(server, **over), "m")
    pieces = list(phraser.phrase(plan, persona(), turns if turns is not None else earlier_turns()))
    return pieces, phraser, plan


def test_a_good_reply_is_streamed_sentence_by_sentence_with_private_notes(fault_server: FaultServer) -> None:
    fault_server.push(Fault("ok", "You said the checkout API failed. What was the first thing you checked?\n"
                                  "NOTES:\nstrong: quantified impact\npress later: how the rollback was chosen"))
    pieces, phraser, plan = phrase(fault_server)
    assert pieces == ["You said the checkout API failed.", " What was the first thing you checked?"]
    assert phraser.name == "llm:m"
    assert plan.note.strong == ["quantified impact"]
    assert plan.note.press_later == ["how the rollback was chosen"]
    assert all("NOTES" not in p and "rollback was chosen" not in p for p in pieces)
    req = fault_server.chat_requests()[0].body
    assert req["stream"] is True
    system, user = req["messages"][0]["content"], req["messages"][1]["content"]
    assert PLANNED in system and "Robin" in system and "diagnosis" in system
    assert "checkout API failed for 30 percent" in user  # the transcript, as delimited data
    tag = user.split(">", 1)[0].lstrip("<")
    assert tag.startswith("transcript-") and f"</{tag}>" in user and tag in system


def test_the_prompt_names_the_sessions_level_not_the_personas(fault_server: FaultServer) -> None:
    """`--persona peer --level staff`: the LLM is told it is a staff interview."""
    from interviewer.catalog import load_catalog
    from interviewer.grading import assess
    from interviewer.interview.engine import plan_next
    from interviewer.models import Level

    cat = load_catalog()
    peer = cat.personas["peer"]
    assert peer.level is not Level.staff
    turns = earlier_turns()
    plan = plan_next(RoundKind.probe, peer, next(iter(cat.questions.values())), turns,
                     assess(turns[0].answer), Level.staff)
    assert plan.level is Level.staff
    fault_server.push(Fault("ok", "Which checkout metric moved first?"))
    list(LLMPhraser(client_for(fault_server), "m").phrase(plan, peer, turns))
    system = fault_server.chat_requests()[0].body["messages"][0]["content"]
    assert "(level staff)" in system and f"(level {peer.level.value})" not in system


class CountingLLM:
    """A protocol-level stand-in that records how many deltas were pulled (to observe streaming)."""

    def __init__(self, deltas: list[str]):
        self.deltas = deltas
        self.pulled = 0

    def chat(self, messages: list[dict], **options) -> str:
        return "".join(self.deltas)

    def stream(self, messages: list[dict], **options) -> Iterator[str]:
        for d in self.deltas:
            self.pulled += 1
            yield d


def test_the_first_sentence_is_yielded_before_the_rest_is_generated() -> None:
    llm = CountingLLM(["You mentioned ", "the cache. ", "What made ", "you suspect ", "it first?"])
    gen = LLMPhraser(llm, "m").phrase(planned(), persona(), earlier_turns())
    assert next(gen) == "You mentioned the cache."
    assert llm.pulled == 2  # spoken while the rest is still being generated
    assert list(gen) == [" What made you suspect it first?"]


def test_praise_is_re_asked_once_with_the_reason(fault_server: FaultServer) -> None:
    fault_server.push(Fault("ok", "Great answer! What did you check first?"),
                      Fault("ok", "What did you check first, and why that?"))
    pieces, phraser, _ = phrase(fault_server)
    assert pieces == ["What did you check first, and why that?"]
    assert phraser.name == "llm:m"
    retry = fault_server.chat_requests()[1].body["messages"][-1]
    assert retry["role"] == "user" and "Great answer!" in retry["content"] and "praises" in retry["content"]


@pytest.mark.parametrize("bad", [
    "That was a strong answer. What did you check first?",
    "I'd score that a 3/4 so far. What did you check first?",
    "You're clearly a hire. What did you check first?",
    "Nice. What did you check first?",
])
def test_grading_leaks_twice_fall_back_to_the_planned_text(fault_server: FaultServer, bad: str) -> None:
    fault_server.default = Fault("ok", bad)
    pieces, phraser, _ = phrase(fault_server)
    assert pieces == [PLANNED]
    assert phraser.name == "offline" and phraser.last_problem
    assert len(fault_server.chat_requests()) == 2


def test_only_one_question_is_ever_asked(fault_server: FaultServer) -> None:
    fault_server.push(Fault("ok", "What broke first? And who did you call? Also, how long did it last?"))
    pieces, phraser, _ = phrase(fault_server)
    assert pieces == ["What broke first?"]
    assert "".join(pieces).count("?") == 1


def test_too_long_or_no_question_or_repeat_are_rejected(fault_server: FaultServer) -> None:
    long_q = "Could you " + "please " * MAX_WORDS + "tell me what you checked?"
    fault_server.push(Fault("ok", long_q), Fault("ok", "Tell me about an outage you handled?"))
    pieces, phraser, _ = phrase(fault_server)
    assert pieces == [PLANNED] and phraser.name == "offline"
    assert "repeats" in (phraser.last_problem or "")
    fault_server.push(Fault("ok", "I see. Interesting. Fascinating."))
    pieces, phraser, _ = phrase(fault_server)  # a lead-in is spoken at once; then no question follows
    assert pieces == ["I see.", " " + PLANNED] and phraser.name == "llm:m+offline"
    fault_server.push(Fault("ok", "NOTES: strong: nothing"), Fault("ok", "NOTES: press later: all"))
    pieces, phraser, _ = phrase(fault_server)
    assert pieces == [PLANNED] and "did not ask a question" in (phraser.last_problem or "")


def test_a_lead_in_that_goes_wrong_is_finished_with_the_planned_question(fault_server: FaultServer) -> None:
    fault_server.push(Fault("ok", "You mentioned a rollback. Excellent work there, truly."))
    pieces, phraser, _ = phrase(fault_server)
    assert pieces == ["You mentioned a rollback.", " " + PLANNED]  # still exactly one question
    assert phraser.name == "llm:m+offline"
    assert len(fault_server.chat_requests()) == 1  # nothing is re-asked once words were spoken


@pytest.mark.parametrize("fault", [Fault("500"), Fault("429", retry_after="2"), Fault("empty"),
                                   Fault("ok", delay=1.0), Fault("drop")])
def test_a_failing_endpoint_falls_back_within_the_budget(fault_server: FaultServer, fault: Fault) -> None:
    fault_server.default = fault
    clock = FakeClock()
    phraser = LLMPhraser(client_for(fault_server, clock, read_timeout=0.3, max_attempts=3), "m")
    pieces = list(phraser.phrase(planned(), persona(), earlier_turns()))
    assert pieces == [PLANNED] and phraser.name == "offline"
    assert "LLM failed" in (phraser.last_problem or "")
    assert len(fault_server.chat_requests()) == 3  # the client's attempts, no extra re-ask


def test_context_overflow_trims_older_turns_and_keeps_the_current_one(fault_server: FaultServer) -> None:
    turns = [Turn(index=i, round=RoundKind.opening, question=f"Question number {i} about the outage?",
                  answer=f"Answer {i}: we saw errors at 09:{10 + i} in the queue service.") for i in range(4)]
    fault_server.context_limit_turns = 2
    fault_server.default = Fault("ok", "Which check ruled out the queue service?")
    pieces, phraser, _ = phrase(fault_server, turns=turns)
    assert pieces == ["Which check ruled out the queue service?"]
    last_prompt = fault_server.chat_requests()[-1].body["messages"][1]["content"]
    assert "Answer 3: we saw errors at 09:13 in the queue service." in last_prompt  # current turn whole
    assert "Answer 0" not in last_prompt and "earlier turn(s) omitted" in last_prompt


def test_sentence_rules() -> None:
    turns = earlier_turns()
    assert check_sentence("What did you check first?", [], turns) is None
    assert check_sentence("You named the cache.", [], turns) is None
    assert "more than one sentence" in check_sentence("It was late.", ["You named the cache."], turns)
    assert is_repeat("Tell me about an outage you've handled?", turns)
    assert not is_repeat("What did the dashboard show at that point?", turns)
    topic = topic_words(planned(), turns)
    assert "strays" in check_sentence("What was your impression of the company culture?", [], turns, topic)
    assert check_sentence("Who did you tell, and when?", [], turns, topic) is None  # too short to judge
    assert check_sentence("Which checkout metric moved first?", [], turns, topic) is None
    assert leak("How did strong consistency affect the failover?") is None
    assert leak("You are interviewing a software engineer.") and leak("A note: the candidate was vague.")
    assert "impressive" in leak("That's impressive. What next?")
    # ordinary interview wording is not praise ...
    for fine in ("At what point did you escalate?", "Which data points told you it was the cache?",
                 "What would a good alert threshold have been?", "Why did a strong canary not catch it?"):
        assert leak(fine) is None, fine
    # ... praise aimed at the candidate, or a score, is
    for praise in ("Great. What next?", "Good point, and then?", "Nice, so what did you do?",
                   "Strong start. Who did you page?", "Sounds good; what then?", "I'd give that 3 points."):
        assert leak(praise), praise
    assert parse_notes("- strong: clear impact\n* Press later: the canary\nnoise") == (["clear impact"],
                                                                                       ["the canary"])


# --- speaking as the interviewer, about what the candidate said -------------------------------

ISSUE_REPLY = ('When the interviewer asked about your changes after service ended, I responded with: "We found a new '
               'reason to change our load testing process. The story kind of ends when things came back up. What '
               'did the team change in the weeks after?')


@pytest.mark.parametrize("bad", [
    'When the interviewer asked about your changes after service ended, I responded with: "We found a new reason.',
    "The interviewer wants to know what changed. What did you change?",
    "In response to your question, what did the team change?",
    "My answer would be the rollback. What did you try first?",
    "We found a new reason to change our load testing process.",
    "I rolled back the deploy and the errors stopped.",
    "Then we quickly restarted the pods. What happened next?",
])
def test_speaking_as_the_candidate_or_narrating_is_a_broken_rule(bad: str) -> None:
    why = check_sentence(bad, [], earlier_turns())
    assert why and ("speaks as the candidate" in why or "never said" in why), bad


@pytest.mark.parametrize("bad", [
    'You said "the cache was cold". What did you check first?',  # never said
    "You said \u201cwe paged the database team\u201d. Who answered?",
    'You said "I rolled back the whole cluster". Why the cluster?',  # close to, but not, their words
])
def test_a_quotation_the_candidate_never_said_is_a_broken_rule(bad: str) -> None:
    why = check_sentence(bad, [], earlier_turns())
    assert why and "never said" in why, bad


@pytest.mark.parametrize("fine", [
    'You said "I rolled back the deploy". What made you choose that?',  # their words, quoted back
    'You said "30 percent of users". How was that counted?',
    "I'm curious, what did you check first?",
    "I heard you mention a rollback. What made you choose it?",
    "I'd like to understand the timing. When were you paged?",
    "I need specifics. Which service was it?",
    "If I fired them tomorrow, would this stop happening?",
    "Were we exposed for a while afterwards?",
    'You keep saying "fix". Which fix do you mean?',  # one word: a term, not an attribution
])
def test_the_interviewers_own_voice_and_true_quotes_pass(fine: str) -> None:
    assert check_sentence(fine, [], earlier_turns()) is None, fine


def test_a_quote_the_offline_plan_carries_may_be_kept() -> None:
    plan = 'You said "nobody owned the intermediates". Why did nobody own them?'
    assert check_sentence(plan, [], earlier_turns(), planned_text=plan) is None
    assert "never said" in (check_sentence(plan, [], earlier_turns()) or "")


def test_the_narrating_reply_from_the_issue_is_never_spoken(fault_server: FaultServer) -> None:
    fault_server.default = Fault("ok", ISSUE_REPLY)
    pieces, phraser, _ = phrase(fault_server)
    assert pieces == [PLANNED] and phraser.name == "offline"
    assert "speaks as the candidate" in (phraser.last_problem or "")
    retry = fault_server.chat_requests()[1].body["messages"][-1]["content"]
    assert "speaks as the candidate" in retry  # the re-ask says what was wrong
    system = fault_server.chat_requests()[0].body["messages"][0]["content"]
    assert "never as the candidate" in system and "quotation marks only words the candidate actually said" in system
