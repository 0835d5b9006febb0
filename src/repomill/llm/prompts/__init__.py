"""Prompt templates as files (Jinja2), rendered by name."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        undefined=jinja2.StrictUndefined,  # a missing variable is an error, not ""
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(name: str, **variables: Any) -> str:
    return _environment().get_template(f"{name}.j2").render(**variables)
