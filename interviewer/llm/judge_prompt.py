"""The LLM judge's prompt: the rubric in compact form, the grading instructions and the transcript as data."""

from __future__ import annotations

import json

from ..models import Level, Rubric, Turn
from .prompts import DATA_RULES, content_tag, transcript_block
from .verdict import MAX_QUOTES, verdict_schema

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
