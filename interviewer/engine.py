"""PLACEHOLDER: the round engine (pure). The interview helper replaces this module."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .grading import Assessment
from .models import Level, Persona, Question, RoundKind, Turn

if TYPE_CHECKING:
    from .interview import PlannedQuestion


def plan_next(
    round_kind: RoundKind,
    persona: Persona,
    question: Question,
    turns: list[Turn],
    assessment: Assessment,
    level: Level,
) -> PlannedQuestion:
    raise NotImplementedError
