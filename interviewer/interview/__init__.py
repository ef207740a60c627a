"""One interview: the round engine (`engine`, pure), the loop that runs the rounds (`interview`) and the
`interviewer practice` command around it (`practice`, with the terminal channel in `text`).

The loop's public names are re-exported here; the seams it runs on (`Channel`, `Phraser`, `PlannedQuestion`,
`Said`, `Answer`) live in `interviewer.protocols`.
"""

from __future__ import annotations

from ..protocols import Answer, Channel, Phraser, PlannedQuestion, Said
from .interview import InterviewResult, InterviewSetup, OfflinePhraser, run_interview

__all__ = [
    "Answer",
    "Channel",
    "InterviewResult",
    "InterviewSetup",
    "OfflinePhraser",
    "Phraser",
    "PlannedQuestion",
    "Said",
    "run_interview",
]
