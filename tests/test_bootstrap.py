"""scripts/bootstrap.sh: what a first `scripts/test` then `scripts/interview` installs, and what it skips.

The real script runs in a copy of the project with a virtual environment whose `python` only records how it
was called (a real install takes minutes and the network); the stamp logic is the script's own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO

SYSTEM_PACKAGES = ("espeak-ng", "libportaudio2", "python3-venv", "sox", "alsa-utils", "chromium", "cmake",
                   "build-essential")
RECORDING_PYTHON = '#!/usr/bin/env bash\nprintf "%s\\n" "$*" >>"$(dirname "$0")/../calls.log"\nexit 0\n'


def installed(package: str) -> bool:
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return "install ok installed" in r.stdout


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("dpkg-query") is None or not all(installed(p) for p in SYSTEM_PACKAGES):
        pytest.skip("the system packages are not all installed: bootstrap.sh would install them")
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "pyproject.toml", repo / "pyproject.toml")
    shutil.copy2(REPO / "scripts" / "bootstrap.sh", repo / "scripts" / "bootstrap.sh")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(RECORDING_PYTHON)
    python.chmod(0o755)
    return repo, venv


def bootstrap(repo: Path, venv: Path, want: str) -> tuple[list[str], str]:
    log = venv / "calls.log"
    log.unlink(missing_ok=True)
    r = subprocess.run(["bash", str(repo / "scripts" / "bootstrap.sh"), want], capture_output=True, text=True,
                       env={**os.environ, "INTERVIEWER_VENV": str(venv)}, timeout=60)
    assert r.returncode == 0, r.stderr
    calls = log.read_text().splitlines() if log.is_file() else []
    return [c for c in calls if "pip install" in c], r.stderr


def test_interview_after_test_installs_nothing_again(project):
    repo, venv = project
    installs, err = bootstrap(repo, venv, "test")
    assert len(installs) == 1 and installs[0].endswith("-e .[base,test,ray]"), installs
    assert err == "[setup] installing interviewer[base,test,ray] and its dependencies\n"

    installs, err = bootstrap(repo, venv, "run")  # scripts/interview: the test extras cover base
    assert installs == [] and err == ""
    installs, err = bootstrap(repo, venv, "test")
    assert installs == [] and err == ""


def test_a_changed_pyproject_or_a_missing_extra_installs_again(project):
    repo, venv = project
    installs, _ = bootstrap(repo, venv, "run")
    assert len(installs) == 1 and installs[0].endswith("-e .[base]")
    installs, _ = bootstrap(repo, venv, "test")  # the test extra is not there yet
    assert len(installs) == 1 and installs[0].endswith("-e .[base,test,ray]")
    installs, _ = bootstrap(repo, venv, "run")
    assert installs == []
    with open(repo / "pyproject.toml", "a") as f:
        f.write("# a changed declaration\n")
    installs, _ = bootstrap(repo, venv, "run")
    assert len(installs) == 1 and installs[0].endswith("-e .[base]")


def test_the_stamp_functions(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    script = f'''. "{REPO / "scripts" / "bootstrap.sh"}"
s="$(stamp_path venv)"
stamp_covers "$s" base && echo yes || echo no
mkdir venv && stamp_record "$s" base
stamp_covers "$s" base && echo yes || echo no
stamp_covers "$s" base,test && echo yes || echo no
stamp_record "$s" test,base
stamp_covers "$s" test && echo yes || echo no
cat "$s"
'''
    r = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["no", "yes", "no", "yes", "base,test"]
