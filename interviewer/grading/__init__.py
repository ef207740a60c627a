"""Offline, deterministic, evidence-based grading.

`assess(text)` runs every detector over the candidate's words (pure, fast, used live by the round engine to
find the biggest gap); `grade(...)` turns that into a full GradeReport against a rubric and level.
"""

from .assessment import Assessment, Entities
from .grader import OfflineGrader, assess, grade

__all__ = ["Assessment", "Entities", "OfflineGrader", "assess", "grade"]
