"""Retries read back from a session: which turns a grade saw, and what each attempt changed.

An attempt (`practice --retry`) is a short drill at one signal. Its answers stand in for the answer of the
turn it `replaces` (or for the previous attempt at the same signal), so the session is graded again on the
transcript with the new answer in place of the old; the original turns stay in the log untouched. Pure:
everything here works on a `Session` and its versioned grades.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..models import MAX_SCORE, GradeReport, Turn
from ..session_log import Attempt, Session


def graded_attempts(session: Session) -> list[Attempt]:
    """The attempts that finished with a grade, in order."""
    return [a for a in session.attempts if a.version is not None]


def effective_turns(session: Session, upto: int | None = None, extra: Attempt | None = None) -> list[Turn]:
    """The transcript a grade sees: the original turns with each graded attempt's answers in place of the
    ones it replaced (the latest attempt at a signal wins). `upto`: only attempts numbered up to it;
    `extra`: an attempt not graded yet, applied last (the one being graded)."""
    slots: list[list[Turn]] = [[t] for t in session.turns]
    by_index = {t.index: i for i, t in enumerate(session.turns)}
    slot_of_signal: dict[str, int] = {}
    applied = [a for a in graded_attempts(session) if upto is None or a.attempt <= upto]
    for a in [*applied, *([extra] if extra is not None else [])]:
        if a.signal in slot_of_signal:
            slot = slot_of_signal[a.signal]
        elif a.replaces is not None and a.replaces in by_index:
            slot = by_index[a.replaces]
        else:
            slots.append([])
            slot = len(slots) - 1
        slots[slot] = list(a.turns)
        slot_of_signal[a.signal] = slot
    return [t for s in slots for t in s]


def next_turn_index(session: Session) -> int:
    """A turn index no turn of the session (original or attempt) has used: attempt audio never collides."""
    used = [t.index for t in session.turns] + [t.index for a in session.attempts for t in a.turns]
    return max(used, default=-1) + 1


def replaced_turn(session: Session, signal: str, grade: GradeReport | None) -> int | None:
    """The turn a retry at `signal` stands in for: the last question aimed at it, else the answer holding
    most of its evidence, else None (the drill's answers are added after the last turn)."""
    aimed = [t.index for t in session.turns if t.target == signal and not t.skipped]
    if aimed:
        return aimed[-1]
    if grade is not None:
        evidence = next((s.evidence for s in grade.signals if s.id == signal), [])
        counts = {t.index: sum(1 for q in evidence if q.strip() and q.strip() in t.answer) for t in session.turns}
        best = max(counts, key=lambda i: (counts[i], -i), default=None)
        if best is not None and counts[best] > 0:
            return best
    return None


def weakest_signal(grade: GradeReport) -> str:
    """The lowest-scored signal (the rubric's order breaks ties)."""
    return min(grade.signals, key=lambda s: s.score).id


@dataclass
class AttemptChange:
    """Before and after an attempt: its signal and the overall, and the quotes that made the difference."""

    attempt: Attempt
    before: GradeReport | None
    after: GradeReport
    replaced: list[Turn] = field(default_factory=list)  # the answers it stood in for

    @property
    def signal(self) -> str:
        return self.attempt.signal

    def score(self, grade: GradeReport | None) -> int | None:
        if grade is None:
            return None
        return next((s.score for s in grade.signals if s.id == self.signal), 0)

    def quotes(self, grade: GradeReport | None) -> list[str]:
        if grade is None:
            return []
        return next((list(s.evidence) for s in grade.signals if s.id == self.signal), [])

    @property
    def gained(self) -> list[str]:
        old = set(self.quotes(self.before))
        return [q for q in self.quotes(self.after) if q not in old]

    @property
    def lost(self) -> list[str]:
        new = set(self.quotes(self.after))
        return [q for q in self.quotes(self.before) if q not in new]

    @property
    def top(self) -> int:
        return MAX_SCORE


def attempt_changes(session: Session, versions: Sequence[tuple[int, GradeReport]]) -> list[AttemptChange]:
    """Every graded attempt with the grade it set out to improve and the one it produced."""
    by_version = dict(versions)
    out: list[AttemptChange] = []
    for a in graded_attempts(session):
        before = by_version.get(a.before_version) if a.before_version is not None else None
        shown = effective_turns(session, upto=a.attempt - 1)
        replaced = [t for t in shown if t.index == a.replaces] if a.replaces is not None else []
        prior = [p for p in graded_attempts(session) if p.attempt < a.attempt and p.signal == a.signal]
        if prior:
            replaced = list(prior[-1].turns)
        out.append(AttemptChange(a, before, by_version[a.version], replaced))  # type: ignore[index]
    return out


def change_lines(change: AttemptChange) -> list[str]:
    """Before and after, for the attempt's signal and overall, with the quotes that made the difference."""
    a, before, after = change.attempt, change.before, change.after
    old, new = change.score(before), change.score(after)
    arrow = "=" if old == new else ("\u2191" if (new or 0) > (old or 0) else "\u2193")
    out = [f"retry {a.attempt} at {a.signal}: {old if old is not None else '-'} -> {new}/{MAX_SCORE} {arrow}"]
    if before is not None:
        out.append(f"overall: {before.overall.score:.0f} {before.overall.letter} -> {after.overall.score:.0f} "
                   f"{after.overall.letter} ({after.overall.score - before.overall.score:+.0f})")
    else:
        out.append(f"overall: {after.overall.score:.0f} {after.overall.letter}")
    out.extend(f"  + \u201c{q}\u201d" for q in change.gained)
    out.extend(f"  - \u201c{q}\u201d" for q in change.lost)
    return out
