"""The data files ship with the package: install it into a folder and list them from somewhere else."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import REPO, cli_env

SHIPPED = ("pyproject.toml", "README.md", "interviewer", "personas", "rubric", "questions")


@pytest.mark.slow
def test_installed_package_carries_personas_rubrics_and_questions(tmp_path):
    source = tmp_path / "src"  # a copy, so the build leaves nothing in the checkout
    for name in SHIPPED:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(src, source / name)
    target = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-compile",
         "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert build.returncode == 0, build.stderr
    # a first install shows the user only the project's own lines: no setuptools deprecation banner
    # (`project.license` as a TOML table) or any other build warning
    assert "license" not in build.stderr.lower() and "warning" not in build.stderr.lower(), build.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = cli_env(PYTHONPATH=str(target))
    env.pop("INTERVIEWER_DATA_DIR", None)
    for command, expected in (("personas", ["peer", "bar-raiser", "exec"]),
                              ("rubrics", ["production-incident"]),
                              ("questions", ["incident-classic", "incident-changed-org"])):
        r = subprocess.run([sys.executable, "-c", "import sys, interviewer.cli as c; sys.exit(c.main())", command],
                           capture_output=True, text=True, env=env, cwd=elsewhere, timeout=60)
        assert r.returncode == 0, r.stderr
        for name in expected:
            assert name in r.stdout, (command, name)
    page = subprocess.run(  # the report templates, CSS and JS ship too: a page renders from the installed copy
        [sys.executable, "-c", "from interviewer.report.html import render_history_page as r; print(r([]))"],
        capture_output=True, text=True, env=env, cwd=elsewhere, timeout=60)
    assert page.returncode == 0, page.stderr
    assert "header.top{" in page.stdout and "data-ready" in page.stdout and 'id="history"' in page.stdout
    where = subprocess.run([sys.executable, "-c", "import interviewer; print(interviewer.__file__)"],
                           capture_output=True, text=True, env=env, cwd=elsewhere, timeout=60)
    assert where.stdout.strip().startswith(str(target)), "the installed copy was not the one imported"
    assert (target / "interviewer" / "interview" / "practice.py").is_file()  # the sub-package is shipped
