"""Which OpenAI-compatible endpoint and model to use, and the time and retry budgets.

The endpoint is whatever the `openai` client reads: OPENAI_BASE_URL (default api.openai.com) and
OPENAI_API_KEY. The model comes from `--model`, else INTERVIEWER_MODEL, else a default for the kind of
endpoint (OpenAI, Ollama), else the first model the server lists at /v1/models.
The key itself is never stored here: the client reads it from the environment.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from .errors import LLMError, LLMUnavailable
from .secrets import scrub

if TYPE_CHECKING:
    from openai import OpenAI

BASE_URL_ENV = "OPENAI_BASE_URL"
API_KEY_ENV = "OPENAI_API_KEY"
MODEL_ENV = "INTERVIEWER_MODEL"
TIMEOUT_ENV = "INTERVIEWER_LLM_TIMEOUT"  # read timeout in seconds, for slow local models on a CPU
OPENAI_HOST = "api.openai.com"
OLLAMA_PORT = 11434
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_OLLAMA_MODEL = "llama3.2"
# Local servers (Ollama, vLLM, LM Studio, llama.cpp) ignore the key, but the client refuses to start without one.
DUMMY_KEY = "no-key-needed"

CONNECT_TIMEOUT = 5.0  # seconds to open the connection
READ_TIMEOUT = 60.0  # seconds between bytes of a reply (per chunk when streaming)
WRITE_TIMEOUT = 10.0
MODELS_TIMEOUT = 5.0  # asking /v1/models for a default model name
MAX_ATTEMPTS = 4  # per request, including the first
MAX_TOTAL_SECONDS = 90.0  # no retry starts after this many seconds from the first attempt
TOTAL_PER_READ = 1.5  # with a longer read timeout, the total budget grows to this many read timeouts
BACKOFF_INITIAL = 0.5  # seconds before the first retry, doubled per attempt, plus jitter
BACKOFF_MAX = 8.0
BACKOFF_JITTER = 0.5
MAX_RETRY_AFTER = 20.0  # a server's Retry-After is honoured up to this many seconds


@dataclass(frozen=True)
class LLMConfig:
    """An endpoint and a model. `base_url` None means the client's default (api.openai.com)."""

    base_url: str | None
    model: str
    has_key: bool
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    max_attempts: int = MAX_ATTEMPTS
    max_total_seconds: float = MAX_TOTAL_SECONDS
    timeout_set_by_user: bool = False  # INTERVIEWER_LLM_TIMEOUT given: the persona waits as long too

    @property
    def kind(self) -> str:
        return endpoint_kind(self.base_url)

    def describe(self) -> str:
        """One line for humans: endpoint (without credentials) and model. Never the key."""
        return f"{display_url(self.base_url)} ({self.kind}), model {self.model}"


def is_configured(args: argparse.Namespace | None = None, environ: dict[str, str] | None = None) -> bool:
    """An endpoint is configured when OPENAI_BASE_URL or OPENAI_API_KEY is set and --offline is not given."""
    env = os.environ if environ is None else environ
    if args is not None and getattr(args, "offline", False):
        return False
    return bool(env.get(BASE_URL_ENV) or env.get(API_KEY_ENV))


def endpoint_kind(base_url: str | None) -> str:
    if not base_url:
        return "openai"
    parts = urlsplit(base_url)
    if parts.hostname == OPENAI_HOST:
        return "openai"
    if parts.port == OLLAMA_PORT:
        return "ollama"
    return "other"


def display_url(base_url: str | None) -> str:
    """The endpoint URL with any user:password removed."""
    if not base_url:
        return f"https://{OPENAI_HOST}/v1"
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def make_openai(
    base_url: str | None,
    connect_timeout: float = CONNECT_TIMEOUT,
    read_timeout: float = READ_TIMEOUT,
) -> OpenAI:
    """The openai client with its own retries off: the retry policy is ours (client.py) and tested."""
    from openai import OpenAI, Timeout  # imported here: offline runs never pay for it

    key = None if os.environ.get(API_KEY_ENV) else DUMMY_KEY  # None: the client reads OPENAI_API_KEY itself
    timeout = Timeout(read_timeout, connect=connect_timeout, read=read_timeout, write=WRITE_TIMEOUT)
    try:
        return OpenAI(api_key=key, base_url=base_url or None, timeout=timeout, max_retries=0)
    except Exception as e:  # the client validates its arguments eagerly
        err = LLMError(f"cannot set up the OpenAI client for {display_url(base_url)}: {e}")
    raise err from None  # outside the handler: the original (which may hold the key) is not kept


def default_model(base_url: str | None) -> str:
    """A sensible model for the endpoint kind: OpenAI's default; on Ollama a pulled model (llama3.2 if it is
    there); for other servers the first model they list."""
    kind = endpoint_kind(base_url)
    if kind == "openai":
        return DEFAULT_OPENAI_MODEL
    if kind == "ollama":
        try:
            return pick_ollama_model(list_models(base_url))
        except LLMUnavailable:
            return DEFAULT_OLLAMA_MODEL  # not running yet: the usual model, and doctor will say what is wrong
    models = list_models(base_url)
    if not models:
        raise LLMUnavailable(f"no model named (--model or {MODEL_ENV}) and {display_url(base_url)} lists none")
    return models[0]


def pick_ollama_model(listed: list[str]) -> str:
    """The default model if it was pulled (any tag), else the first pulled model, else the default name."""
    preferred = [m for m in listed if m.split(":", 1)[0] == DEFAULT_OLLAMA_MODEL]
    return (preferred or listed or [DEFAULT_OLLAMA_MODEL])[0]


def list_models(base_url: str | None) -> list[str]:
    """The model ids the server lists at /models; LLMUnavailable when it does not answer."""
    client = make_openai(base_url, connect_timeout=MODELS_TIMEOUT, read_timeout=MODELS_TIMEOUT)
    try:
        return [m.id for m in client.models.list().data]
    except Exception as e:
        err = LLMUnavailable(
            f"no model named (--model or {MODEL_ENV}) and {display_url(base_url)}/models did not answer: "
            f"{scrub(str(e)) or type(e).__name__}"
        )
    raise err from None  # outside the handler: the original (which may hold the key) is not kept


def load_config(args: argparse.Namespace | None = None) -> LLMConfig | None:
    """The configured endpoint, or None when the LLM is off (nothing set, or --offline).

    Raises LLMUnavailable when no model is named and the server cannot be asked for one.
    """
    if not is_configured(args):
        return None
    base_url = os.environ.get(BASE_URL_ENV) or None
    model = (getattr(args, "model", None) if args is not None else None) or os.environ.get(MODEL_ENV)
    read_timeout = _timeout_from_env()
    return LLMConfig(
        timeout_set_by_user=bool(os.environ.get(TIMEOUT_ENV)),
        base_url=base_url,
        model=model or default_model(base_url),
        has_key=bool(os.environ.get(API_KEY_ENV)),
        read_timeout=read_timeout,
        max_total_seconds=max(MAX_TOTAL_SECONDS, TOTAL_PER_READ * read_timeout),
    )


def _timeout_from_env() -> float:
    raw = os.environ.get(TIMEOUT_ENV)
    if not raw:
        return READ_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise LLMError(f"{TIMEOUT_ENV}={raw!r}: expected a number of seconds above 0")
    return value
