"""A small LLM client (interviewer.protocols.LLM) around `openai.OpenAI`, with our own retry policy.

The openai client's retries are off (max_retries=0) so the policy lives here, in one tested place:
- retried with exponential backoff and jitter: 429 (honouring Retry-After), 5xx, timeouts, refused
  connections, replies with no choices or no content, unreadable bodies;
- not retried: bad credentials, other 4xx, a context window overflow (the caller trims and asks again),
  an unsupported `response_format` (the caller switches format);
- bounded: at most `max_attempts` per request and no retry that would start after `max_total_seconds`.
A stream is retried only until its first text arrives; a failure after that is raised, since words
already spoken cannot be taken back. Every error is one of the typed errors in errors.py, with the
API key scrubbed from its message and the openai exception (which may echo it) not chained.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import openai
from tenacity import RetryCallState, Retrying, retry_if_exception

from . import config as cfg
from .config import LLMConfig, make_openai
from .errors import (
    ContextTooLong,
    EmptyReply,
    LLMAuthError,
    LLMError,
    LLMRateLimited,
    LLMRequestError,
    LLMUnavailable,
    ResponseFormatUnsupported,
)
from .secrets import scrub

log = logging.getLogger("interviewer.llm")
T = TypeVar("T")
SERVER_MESSAGE_CHARS = 300  # how much of a server's error message we keep
_CONTEXT_MARKERS = ("context_length_exceeded", "context length", "context window", "maximum context",
                    "too many tokens", "prompt is too long", "exceed context")
_FORMAT_MARKERS = ("response_format", "json_schema")


class Retryable:
    """Mixin marker: set on errors the policy may retry."""


def _status_error(e: openai.APIStatusError) -> LLMError:
    status = e.status_code
    message = scrub(str(getattr(e, "message", "") or e))[:SERVER_MESSAGE_CHARS]
    text = message.lower()
    where = f"HTTP {status}: {message}"
    if status == 429:
        err: LLMError = LLMRateLimited(f"rate limited ({where})")
        err.retry_after = _retry_after(e.response)  # type: ignore[attr-defined]
        err.retryable = True  # type: ignore[attr-defined]
        return err
    if any(m in text for m in _CONTEXT_MARKERS):
        return ContextTooLong(f"the prompt does not fit the model's context ({where})")
    if status in (400, 422, 500, 501) and any(m in text for m in _FORMAT_MARKERS):
        return ResponseFormatUnsupported(f"the endpoint does not support this response format ({where})")
    if status in (401, 403):
        return LLMAuthError(f"the endpoint refused the credentials ({where}); check OPENAI_API_KEY")
    if status >= 500:
        err = LLMUnavailable(f"server error ({where})")
        err.retryable = True  # type: ignore[attr-defined]
        return err
    return LLMRequestError(f"request rejected ({where})")


def translate(e: BaseException) -> LLMError:
    """Map anything the openai client raises to one of our typed, scrubbed errors."""
    if isinstance(e, LLMError):
        return e
    if isinstance(e, openai.APITimeoutError):
        err: LLMError = LLMUnavailable("the LLM endpoint timed out")
    elif isinstance(e, openai.APIConnectionError):
        err = LLMUnavailable(f"cannot connect to the LLM endpoint: {scrub(str(e))}")
    elif isinstance(e, openai.APIStatusError):
        return _status_error(e)
    else:  # unreadable body, a protocol error mid-stream, a validation error in the client
        err = LLMUnavailable(f"unusable reply from the LLM endpoint ({type(e).__name__}: {scrub(str(e))[:200]})")
    err.retryable = True  # type: ignore[attr-defined]
    return err


def _retry_after(response: Any) -> float | None:
    """Seconds from Retry-After (seconds or an HTTP date) or retry-after-ms, if the server sent one."""
    headers = getattr(response, "headers", None) or {}
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def backoff_seconds(attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter; at least the server's Retry-After, at most MAX_RETRY_AFTER."""
    rng = rng or random
    exp = min(cfg.BACKOFF_MAX, cfg.BACKOFF_INITIAL * 2 ** (attempt - 1))
    wait = exp + rng.uniform(0, cfg.BACKOFF_JITTER)
    if retry_after is not None:
        wait = max(wait, retry_after)
    return min(wait, cfg.MAX_RETRY_AFTER)


def _is_retryable(e: BaseException) -> bool:
    return bool(getattr(e, "retryable", False))


class ChatClient:
    """interviewer.protocols.LLM over one OpenAI-compatible endpoint and model."""

    def __init__(
        self,
        config: LLMConfig,
        *,
        client: openai.OpenAI | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.config = config
        self.model = config.model
        self._client = client or make_openai(config.base_url, config.connect_timeout, config.read_timeout)
        self._sleep = sleep
        self._clock = clock
        self.sleeps: list[float] = []  # every backoff taken, newest last (shown by `doctor`, read by tests)

    # --- the policy ---------------------------------------------------------------------------

    def _call(self, attempt: Callable[[], T]) -> T:
        start = self._clock()

        def stop(state: RetryCallState) -> bool:
            if state.attempt_number >= self.config.max_attempts:
                return True
            upcoming = state.upcoming_sleep or 0.0
            return self._clock() - start + upcoming >= self.config.max_total_seconds

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return backoff_seconds(state.attempt_number, getattr(exc, "retry_after", None))

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            wait_s = state.next_action.sleep if state.next_action else 0.0
            self.sleeps.append(wait_s)
            log.warning("LLM attempt %d failed (%s); retrying in %.1f s", state.attempt_number, exc, wait_s)

        def guarded() -> T:
            try:
                return attempt()
            except LLMError:
                raise
            except Exception as e:  # translated, and not chained: the original may echo the key
                err = translate(e)
            raise err from None  # outside the handler, so not even __context__ keeps the original

        retrying = Retrying(
            stop=stop,
            wait=wait,
            retry=retry_if_exception(_is_retryable),
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(guarded)
        except LLMError as e:
            e.attempts = retrying.statistics.get("attempt_number", 1)
            raise

    def _create(self, messages: list[dict], stream: bool, options: dict) -> Any:
        return self._client.chat.completions.create(model=self.model, messages=messages, stream=stream, **options)

    # --- interviewer.protocols.LLM -----------------------------------------------------------

    def chat(self, messages: list[dict], **options: Any) -> str:
        """One completion's text. Raises a typed LLMError when the budget runs out."""

        def attempt() -> str:
            return _reply_text(self._create(messages, False, options))

        return self._call(attempt)

    def stream(self, messages: list[dict], **options: Any) -> Iterator[str]:
        """Text deltas of one completion; retried until the first text arrives, never after."""
        start = self._clock()

        def attempt() -> tuple[Any, Iterator[Any], str]:
            response = self._create(messages, True, options)
            chunks = iter(response)
            for chunk in chunks:
                text = _delta_text(chunk)
                if text:
                    return response, chunks, text
            _close(response)
            raise _empty("the stream ended without any text")

        response, chunks, first = self._call(attempt)
        err: LLMError | None = None
        try:
            yield first
            for chunk in chunks:
                if self._clock() - start > self.config.max_total_seconds:
                    raise LLMUnavailable(f"the reply took longer than {self.config.max_total_seconds:.0f} s")
                text = _delta_text(chunk)
                if text:
                    yield text
        except LLMError:
            raise
        except Exception as e:
            err = translate(e)
        finally:
            _close(response)
        if err is not None:
            raise err from None


def _empty(message: str) -> EmptyReply:
    err = EmptyReply(message)
    err.retryable = True  # type: ignore[attr-defined]
    return err


def _reply_text(response: Any) -> str:
    choices = getattr(response, "choices", None)
    if not choices:
        raise _empty("the endpoint replied with no choices")
    message = getattr(choices[0], "message", None)
    text = getattr(message, "content", None) if message is not None else None
    if not text or not str(text).strip():
        raise _empty("the endpoint replied with empty content")
    return str(text)


def _delta_text(chunk: Any) -> str:
    choices = getattr(chunk, "choices", None)
    if not choices:
        return ""
    delta = getattr(choices[0], "delta", None)
    return (getattr(delta, "content", None) or "") if delta is not None else ""


def _close(response: Any) -> None:
    close = getattr(response, "close", None)
    if callable(close):
        try:
            close()
        except Exception:  # closing a broken connection must not mask the real error
            log.debug("closing the LLM stream failed", exc_info=False)


def make_client(config: LLMConfig, **kwargs: Any) -> ChatClient:
    return ChatClient(config, **kwargs)
