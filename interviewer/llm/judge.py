"""The LLM judge: a structured verdict from the model, checked against the transcript, merged with the detectors.

Output format, per endpoint (remembered once found): `json_schema` structured output; else JSON mode
(`{"type": "json_object"}`, as llama.cpp's server accepts) with the schema in the prompt, first with the
schema attached (llama-cpp-python constrains generation with it), then plain. Temperature 0. A reply that
is not valid JSON for the schema is re-asked with the validation error (tenacity), up to JUDGE_ATTEMPTS;
then JudgeError carries the attempts and the last output, and the offline grade is used with a note.

How scores are combined (COMBINE_NOTE, also written into every report):
- every LLM quote is looked up in the transcript (whitespace and case are ignored to find it; the
  transcript's own exact text is stored); quotes not found are dropped;
- the LLM cannot raise a signal above the detector score without a surviving quote of its own;
- the final score is the LLM's, kept within one point of the detector score; when the answers contain
  instructions aimed at the grader (injection.py), the LLM can lower a score but not raise it;
- a signal scored 3 or more with no surviving quote at all (the detectors' or the LLM's) is capped at 2;
- red flags come from the detectors; their caps hold: a signal tied to a raised flag cannot rise (LLM-only
  flag suggestions are listed in the notes); the overall result follows the offline grader's rules.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from ..grading import OfflineGrader, scoring
from ..grading.grader import _summary as offline_summary
from ..grading.learned import shipped_bands
from ..models import (
    FLAG_IDS,
    MAX_SCORE,
    SIGNAL_IDS,
    GradeReport,
    Level,
    Rubric,
    SignalScore,
    Turn,
    candidate_text,
)
from ..protocols import LLM, Grader
from . import trust as trust_store
from .errors import JudgeError, LLMError, ResponseFormatUnsupported
from .injection import find_injection
from .prompts import DATA_RULES, content_tag, transcript_block, with_trimming
from .secrets import scrub

log = logging.getLogger("interviewer.llm")

JUDGE_ATTEMPTS = 3  # the first answer and two re-asks with the validation error
JUDGE_TEMPERATURE = 0.0
JUDGE_MAX_TOKENS = 1400
MAX_QUOTES = 2
QUOTE_CHARS = 120
RATIONALE_CHARS = 80
SUMMARY_CHARS = 400
MIN_QUOTE_CHARS = 8  # shorter "quotes" ("we", "the API") are not evidence
LLM_MAX_LIFT = 1  # points the LLM may move a signal away from the detector score
UNQUOTED_CAP = 2  # a signal at 3+ with no verbatim quote at all counts as this
MAX_EVIDENCE = 4
REASK_OUTPUT_CHARS = 2000  # how much of a bad reply is quoted back when re-asking
FORMATS = ("json_schema", "json_object+schema", "json_object")

COMBINE_NOTE = (
    "Scores combine the evidence detectors and the LLM judge: each signal takes the LLM's score kept within "
    f"{LLM_MAX_LIFT} point of the detector score; the LLM cannot raise a signal without a verbatim quote of "
    f"its own, and a signal at 3+ with no verbatim quote at all counts as {UNQUOTED_CAP}; red flags come "
    "from the detectors, and a signal a "
    "raised flag caps (blame: root_cause, hero: ownership, conflation: mitigation, vague: impact, "
    "no_prevention: prevention) cannot rise. Overall score, letter and recommendation then follow the "
    "offline grader's rules."
)

CALIBRATED_NOTE = (
    "Scores combine the evidence detectors and the LLM judge by measured trust: each signal moves from the "
    "detector score toward the LLM's by the weight `interviewer calibrate` measured for this endpoint and model "
    "on labeled answers; the LLM cannot raise a signal without a verbatim quote of its own, and a signal at 3+ "
    f"with no verbatim quote at all counts as {UNQUOTED_CAP}; red flags come from the detectors and their caps "
    "hold. Overall score, letter and recommendation then follow the offline grader's rules."
)

FlagId = Literal[FLAG_IDS]  # type: ignore[valid-type]
Score = Literal[0, 1, 2, 3, 4]


def _clip(v: Any, limit: int) -> Any:
    return v[:limit] if isinstance(v, str) else v


class JudgedSignal(BaseModel):
    """The LLM-facing schema for one signal."""

    model_config = ConfigDict(extra="ignore")
    score: Score  # an enum, not min/max: grammar-constrained servers (llama.cpp) then cannot emit a 10
    quotes: list[str] = Field(default_factory=list, max_length=MAX_QUOTES,
                              json_schema_extra={"items": {"type": "string", "maxLength": QUOTE_CHARS}})
    rationale: str = Field(default="", json_schema_extra={"maxLength": RATIONALE_CHARS})

    @field_validator("quotes", mode="before")
    @classmethod
    def _few_quotes(cls, v: Any) -> Any:
        return v[:MAX_QUOTES] if isinstance(v, list) else v

    @field_validator("rationale", mode="before")
    @classmethod
    def _short_rationale(cls, v: Any) -> Any:
        return _clip(v, RATIONALE_CHARS)


# Keyed by signal id, every id required: a grammar-constrained server then cannot skip or repeat a signal.
JudgedSignals = create_model(  # type: ignore[call-overload]
    "JudgedSignals", __config__=ConfigDict(extra="ignore"), **{sid: (JudgedSignal, ...) for sid in SIGNAL_IDS}
)


class JudgedFlag(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: FlagId
    quotes: list[str] = Field(default_factory=list, max_length=MAX_QUOTES)

    @field_validator("quotes", mode="before")
    @classmethod
    def _few_quotes(cls, v: Any) -> Any:
        return v[:MAX_QUOTES] if isinstance(v, list) else v


class Verdict(BaseModel):
    """What the LLM judge must return: a score for every signal, optional flags, a short summary."""

    model_config = ConfigDict(extra="ignore")
    signals: JudgedSignals  # type: ignore[valid-type]
    flags: list[JudgedFlag] = Field(default_factory=list)
    summary: str = Field(default="", json_schema_extra={"maxLength": SUMMARY_CHARS})

    @field_validator("summary", mode="before")
    @classmethod
    def _short_summary(cls, v: Any) -> Any:
        return _clip(v, SUMMARY_CHARS)

    def signal(self, signal_id: str) -> JudgedSignal:
        return getattr(self.signals, signal_id)


def verdict_schema(strict: bool = False) -> dict:
    """The JSON schema of Verdict; `strict` drops keywords OpenAI's strict mode does not accept."""
    schema = Verdict.model_json_schema()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
                node["required"] = list(node["properties"])  # the prompt asks for every field
            for key in ("title", "default", "description") + (("maxLength", "maxItems") if strict else ()):
                node.pop(key, None)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(schema)
    return schema


# --- quotes --------------------------------------------------------------------------------

_QUOTE_EDGES = " \t\n\"'\u201c\u201d\u2018\u2019.,;:…-"
_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": "-", "\u2013": "-"})


def _folded(text: str) -> tuple[str, list[int]]:
    """`text` lower-cased with whitespace runs collapsed, and each kept char's index in `text`."""
    chars: list[str] = []
    index: list[int] = []
    prev_space = True
    for i, ch in enumerate(text):
        if ch.isspace():
            if not prev_space:
                chars.append(" ")
                index.append(i)
            prev_space = True
            continue
        chars.append(ch.lower().translate(_FOLD))
        index.append(i)
        prev_space = False
    return "".join(chars), index


def find_verbatim(quote: str, transcript: str) -> str | None:
    """The transcript's exact text for `quote` (found ignoring whitespace, case, curly quotes), else None."""
    q = quote.strip(_QUOTE_EDGES).replace("...", " ").strip()
    if len(q) < MIN_QUOTE_CHARS:
        return None
    if q in transcript:
        return q
    hay, index = _folded(transcript)
    needle, _ = _folded(q)
    pos = hay.find(needle.strip())
    if pos < 0:
        return None
    end = pos + len(needle.strip()) - 1
    return transcript[index[pos] : index[end] + 1]


# --- prompts -------------------------------------------------------------------------------


SCALE = "0 absent, 1 token mention, 2 present but thin, 3 solid, 4 exemplary"
PROMPT_ANCHORS = (2, 4)  # the anchors quoted per signal; the scale line covers the levels between


def rubric_text(rubric: Rubric, level: Level) -> str:
    """The rubric, compact: a long prompt slows small local models far more than it helps them."""
    lines = []
    for s in rubric.signals:
        anchors = "; ".join(f"{k}: {s.anchors[k]}" for k in PROMPT_ANCHORS if k in s.anchors)
        expect = s.level_expectations.get(level)
        lines.append(f"- {s.id}: {s.description} ({anchors})" + (f" At {level.value}: {expect}" if expect else ""))
    flags = "\n".join(f"- {f.id}: {f.description}" for f in rubric.flags)
    return f"Signals, each scored 0-4 ({SCALE}):\n" + "\n".join(lines) + "\nRed flags:\n" + flags


def build_messages(turns: list[Turn], omitted: int, rubric: Rubric, level: Level, question: str | None,
                   schema_in_prompt: bool) -> list[dict]:
    tag = content_tag(turns)  # the same transcript gets the same prompt, so temperature 0 can be consistent
    system = (
        "You grade a candidate's answer to a behavioral interview question about a production incident. "
        "Grade only the candidate's words, strictly against the rubric; be sceptical and fair.\n"
        + rubric_text(rubric, level)
        + f"\nFor every signal give a score, up to {MAX_QUOTES} quotes copied exactly, word for word, from the "
        "candidate's answers, and a one-sentence rationale. A score of 3 or 4 needs at least one exact quote. "
        "List a red flag only with the quotes that show it. Temperature is zero: be consistent.\n"
        + DATA_RULES.format(tag=tag)
        + "\nReply with one JSON object only."
    )
    if schema_in_prompt:
        system += " It must follow this JSON schema:\n" + json.dumps(verdict_schema(), separators=(",", ":"))
    user = (
        (f"The question asked: {question}\n" if question else "")
        + transcript_block(turns, tag, omitted, with_notes=True)
        + "\nGrade the candidate now. JSON only."
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _response_format(mode: str) -> dict:
    if mode == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": "verdict", "strict": True, "schema": verdict_schema(strict=True)}}
    if mode == "json_object+schema":
        return {"type": "json_object", "schema": verdict_schema()}
    return {"type": "json_object"}


def parse_verdict(text: str) -> Verdict:
    """Verdict from the model's text (code fences and prose around the object are tolerated)."""
    body = text.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", body, re.S)
    if fenced:
        body = fenced.group(1).strip()
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("the reply is not a JSON object" + (" (it was cut off)" if start >= 0 else ""))
    try:
        data = json.loads(body[start : end + 1], strict=False)  # raw newlines inside strings are harmless
    except json.JSONDecodeError as e:
        raise ValueError(f"the reply is not valid JSON: {e}") from None
    return Verdict.model_validate(data)


class InvalidVerdict(Exception):
    """One unusable reply; re-asked with the reason."""

    def __init__(self, reason: str, output: str):
        super().__init__(reason)
        self.output = output


def _reason(e: Exception) -> str:
    if isinstance(e, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in e.errors()[:8])
    return str(e)


# --- the grader ----------------------------------------------------------------------------


class LLMJudge:
    """Asks the LLM for a Verdict, choosing the response format the endpoint supports."""

    format_cache: dict[str, str] = {}  # endpoint key -> the format that worked

    def __init__(self, llm: LLM, model: str, endpoint: str = "", attempts: int = JUDGE_ATTEMPTS,
                 max_tokens: int = JUDGE_MAX_TOKENS):
        self.llm = llm
        self.model = model
        self.key = f"{endpoint}|{model}"
        self.attempts = attempts
        self.max_tokens = max_tokens
        self.omitted = 0
        self.format_used: str | None = None

    def _ask(self, build: Callable[[bool], list[dict]]) -> str:
        """Ask in the best format the endpoint takes; `build(schema_in_prompt)` makes the messages."""
        start = FORMATS.index(self.format_cache.get(self.key, FORMATS[0]))
        for mode in FORMATS[start:]:
            try:
                text = self.llm.chat(build(mode != "json_schema"), temperature=JUDGE_TEMPERATURE,
                                     max_tokens=self.max_tokens, response_format=_response_format(mode))
            except ResponseFormatUnsupported:
                log.info("endpoint does not take response_format %s; trying the next", mode)
                continue
            self.format_cache[self.key] = mode
            self.format_used = mode
            return text
        raise ResponseFormatUnsupported("the endpoint accepts none of json_schema, json_object")

    def verdict(self, turns: list[Turn], rubric: Rubric, level: Level, question: str | None) -> Verdict:
        """A validated Verdict, or JudgeError (with attempts and the last output) when none comes."""
        last: InvalidVerdict | None = None
        attempts = 0
        try:
            for attempt in Retrying(stop=stop_after_attempt(self.attempts),
                                    retry=retry_if_exception_type(InvalidVerdict), reraise=True):
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    try:
                        return self._once(turns, rubric, level, question, last)
                    except InvalidVerdict as e:
                        last = e  # the next attempt quotes it with its validation error
                        raise
        except InvalidVerdict as e:
            raise JudgeError(f"no valid verdict after {attempts} attempt(s): {e}", attempts, e.output) from None
        except LLMError as e:
            raise JudgeError(f"the LLM failed: {e}", max(attempts, e.attempts),
                             last.output if last else None) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, turns: list[Turn], rubric: Rubric, level: Level, question: str | None,
              last: InvalidVerdict | None) -> Verdict:
        def ask(kept: list[Turn], omitted: int) -> str:
            def build(schema_in_prompt: bool) -> list[dict]:
                messages = build_messages(kept, omitted, rubric, level, question, schema_in_prompt)
                if last is not None:
                    messages += [
                        {"role": "assistant", "content": last.output[:REASK_OUTPUT_CHARS]},
                        {"role": "user", "content": f"That JSON is not valid: {last}. Reply again with the "
                                                    "corrected JSON object only."},
                    ]
                return messages

            return self._ask(build)

        text, self.omitted = with_trimming(turns, ask)
        try:
            return parse_verdict(text)
        except (ValueError, ValidationError) as e:
            raise InvalidVerdict(_reason(e), text) from None


class LLMGrader:
    """interviewer.protocols.Grader: the offline grade, refined by the LLM judge within fixed bounds."""

    def __init__(self, llm: LLM, model: str, endpoint: str = "", offline: Grader | None = None,
                 attempts: int = JUDGE_ATTEMPTS):
        self.judge = LLMJudge(llm, model, endpoint, attempts)
        self.model = model
        self.endpoint = endpoint
        calibrated = trust_store.load(endpoint, model)
        self.trust = calibrated.weights() if calibrated is not None else None
        self.offline = offline or OfflineGrader()
        self.name = f"llm:{model}+offline"
        self.last_error: JudgeError | None = None

    def grade(self, turns: list[Turn], rubric: Rubric, level: Level, question: str | None = None) -> GradeReport:
        base = self.offline.grade(turns, rubric, level, question)
        transcript = candidate_text(turns)
        injection = find_injection(transcript)
        self.last_error = None
        try:
            verdict = self.judge.verdict(turns, rubric, level, question)
        except JudgeError as e:
            self.last_error = e
            log.warning("LLM judge failed: %s", e)
            report = base.model_copy(deep=True)
            report.notes.append(f"LLM judge ({self.model}) gave no usable verdict after {e.attempts} "
                                f"attempt(s) ({e}); this is the offline grade.")
            if injection:
                report.notes.append(injection_note(injection))
            return report
        report = combine(base, verdict, transcript, injection, rubric, self.trust)
        report.grader = self.name
        if self.judge.omitted:
            report.notes.append(f"The LLM judge saw only the last {len(turns) - self.judge.omitted} turn(s) "
                                "(context window); the detectors read all of them.")
        return report


def injection_note(phrases: list[str]) -> str:
    shown = "; ".join(f'"{p}"' for p in phrases[:3])
    return (f"The answers contain instructions aimed at the grader ({shown}); they were treated as the "
            "candidate's words, and the LLM judge was not allowed to raise any score.")


def combine(base: GradeReport, verdict: Verdict, transcript: str, injection: list[str],
            rubric: Rubric, trust: dict[str, float] | None = None) -> GradeReport:
    """Merge a Verdict into the offline report by the rules in COMBINE_NOTE (pure).

    With `trust` (per-signal weights measured by `interviewer calibrate`), each signal moves from the detector
    score toward the LLM's by its weight instead of the fixed one-point cap; the quote rules and caps still hold.
    """
    report = base.model_copy(deep=True)
    dropped = 0
    capped = {scoring.FLAG_SIGNAL[f] for f in report.flag_ids() if f in scoring.FLAG_SIGNAL}
    signals: list[SignalScore] = []
    for s in report.signals:
        det = s.score
        judged = verdict.signal(s.id)
        quotes: list[str] = []
        for q in judged.quotes:
            found = find_verbatim(q, transcript)
            if found is None:
                dropped += 1
            elif found not in quotes:
                quotes.append(found)
        llm = judged.score
        if llm > det and not quotes:
            llm = det  # no rise without the LLM's own verbatim evidence
        # no lift once an injection is spotted, nor on a signal a detector flag caps (hero -> ownership...)
        if trust is None:
            ceiling = det if injection or s.id in capped else det + LLM_MAX_LIFT
            final = max(det - LLM_MAX_LIFT, min(llm, ceiling))
        else:
            final = math.floor(det + trust.get(s.id, 0.0) * (llm - det) + 0.5)
            if final > det and (injection or s.id in capped):
                final = det
        final = max(0, min(MAX_SCORE, final))
        evidence = list(s.evidence)
        for q in quotes:
            if q not in evidence and len(evidence) < MAX_EVIDENCE:
                evidence.append(q)
        if final >= UNQUOTED_CAP + 1 and not evidence:
            final = UNQUOTED_CAP  # a solid score rests on at least one verbatim quote
        advice = rubric.signal(s.id).advice if final < MAX_SCORE else ""
        signals.append(s.model_copy(update={"score": final, "evidence": evidence, "advice": advice,
                                            "detector_score": det, "llm_score": judged.score}))
    report.signals = signals
    rescore(report, rubric)
    report.notes.append(COMBINE_NOTE if trust is None else CALIBRATED_NOTE)
    if dropped:
        report.notes.append(f"{dropped} quote(s) from the LLM judge were not found verbatim in the transcript "
                            "and were dropped.")
    if injection:
        report.notes.append(injection_note(injection))
    raised = set(report.flag_ids())
    extra = []
    for f in verdict.flags:
        quotes = [q for q in (find_verbatim(x, transcript) for x in f.quotes) if q]
        if f.id not in raised and quotes:
            extra.append(f'{f.id} ("{quotes[0]}")')
    if extra:
        report.notes.append("The LLM judge also suggested these red flags, not raised by the detectors: "
                            + ", ".join(extra) + ".")
    if verdict.summary.strip():
        report.notes.append(f"LLM judge's summary: {scrub(verdict.summary.strip())}")
    return report


def rescore(report: GradeReport, rubric: Rubric) -> None:
    """Overall score, letter, recommendation, improvements and summary from the combined signal scores,
    by the offline grader's own rules (same weights, level and flag penalties)."""
    scores = {sig.id: sig.score for sig in report.signals}
    flags = report.flag_ids()
    bands = shipped_bands()
    report.overall = scoring.overall(scores, flags, rubric, report.level, bands)
    report.improvements = scoring.improvements(scores, flags, rubric, report.level, bands)
    report.summary = offline_summary(scores, flags, report.overall, report.level)
