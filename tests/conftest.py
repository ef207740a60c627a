"""Shared fixtures. Helpers for real engines (espeak-ng audio, the local LLM server) live beside this file."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from interviewer.catalog import Catalog, load_catalog

REPO = Path(__file__).resolve().parent.parent
# batch grading caches results; keep the tests' cache out of the user's home (subprocesses inherit it)
os.environ.setdefault("INTERVIEWER_CACHE", tempfile.mkdtemp(prefix="interviewer-test-cache-"))


# sections a test wants in the run's closing summary (the labeled-set confusion tables), printed even
# without -s: {title: text}
SUMMARY: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    for title, text in SUMMARY.items():
        terminalreporter.write_sep("-", title)
        terminalreporter.write_line(text)


REQUIRE_ALL_ENV = "INTERVIEWER_REQUIRE_ALL"  # scripts/test sets it: a skipped test fails the run


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under scripts/test (and so CI) a missing espeak-ng, chromium or llama.cpp server is a failure, not a
    quiet skip: the set-up installs them, so a skip means the set-up is broken."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get(REQUIRE_ALL_ENV) and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, but {REQUIRE_ALL_ENV}=1 requires every test to run: {reason}"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory):
    """One folder of espeak-ng renders for the run (skips without espeak-ng)."""
    from voice_audio import speech_cache

    return speech_cache(tmp_path_factory)


@pytest.fixture(scope="session")
def tiny_stt():
    """The real tiny.en model, loaded once."""
    from voice_audio import tiny_model

    return tiny_model()


@pytest.fixture
def sessions_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private session store for one test (also exported for subprocesses)."""
    d = tmp_path / "sessions"
    monkeypatch.setenv("INTERVIEWER_SESSIONS", str(d))
    return d


def _installed_cli() -> list[str]:
    script = Path(sys.executable).with_name("interviewer")
    if not script.is_file():
        pytest.exit(f"the interviewer console script is not installed beside {sys.executable}: "
                    "run scripts/test (or pip install -e '.[test]')", returncode=4)
    return [str(script)]


CLI = _installed_cli()


def cli_env(**extra: str) -> dict[str, str]:
    """Environment for CLI subprocesses: no LLM endpoint unless a test sets one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.pop("INTERVIEWER_MODEL", None)
    env.update(extra)
    return env


def run_cli(*args: str, input: str | None = None, env: dict[str, str] | None = None,
            cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed `interviewer` console script (beside this Python) in a real subprocess."""
    return subprocess.run(
        [*CLI, *args],
        input=input,
        capture_output=True,
        text=True,
        env=env if env is not None else cli_env(),
        cwd=cwd,
        timeout=timeout,
    )


# --- the LLM path: a real llama.cpp server (session-wide) and the scripted fault server ------------


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory):
    """llama-cpp-python's OpenAI-compatible server with SmolLM2-135M on a free 127.0.0.1 port."""
    from llm_server import llama_available, start_llama_server

    why = llama_available()
    if why:
        pytest.skip(why)
    server = start_llama_server(tmp_path_factory.mktemp("llama"))
    yield server
    server.stop()


@pytest.fixture
def fault_server():
    """A scripted OpenAI-compatible server producing 429s, 500s, timeouts and garbage on demand."""
    from llm_server import FaultServer

    server = FaultServer().start()
    yield server
    server.stop()
