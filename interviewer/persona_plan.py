"""What a persona's plan is made of, besides its rounds: the curveball families and the timebox.

Plain data models, imported by `interviewer.models` (Persona, FollowUp); kept apart so models.py stays small.
"""

from __future__ import annotations

import string
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["FAMILY_SIGNAL", "CurveballFamily", "Timebox"]


class CurveballFamily(str, Enum):
    """The kinds of challenge a curveball makes, each aimed at one part of the candidate's story."""

    counterfactual = "counterfactual"  # the mitigation they used was not available: what then?
    root_depth = "root_depth"  # one level below the cause they gave: why did the safeguard let it through?
    credit = "credit"  # what they decided themselves, and what others did
    detection = "detection"  # without the signal that told them, when would they have known?
    scale = "scale"  # the same failure at ten times the load, or in more places


# the signal whose evidence a family's challenge stands on (it is only asked when that part was told)
FAMILY_SIGNAL: dict[CurveballFamily, str] = {
    CurveballFamily.counterfactual: "mitigation",
    CurveballFamily.root_depth: "root_cause",
    CurveballFamily.credit: "ownership",
    CurveballFamily.detection: "detection",
    CurveballFamily.scale: "impact",
}


class Timebox(BaseModel):
    """How the persona keeps the interview moving (spoken and text modes alike)."""

    model_config = ConfigDict(extra="forbid")

    opening_seconds: float = Field(default=180.0, gt=0)  # an opening story longer than this gets the cut-in
    words_per_minute: float = Field(default=150.0, gt=0)  # to judge a typed answer's length by its words
    short_words: int = Field(default=8, ge=0)  # an answer with fewer words gets one "say more" (0: never)
    cut_in: str = "Let me stop you there; I want to get to what you did first."
    say_more: str = "Could you say a bit more about {topic}?"

    @field_validator("say_more")
    @classmethod
    def _topic_only(cls, v: str) -> str:
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(v) if name is not None}
        except ValueError as e:
            raise ValueError(f"not a valid template ({e})") from None
        if names != {"topic"}:
            raise ValueError("must use the {topic} placeholder and no other")
        return v
