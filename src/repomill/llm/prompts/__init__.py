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


def few_shot(name: str, examples: list[tuple[dict[str, Any], str]], system: str | None = None,
             **variables: Any) -> list[dict[str, str]]:  # fmt: skip
    """Chat messages: the `system` template's text, each example as a user turn rendered
    from template `name` and its answer, then the user turn for `variables`. An example
    sets the variables it shows; the others are the real turn's (e.g. its language)."""
    messages = [{"role": "system", "content": render(system).strip()}] if system else []
    for shown, answer in examples:
        messages += [{"role": "user", "content": render(name, **(variables | shown))},
                     {"role": "assistant", "content": answer}]  # fmt: skip
    return messages + [{"role": "user", "content": render(name, **variables)}]
