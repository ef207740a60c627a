"""Load rubrics, personas and the question bank from YAML data files.

Built-in files ship inside the package (the top-level personas/, rubric/ and questions/ folders are mapped
into it by pyproject.toml). Users add their own from a directory given by `--data-dir` or
INTERVIEWER_DATA_DIR, with the same sub-folders; a user file whose id matches a built-in one replaces it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import CatalogError
from .models import Level, Persona, Question, Rubric

DATA_DIR_ENV = "INTERVIEWER_DATA_DIR"
DEFAULT_RUBRIC = "production-incident"
DEFAULT_PERSONA = "peer"
KINDS = ("personas", "rubric", "questions")

M = TypeVar("M", bound=BaseModel)


def builtin_dir(kind: str) -> Path:
    """The folder holding the built-in files of `kind`, installed or in a source checkout."""
    try:
        path = Path(str(resources.files(f"interviewer.{kind}")))
        if path.is_dir():
            return path
    except ModuleNotFoundError:
        pass
    # running from a source checkout without installing: the top-level folders
    return Path(__file__).resolve().parent.parent / kind


def _read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise CatalogError(f"{path}: cannot read: {e}") from e
    except yaml.YAMLError as e:
        raise CatalogError(f"{path}: not valid YAML: {e}") from e


def _validate(model: type[M], data: object, path: Path, where: str = "") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in e.errors()
        )
        raise CatalogError(f"{path}{where}: invalid {model.__name__.lower()}: {problems}") from None


def _files(kind: str, data_dir: Path | None) -> list[Path]:
    dirs = [builtin_dir(kind)]
    if data_dir is not None:
        dirs.append(data_dir / kind)
    out: list[Path] = []
    for d in dirs:
        if d.is_dir():
            out.extend(sorted(p for p in d.iterdir() if p.suffix in (".yaml", ".yml")))
    return out


@dataclass
class Catalog:
    """Everything the interviewer can choose from, validated."""

    rubrics: dict[str, Rubric] = field(default_factory=dict)
    personas: dict[str, Persona] = field(default_factory=dict)
    questions: dict[str, Question] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)  # "kind:id" -> file it came from

    def rubric(self, rubric_id: str = DEFAULT_RUBRIC, option: str | None = None) -> Rubric:
        """The rubric; an unknown id is a CatalogError naming the command-line `option` it came from, if any."""
        return _pick(self.rubrics, rubric_id, "rubric", option)

    def persona(self, persona_id: str = DEFAULT_PERSONA, option: str | None = None) -> Persona:
        return _pick(self.personas, persona_id, "persona", option)

    def question(self, question_id: str, option: str | None = None) -> Question:
        return _pick(self.questions, question_id, "question", option)

    def questions_for(self, level: Level) -> list[Question]:
        return [q for q in self.questions.values() if level in q.levels]


def _pick(table: dict[str, M], key: str, what: str, option: str | None = None) -> M:
    if key not in table:
        known = ", ".join(sorted(table)) or "none"
        where = f"{option} {key!r}: no such {what}" if option else f"unknown {what} {key!r}"
        raise CatalogError(f"{where}; available: {known}")
    return table[key]


def resolve_data_dir(data_dir: str | Path | None) -> Path | None:
    raw = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV)
    if not raw:
        return None
    path = Path(raw).expanduser()
    if not path.is_dir():
        source = "--data-dir" if data_dir is not None else DATA_DIR_ENV
        raise CatalogError(f"{source}: {path} is not a directory")
    return path


def load_catalog(data_dir: str | Path | None = None) -> Catalog:
    """Load and validate the built-in catalog plus the user's files, if any."""
    user_dir = resolve_data_dir(data_dir)
    cat = Catalog()
    for path in _files("rubric", user_dir):
        rubric = _validate(Rubric, _read_yaml(path), path)
        cat.rubrics[rubric.id] = rubric
        cat.sources[f"rubric:{rubric.id}"] = path
    for path in _files("personas", user_dir):
        persona = _validate(Persona, _read_yaml(path), path)
        cat.personas[persona.id] = persona
        cat.sources[f"persona:{persona.id}"] = path
    for path in _files("questions", user_dir):
        data = _read_yaml(path)
        items = data.get("questions") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise CatalogError(f"{path}: expected a mapping with a 'questions' list")
        for i, item in enumerate(items):
            q = _validate(Question, item, path, f" (question #{i + 1})")
            cat.questions[q.id] = q
            cat.sources[f"question:{q.id}"] = path
    _check_references(cat)
    return cat


def _check_references(cat: Catalog) -> None:
    """Cross-file checks: follow-ups and questions must name real rubric signals and flags."""
    signal_ids = {s.id for r in cat.rubrics.values() for s in r.signals}
    flag_ids = {f.id for r in cat.rubrics.values() for f in r.flags}
    for p in cat.personas.values():
        seen: set[str] = set()
        for fu in p.followups:
            where = f"{cat.sources[f'persona:{p.id}']}: follow-up {fu.id!r}"
            if fu.id in seen:
                raise CatalogError(f"{where}: duplicate id")
            seen.add(fu.id)
            if fu.signal and fu.signal not in signal_ids:
                raise CatalogError(f"{where}: unknown signal {fu.signal!r}")
            if fu.flag and fu.flag not in flag_ids:
                raise CatalogError(f"{where}: unknown flag {fu.flag!r}")
        for kind, signals in p.focus.items():
            bad = [s for s in signals if s not in signal_ids]
            if bad:
                raise CatalogError(f"{cat.sources[f'persona:{p.id}']}: focus of the {kind.value} round: "
                                   f"unknown signals {bad}")
    for q in cat.questions.values():
        bad = [c for c in q.competencies if c not in signal_ids]
        if bad:
            raise CatalogError(f"{cat.sources[f'question:{q.id}']}: question {q.id!r}: unknown competencies {bad}")
