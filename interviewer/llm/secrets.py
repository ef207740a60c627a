"""Keeping the API key out of everything we write: exception messages, log lines, reports, session files."""

from __future__ import annotations

import os
import re

KEY_ENVS = ("OPENAI_API_KEY", "OPENAI_ADMIN_KEY")
MASK = "***"
MIN_SECRET_LEN = 6  # shorter values (e.g. a dummy "x") would mask ordinary words
_PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"),  # OpenAI-style keys
    re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9_\-\.=:+/]{6,}"),  # Authorization header values
    re.compile(r"(?i)\b(api[_-]?key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{6,}"),  # api_key=..., "api_key": "..."
    re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),  # user:password@ in URLs
)


def _known_secrets() -> list[str]:
    values = [os.environ.get(name, "") for name in KEY_ENVS]
    return sorted({v for v in values if len(v) >= MIN_SECRET_LEN}, key=len, reverse=True)


def scrub(text: str) -> str:
    """`text` with every configured key and anything shaped like a credential replaced by ***."""
    if not text:
        return text
    for secret in _known_secrets():
        text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text
