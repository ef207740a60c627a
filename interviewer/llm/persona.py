"""The LLM persona: phrases the round engine's planned question in the persona's voice, streamed.

The round engine still decides the round and the gap (PlannedQuestion); the LLM only rewords it, from the
persona file, the round's goal, the gap and the transcript so far (passed as delimited data).

Streaming and validation, the design: the reply is cut into sentences as it streams, and each sentence is
checked in code *before* it is yielded (so the voice loop can start speaking the first one at once):
no praise or grading, no meta talk, not speaking as the candidate or narrating the interview ("When the
interviewer asked ..., I responded with"), no quotation the candidate never said, the running total within
MAX_WORDS, at most MAX_LEADIN statements
before the question, and the question still about the incident (it shares a content word with the
plan, the round's goal, the gap or the candidate's answers) and not a repeat of an earlier one. The
utterance ends at the first question mark, so exactly one question is asked; anything after it is not
spoken (it is where the model writes its private NOTES, which go into `planned.note`).
If a sentence fails before anything was yielded, the LLM is re-asked once with the reason, then the
offline phrasing (`planned.text`) is used. If it fails after a lead-in was already yielded, the
utterance is finished with `planned.text`, itself a complete question, so the candidate still hears
exactly one question. A dead or slow endpoint degrades the same way; the interview never waits longer
than the client's time budget.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Generator, Iterator
from difflib import SequenceMatcher
from itertools import chain

from ..models import Persona, RoundKind, Turn
from ..protocols import LLM, PlannedQuestion
from .attribution import invented_quote, speaks_as_candidate
from .errors import LLMError
from .prompts import DATA_RULES, new_tag, transcript_block, with_trimming
from .secrets import scrub

log = logging.getLogger("interviewer.llm")

MAX_WORDS = 40
STEM = 5  # words are compared by their first letters, so "rolled" meets "rollback"
MIN_TOPIC_WORD = 4
MIN_TOPIC_CHECK = 3  # a question with fewer content words ("Who did you tell, and when?") is not checked
DOMAIN_WORDS = (
    "incident outage failure failing broke broken down production alert paged monitor dashboard metric "
    "rollback mitigate cause root team customers users impact timeline minutes hours deploy change fix "
    "postmortem prevent communicate update stakeholders decision trade-off learn differently measure"
)
_STOP_TEXT = (
    "that this what when where which with would could should about your you have they them their there then "
    "than were been from into just also more most some tell walk through thing things really much many first "
    "last next like know"
)
_STOP = frozenset(_STOP_TEXT.split(" "))
MAX_LEADIN = 1  # statements allowed before the question
REPEAT_SIMILARITY = 0.8  # normalized similarity at or above which a question counts as a repeat
PERSONA_TEMPERATURE = 0.6
PERSONA_MAX_TOKENS = 160  # question plus private notes
MAX_NOTES = 3  # per kind, per turn
NOTES_MAX_SECONDS = 5.0  # how long we keep reading private notes after the question was said
NOTE_CHARS = 200
NOTES_MARKER = re.compile(r"(?im)^\s*\**\s*notes?\s*\**\s*:|\bNOTES:")
_SENTENCE = re.compile(r"^(.*?[.?!])[\"'\u201d\u2019)]*(?=\s)", re.S)
_LABEL = re.compile(
    r"^\s*(?:\(?\d+[.)]\s*)?(?:\*\*)?(?:interviewer|question|answer|reply|response|q|a|[A-Z][a-z]+ \([^)]*\))"
    r"\s*(?:\*\*)?\s*:\s*|^\s*\(?\d+[.)]\s+",
    re.I,
)
_PRAISE = r"(?:great|good|excellent|fantastic|brilliant|impressive|solid|nice|perfect|strong|awesome|amazing)"
_PRAISED = r"(?:answers?|points?|job|work|example|story|response|start|catch|call|question|explanation|thinking)"
_LEAKS = re.compile(
    # praise aimed at the candidate: a praise word opening the sentence ("Great.", "Nice, and then"), or
    # praising the answer ("good point", "that's impressive"); "a good threshold", "at what point" are fine
    rf"^\W*{_PRAISE}\b(?=\s*[,.!;:\u2014-])|\b{_PRAISE}\s+{_PRAISED}\b"
    rf"|\b(?:that'?s|that is|sounds)\s+(?:really\s+|very\s+)?{_PRAISE}\b"
    r"|\b(?:impressive|excellent|fantastic|brilliant|awesome|amazing)\b|\bwell done\b|\bi (love|like) (that|how)\b"
    r"|\bthanks? for (that|sharing)\b"
    r"|\b(score|scored|scoring|graded|rating|rubric|hire|hiring decision)\b|\bgrade (you|this|that|it)\b"
    r"|\b\d+\s*points?\b"
    r"|\b\d\s*(/|out of)\s*\d+\b|\bas an ai\b|\blanguage model\b|\bi('m| am) (sorry|unable|not sure)\b|\bi cannot\b"
    r"|\byou are interviewing\b|\bthe (candidate|interviewee|transcript|planned question)\b|\bnotes?:",
    re.I,
)

ROUND_GOALS: dict[RoundKind, str] = {
    RoundKind.opening: "invite the candidate to tell the story of one production incident they handled",
    RoundKind.probe: "dig into the technical failure chain: what broke, why, and how they found out",
    RoundKind.constraint: "explore how they communicated and made decisions under time pressure",
    RoundKind.curveball: "challenge how they framed the story: another reading of the cause or their role",
    RoundKind.synthesis: "find out what changed afterwards and how they know it worked",
}

GAP_HINTS: dict[str, str] = {
    "impact": "how many users or requests were hurt, for how long, at what cost",
    "detection": "how and when the problem was first noticed",
    "timeline": "when each step happened, with concrete times",
    "mitigation": "the step that stopped the damage, apart from the fix",
    "diagnosis": "how the cause was found: hypotheses, evidence, wrong turns",
    "root_cause": "what in the system or process allowed the failure",
    "communication": "who was kept informed, how often, and who owned updates",
    "ownership": "what the candidate personally decided and did",
    "prevention": "what concretely changed afterwards so it cannot recur",
    "reflection": "what they would do differently next time",
    "blame": "the system or process gap behind what a person did",
    "hero": "who else was involved and how the work was shared",
    "conflation": "the difference between stopping the bleeding, the fix and the prevention",
    "vague": "concrete specifics: names of systems, numbers, times",
    "no_prevention": "what happened after service was restored",
}


def _words(text: str) -> int:
    return len(re.findall(r"[\w'’-]+", text))


def _normalize(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def similarity(a: str, b: str) -> float:
    """Normalized similarity of two questions: the larger of a character ratio and word overlap."""
    na, nb = _normalize(a), _normalize(b)
    if not na or not nb:
        return 0.0
    wa, wb = set(na.split()), set(nb.split())
    jaccard = len(wa & wb) / len(wa | wb)
    return max(SequenceMatcher(None, na, nb).ratio(), jaccard)


def is_repeat(question: str, turns: list[Turn]) -> bool:
    return any(similarity(question, t.question) >= REPEAT_SIMILARITY for t in turns)


def leak(text: str) -> str | None:
    """The praise, grading or meta phrase in `text`, if any."""
    m = _LEAKS.search(text)
    return m.group(0) if m else None


def clean_sentence(text: str) -> str:
    text = _LABEL.sub("", text.strip())
    return text.strip().strip("*_").strip().strip('"\u201c\u201d').strip()


def _stems(text: str) -> set[str]:
    return {w[:STEM] for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= MIN_TOPIC_WORD and w not in _STOP}


def topic_words(planned: PlannedQuestion, turns: list[Turn]) -> set[str]:
    """What the question may be about: the plan, the round's goal, the gap, the candidate's own words."""
    target = planned.target or planned.note.gap or ""
    parts = [planned.text, ROUND_GOALS[planned.round], GAP_HINTS.get(target, ""), DOMAIN_WORDS,
             *(t.answer for t in turns)]
    return _stems(" ".join(parts))


def check_sentence(sentence: str, spoken: list[str], turns: list[Turn], topic: set[str] | None = None,
                   planned_text: str = "") -> str | None:
    """Why `sentence` may not be said after `spoken`, or None when it may."""
    found = leak(sentence)
    if found:
        return f"it judges or praises the candidate or talks about itself ({found!r})"
    found = speaks_as_candidate(sentence)
    if found:
        return f"it speaks as the candidate or narrates the interview ({found!r}); ask as the interviewer"
    found = invented_quote(sentence, turns, planned_text)
    if found:
        return f"it quotes words the candidate never said ({found!r})"
    total = _words(" ".join([*spoken, sentence]))
    if total > MAX_WORDS:
        return f"it is {total} words long; the limit is {MAX_WORDS}"
    if sentence.endswith("?"):
        if is_repeat(sentence, turns):
            return "it repeats a question already asked"
        words = _stems(sentence)
        if topic is not None and len(words) >= MIN_TOPIC_CHECK and not words & topic:
            return "it strays from the incident and the planned question"
    elif len(spoken) >= MAX_LEADIN:
        return "it says more than one sentence before asking the question"
    return None


def parse_notes(text: str) -> tuple[list[str], list[str]]:
    """`strong: ...` and `press later: ...` lines from the model's private notes."""
    strong: list[str] = []
    later: list[str] = []
    for raw in text.splitlines():
        line = raw.strip().lstrip("-*• ").strip()
        m = re.match(r"(?i)(strong|press(?:\s+on)?\s+later|later)\s*:\s*(.+)", line)
        if not m:
            continue
        value = scrub(m.group(2).strip())[:NOTE_CHARS]
        (strong if m.group(1).lower() == "strong" else later).append(value)
    return strong[:MAX_NOTES], later[:MAX_NOTES]


def build_messages(planned: PlannedQuestion, persona: Persona, kept: list[Turn], omitted: int,
                   problem: str | None = None, rejected: str | None = None) -> list[dict]:
    tag = new_tag()
    target = planned.target or planned.note.gap
    gap = f"{target}: {GAP_HINTS.get(target, target)}" if target else "none in particular"
    style = "; ".join(persona.style_notes) or persona.tone
    system = (
        f"You are {persona.name}, a job interviewer. {persona.description} Tone: {persona.tone}. "
        f"Intent: {persona.intent}. Style: {style}.\n"
        f"You are interviewing a software engineer (level {(planned.level or persona.level).value}) about a production incident "
        f"they handled. This is the {planned.round.value} round; its goal: {ROUND_GOALS[planned.round]}. "
        f"The gap to press on: {gap}.\n"
        f'The planned question is: "{planned.text}"\n'
        "Say it again in your own voice, keeping its intent; you may refer to the candidate's own words.\n"
        f"Rules: exactly one question; at most {MAX_WORDS} words; at most one short sentence before the "
        "question; never praise, judge, score or hint at how the candidate is doing; do not repeat an earlier "
        "question; speak as the interviewer to the candidate, never as the candidate and never about the "
        "interview; put in quotation marks only words the candidate actually said. Reply with the words you "
        "say and nothing else.\n"
        "Then, on a new line, write NOTES: followed by two private lines for yourself, 'strong: ...' (what "
        "was convincing so far) and 'press later: ...' (what to come back to). The candidate never sees them.\n"
        + DATA_RULES.format(tag=tag)
    )
    user = (
        (transcript_block(kept, tag, omitted) if kept else f"<{tag}>\n(no answers yet)\n</{tag}>")
        + "\nWrite the next question now."
    )
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    if problem and rejected:  # the rejected reply is cut where it went wrong: quoted, not replayed
        messages.append({"role": "user", "content": f'Your last reply ("{rejected.strip()}") cannot be used: '
                                                    f"{problem}. Write the question again, following every rule."})
    return messages


class LLMPhraser:
    """interviewer.interview.Phraser backed by an LLM; `name` tells, per turn, who phrased the question.

    After each `phrase()`, `name` is "llm:<model>" when the LLM's question was used, "offline" when the
    planned text was, and "llm:<model>+offline" when an LLM lead-in was finished with the planned text;
    the interview loop stores it in Turn.phrased_by. `last_problem` says why the LLM reply was not used.
    """

    def __init__(self, llm: LLM, model: str):
        self.llm = llm
        self.model = model
        self.name = f"llm:{model}"
        self.last_problem: str | None = None

    def phrase(self, planned: PlannedQuestion, persona: Persona, turns: list[Turn]) -> Iterator[str]:
        spoken: list[str] = []
        problem: str | None = None
        rejected: str | None = None
        self.last_problem = None
        for _ in range(2):  # the first try and one re-ask
            raw: list[str] = []
            try:
                problem = yield from self._attempt(planned, persona, turns, spoken, raw, problem, rejected)
            except LLMError as e:
                problem = f"the LLM failed: {e}"
                break  # the client already retried; do not make the candidate wait again
            if problem is None:
                self.name = f"llm:{self.model}"
                return
            rejected = "".join(raw)
            if spoken:
                break  # words were said: finish with the planned question instead of re-asking
        self.last_problem = problem
        log.info("LLM question not used (%s); the planned phrasing is used", scrub(problem or ""))
        yield (" " + planned.text) if spoken else planned.text
        self.name = f"llm:{self.model}+offline" if spoken else "offline"

    def _attempt(self, planned: PlannedQuestion, persona: Persona, turns: list[Turn], spoken: list[str],
                 raw: list[str], problem: str | None, rejected: str | None) -> Generator[str, None, str | None]:
        """Yield validated sentences; return None once a question is said, else the problem."""

        def open_stream(kept: list[Turn], omitted: int) -> tuple[str, Iterator[str]]:
            stream = self.llm.stream(
                build_messages(planned, persona, kept, omitted, problem, rejected),
                temperature=PERSONA_TEMPERATURE,
                max_tokens=PERSONA_MAX_TOKENS,
            )
            return next(stream), stream  # the first delta proves the prompt fits

        try:
            (first, source), _ = with_trimming(turns, open_stream)
        except StopIteration:
            return "the LLM returned nothing"
        try:
            return (yield from self._sentences(planned, chain([first], source), turns, spoken, raw))
        finally:
            close = getattr(source, "close", None)
            if callable(close):
                close()

    def _sentences(self, planned: PlannedQuestion, stream: Iterator[str], turns: list[Turn],
                   spoken: list[str], raw: list[str]) -> Generator[str, None, str | None]:
        topic = topic_words(planned, turns)
        buffer = ""
        for delta in stream:
            raw.append(delta)
            buffer += delta
            marker = NOTES_MARKER.search(buffer)
            speech = buffer[: marker.start()] if marker else buffer
            while True:
                m = _SENTENCE.match(speech.lstrip())
                if not m:
                    break
                sentence = clean_sentence(m.group(1))
                consumed = len(speech) - len(speech.lstrip()) + m.end()
                speech, buffer = speech[consumed:], buffer[consumed:]
                if not sentence:
                    continue
                why = check_sentence(sentence, spoken, turns, topic, planned.text)
                if why:
                    return why
                spoken.append(sentence)
                yield sentence if len(spoken) == 1 else " " + sentence
                if sentence.endswith("?"):
                    self._take_notes(planned, chain([buffer], stream), raw)
                    return None
            if marker:
                break
        tail = clean_sentence(NOTES_MARKER.split(buffer)[0]) if buffer else ""
        if tail:
            why = check_sentence(tail, spoken, turns, topic, planned.text)
            if why:
                return why
            if tail.endswith("?"):
                spoken.append(tail)
                yield tail if len(spoken) == 1 else " " + tail
                return None
        return "it did not ask a question"

    @staticmethod
    def _take_notes(planned: PlannedQuestion, rest: Iterator[str], raw: list[str]) -> None:
        """Read the rest of the reply (never spoken) and keep its private notes in `planned.note`."""
        text_parts = []
        deadline = time.monotonic() + NOTES_MAX_SECONDS  # the candidate should not wait on our notes
        try:
            for part in rest:
                text_parts.append(part)
                if time.monotonic() > deadline:
                    log.info("LLM notes cut short after %.0f s", NOTES_MAX_SECONDS)
                    break
        except LLMError as e:  # the question is already said; losing the notes is fine
            log.info("LLM notes cut off: %s", e)
        text = "".join(text_parts)
        raw.append(text)
        marker = NOTES_MARKER.search(text)
        if not marker:
            return
        strong, later = parse_notes(text[marker.end():])
        planned.note.strong.extend(s for s in strong if s not in planned.note.strong)
        planned.note.press_later.extend(p for p in later if p not in planned.note.press_later)
