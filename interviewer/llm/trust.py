"""How much the LLM judge is trusted, per signal, as measured by `interviewer calibrate`.

The judge runs over a calibration subset shipped with the package (answers by authors the offline grader never
trained on, with two independent labels each). Per signal, its presence calls and the offline grader's are
compared with the labels (Cohen's kappa); the judge's weight in the blend is

    weight = kappa_llm^2 / (kappa_llm^2 + kappa_offline^2)     (0 when the judge does no better than chance)

so a judge that agrees with the labels as well as the offline grader gets half the say, a weak one almost none,
and a much better one most of it. Weights are stored per endpoint and model in the user's config folder
(INTERVIEWER_CONFIG_DIR, else XDG_CONFIG_HOME/interviewer); without them the judge keeps its fixed one-point cap.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from ..errors import InterviewerError
from ..models import PRESENT_SCORE, SIGNAL_IDS

CONFIG_ENV = "INTERVIEWER_CONFIG_DIR"
TRUST_FILE = "judge-trust.json"


class SignalTrust(BaseModel):
    llm_agreement: float
    offline_agreement: float
    llm_kappa: float
    offline_kappa: float
    weight: float = Field(ge=0.0, le=1.0)


class Trust(BaseModel):
    endpoint: str
    model: str
    answers: int
    measured_at: datetime
    signals: dict[str, SignalTrust]

    def weights(self) -> dict[str, float]:
        return {s: t.weight for s, t in self.signals.items()}


def config_dir() -> Path:
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "interviewer"


def key(endpoint: str, model: str) -> str:
    return f"{endpoint}|{model}"


def kappa(pred: list[bool], truth: list[bool]) -> float:
    """Cohen's kappa of two yes/no raters; 0 when agreement is no better than chance."""
    n = len(truth)
    if n == 0:
        return 0.0
    agree = sum(p == t for p, t in zip(pred, truth, strict=True)) / n
    p_yes = sum(pred) / n
    t_yes = sum(truth) / n
    chance = p_yes * t_yes + (1 - p_yes) * (1 - t_yes)
    if chance >= 1.0:
        return 1.0 if agree == 1.0 else 0.0
    return (agree - chance) / (1 - chance)


def weight(k_llm: float, k_off: float) -> float:
    a, b = max(k_llm, 0.0) ** 2, max(k_off, 0.0) ** 2
    return round(a / (a + b), 3) if a + b > 0 else 0.0


def measure(
    llm_scores: list[dict[str, int]],
    offline_scores: list[dict[str, int]],
    gold_present: list[dict[str, bool]],
    endpoint: str,
    model: str,
) -> Trust:
    signals = {}
    for s in SIGNAL_IDS:
        truth = [g[s] for g in gold_present]
        llm = [x[s] >= PRESENT_SCORE for x in llm_scores]
        off = [x[s] >= PRESENT_SCORE for x in offline_scores]
        k_llm, k_off = kappa(llm, truth), kappa(off, truth)
        signals[s] = SignalTrust(
            llm_agreement=round(sum(a == b for a, b in zip(llm, truth, strict=True)) / len(truth), 3),
            offline_agreement=round(sum(a == b for a, b in zip(off, truth, strict=True)) / len(truth), 3),
            llm_kappa=round(k_llm, 3),
            offline_kappa=round(k_off, 3),
            weight=weight(k_llm, k_off),
        )
    return Trust(
        endpoint=endpoint,
        model=model,
        answers=len(gold_present),
        measured_at=datetime.now(timezone.utc),
        signals=signals,
    )


def _read(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise InterviewerError(f"{path}: cannot read the judge calibration ({e}); delete it and calibrate again") from None
    return data if isinstance(data, dict) else {}


def save(trust: Trust, folder: Path | None = None) -> Path:
    folder = folder or config_dir()
    path = folder / TRUST_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        data = _read(path)
        data[key(trust.endpoint, trust.model)] = json.loads(trust.model_dump_json())
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        raise InterviewerError(f"{path}: cannot save the judge calibration: {e.strerror or e}") from None
    return path


def load(endpoint: str, model: str, folder: Path | None = None) -> Trust | None:
    """The stored calibration for this endpoint and model, or None (a damaged entry counts as none)."""
    path = (folder or config_dir()) / TRUST_FILE
    try:
        entry = _read(path).get(key(endpoint, model))
    except InterviewerError:
        return None
    if entry is None:
        return None
    try:
        return Trust.model_validate(entry)
    except ValidationError:
        return None
