"""The Jinja2 environment of the HTML reports: templates, inlined CSS and JS, and the script nonce.

Autoescaping is on for every template: text from a transcript, a persona, a rubric, a file name or an LLM is
escaped wherever it is printed. Only the package's own CSS and JS files are inserted as they are.
"""

from __future__ import annotations

import base64
import secrets
from functools import cache
from importlib.resources import files

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; img-src data:; media-src data:"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("interviewer.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = lambda v, digits=1: f"{v:.{digits}f}"
    return env


@cache
def asset(name: str) -> Markup:
    """A CSS or JS file shipped in the package, for inlining into a page (our own file, never user data)."""
    return Markup((files("interviewer.report") / "static" / name).read_text(encoding="utf-8"))


def new_nonce() -> str:
    """A fresh random nonce for one page's script (128 bits)."""
    return base64.b64encode(secrets.token_bytes(16)).decode("ascii")


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)


def render_macro(template: str, macro: str, *args: object) -> str:
    """One macro of a template (an SVG chart) as a string."""
    return str(getattr(environment().get_template(template).module, macro)(*args))
