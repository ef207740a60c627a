"""The LLM judge: asks the model for a Verdict, and the Grader that refines the offline grade with it.

Output format, per endpoint (remembered once found): `json_schema` structured output; else JSON mode
(`{"type": "json_object"}`, as llama.cpp's server accepts) with the schema in the prompt, first with the
schema attached (llama-cpp-python constrains generation with it), then plain. Temperature 0. A reply that
is not valid JSON for the schema is re-asked with the validation error (tenacity), up to JUDGE_ATTEMPTS;
then JudgeError carries the attempts and the last output, and the offline grade is used with a note.

The prompt is built in judge_prompt.py, the reply read and validated in verdict.py, and the verdict blended
with the offline grade by the rules in blend.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pydantic import ValidationError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from ..grading import OfflineGrader
from ..models import GradeReport, Level, Rubric, Turn, candidate_text
from ..protocols import LLM, Grader
from . import trust as trust_store
from .blend import combine, injection_note
from .errors import JudgeError, LLMError, ResponseFormatUnsupported
from .injection import find_injection
from .judge_prompt import build_messages
from .prompts import with_trimming
from .verdict import InvalidVerdict, Verdict, parse_verdict, validation_reason, verdict_schema

log = logging.getLogger("interviewer.llm")

JUDGE_ATTEMPTS = 3  # the first answer and two re-asks with the validation error
JUDGE_TEMPERATURE = 0.0
JUDGE_MAX_TOKENS = 1400
REASK_OUTPUT_CHARS = 2000  # how much of a bad reply is quoted back when re-asking
FORMATS = ("json_schema", "json_object+schema", "json_object")


def _response_format(mode: str) -> dict:
    if mode == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": "verdict", "strict": True, "schema": verdict_schema(strict=True)}}
    if mode == "json_object+schema":
        return {"type": "json_object", "schema": verdict_schema()}
    return {"type": "json_object"}


# --- the judge and the grader ------------------------------------------------------------------


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
            raise InvalidVerdict(validation_reason(e), text) from None


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
