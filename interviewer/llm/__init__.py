"""The LLM path: an OpenAI-compatible endpoint phrases questions in the persona's voice and refines the grade.

Everything here is optional: with no endpoint configured (or --offline), or when the endpoint fails, the
interview and the grade fall back to the offline path. `setup(args)` is the one entry point for the CLI.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .config import LLMConfig, display_url, is_configured, load_config
from .errors import JudgeError, LLMError
from .secrets import scrub

if TYPE_CHECKING:  # the openai client is imported only once an endpoint is configured
    from .client import ChatClient
    from .judge import LLMGrader
    from .persona import LLMPhraser

log = logging.getLogger("interviewer.llm")

# The candidate is waiting while the persona speaks: a tighter budget than the judge's.
PERSONA_READ_TIMEOUT = 15.0
PERSONA_MAX_TOTAL = 25.0
PERSONA_MAX_ATTEMPTS = 3
DOCTOR_MAX_TOKENS = 8


@dataclass
class LLMSetup:
    config: LLMConfig
    phraser: LLMPhraser
    grader: LLMGrader

    @property
    def model(self) -> str:
        return self.config.model


def make_phraser(config: LLMConfig, **client_kwargs: object) -> LLMPhraser:
    from .client import ChatClient
    from .persona import LLMPhraser

    persona_config = dataclasses.replace(
        config,
        max_attempts=min(config.max_attempts, PERSONA_MAX_ATTEMPTS),
    )
    if not config.timeout_set_by_user:
        persona_config = dataclasses.replace(
            persona_config,
            read_timeout=min(config.read_timeout, PERSONA_READ_TIMEOUT),
            max_total_seconds=min(config.max_total_seconds, PERSONA_MAX_TOTAL),
        )
    return LLMPhraser(ChatClient(persona_config, **client_kwargs), config.model)  # type: ignore[arg-type]


def make_grader(config: LLMConfig, **client_kwargs: object) -> LLMGrader:
    from .client import ChatClient
    from .judge import LLMGrader

    return LLMGrader(ChatClient(config, **client_kwargs), config.model,  # type: ignore[arg-type]
                     endpoint=display_url(config.base_url))


def configured(args: argparse.Namespace | None) -> tuple[LLMConfig | None, str | None]:
    """The endpoint's settings when one is configured, else (None, reason-or-None): the one place that decides
    whether a command uses the LLM. A configured endpoint that cannot even name a model gives (None, a warning
    to print), and the command runs offline."""
    if not is_configured(args):
        return None, None
    try:
        config = load_config(args)
    except LLMError as e:
        return None, f"LLM not used ({e}); running offline"
    return config, None


def setup(args: argparse.Namespace | None) -> tuple[LLMSetup | None, str | None]:
    """The LLM phraser and grader when an endpoint is configured, else (None, reason-or-None)."""
    config, warning = configured(args)
    if config is None:
        return None, warning
    return LLMSetup(config, make_phraser(config), make_grader(config)), None


def doctor_lines(args: argparse.Namespace | None = None) -> list[str]:
    """Lines for `interviewer doctor`: which endpoint and model, and whether it answers."""
    if args is not None and getattr(args, "offline", False):
        return ["LLM: off (--offline)"]
    if not is_configured(args):
        return ["LLM: not configured (set OPENAI_BASE_URL and/or OPENAI_API_KEY); offline persona and grader"]
    try:
        config = load_config(args)
    except LLMError as e:
        return [f"LLM: FAIL {e}"]
    assert config is not None
    from .client import ChatClient

    lines = [f"LLM: {config.describe()}, key {'set' if config.has_key else 'not set (local server)'}"]
    quick = dataclasses.replace(config, max_attempts=1, read_timeout=min(config.read_timeout, 30.0))
    start = time.monotonic()
    try:
        reply = ChatClient(quick).chat([{"role": "user", "content": "Reply with the word OK."}],
                                       max_tokens=DOCTOR_MAX_TOKENS, temperature=0)
    except LLMError as e:
        lines.append(f"LLM: FAIL the endpoint does not answer: {e}")
        return lines
    took = time.monotonic() - start
    lines.append(f"LLM: ok, answered in {took:.1f} s ({scrub(reply.strip())[:40]!r})")
    return lines


llm_doctor_lines = doctor_lines
_LAZY = {"ChatClient": "client", "LLMGrader": "judge", "LLMPhraser": "persona"}


def __getattr__(name: str) -> Any:
    """ChatClient, LLMGrader and LLMPhraser on first use, so importing this package stays cheap."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(name)

__all__ = [
    "ChatClient",
    "JudgeError",
    "LLMConfig",
    "LLMError",
    "LLMGrader",
    "LLMPhraser",
    "LLMSetup",
    "doctor_lines",
    "llm_doctor_lines",
    "configured",
    "load_config",
    "make_grader",
    "make_phraser",
    "setup",
]
