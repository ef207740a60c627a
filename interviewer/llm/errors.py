"""Typed LLM errors. Every message is scrubbed of the API key before it is stored in an exception."""

from __future__ import annotations

from ..errors import InterviewerError
from .secrets import scrub


class LLMError(InterviewerError):
    """The LLM endpoint could not give a usable answer. Callers fall back to the offline path."""

    def __init__(self, message: str, attempts: int = 1):
        super().__init__(scrub(message))
        self.attempts = attempts


class LLMUnavailable(LLMError):
    """Connection refused, timed out, or the server kept failing (5xx) until the retry budget ran out."""


class LLMRateLimited(LLMUnavailable):
    """429 until the retry budget ran out."""


class LLMAuthError(LLMError):
    """The endpoint refused the credentials (401/403). Not retried."""


class LLMRequestError(LLMError):
    """The endpoint rejected the request (4xx other than 429). Not retried."""


class ResponseFormatUnsupported(LLMRequestError):
    """The endpoint does not accept the requested `response_format` (e.g. json_schema on llama.cpp)."""


class ContextTooLong(LLMRequestError):
    """The prompt does not fit the model's context window; the caller trims older turns and asks again."""


class EmptyReply(LLMError):
    """The endpoint answered without any choice or with empty content."""


class JudgeError(LLMError):
    """The judge never produced a valid verdict. Carries the attempt count and the last raw output."""

    def __init__(self, message: str, attempts: int, last_output: str | None):
        super().__init__(message, attempts)
        self.last_output = scrub(last_output) if last_output is not None else None
