"""What the LLM judge must return, and reading it: the Verdict schema, its JSON schema, parsing and validation.

`Verdict` holds a 0-4 score, up to MAX_QUOTES quotes and a short rationale for every signal, optional red flags
and a summary. `verdict_schema` is sent to the endpoint (structured output or in the prompt); `parse_verdict`
reads the reply; `InvalidVerdict` with `validation_reason` is what a re-ask quotes back. Pure.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from ..models import FLAG_IDS, SIGNAL_IDS

MAX_QUOTES = 2
QUOTE_CHARS = 120
RATIONALE_CHARS = 80
SUMMARY_CHARS = 400

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


def validation_reason(e: Exception) -> str:
    if isinstance(e, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in e.errors()[:8])
    return str(e)
