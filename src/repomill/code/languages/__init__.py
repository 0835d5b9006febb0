"""Language registry: which grammar and rules apply to a path."""

from __future__ import annotations

from functools import cache
from pathlib import PurePosixPath

from tree_sitter import Language, Parser, Query

from repomill.code.languages.base import LanguageSpec
from repomill.code.languages.go import GO
from repomill.code.languages.java import JAVA
from repomill.code.languages.javascript import JAVASCRIPT, TSX, TYPESCRIPT
from repomill.code.languages.python import PYTHON
from repomill.code.languages.rust import RUST

LANGUAGES: dict[str, LanguageSpec] = {
    spec.name: spec for spec in (PYTHON, TYPESCRIPT, TSX, JAVASCRIPT, RUST, JAVA, GO)
}
_BY_EXTENSION = {ext: spec.name for spec in LANGUAGES.values() for ext in spec.extensions}


def language_for_path(path: str) -> str | None:
    name = PurePosixPath(path).name.lower()
    if name.endswith(".d.ts"):
        return "typescript"
    return _BY_EXTENSION.get(PurePosixPath(name).suffix)


@cache
def grammar(name: str) -> Language:
    return Language(LANGUAGES[name].grammar())


def parser(name: str) -> Parser:
    return Parser(grammar(name))


@cache
def import_query(name: str) -> Query:
    """The language's query whose @import captures are import statements."""
    return Query(grammar(name), LANGUAGES[name].import_query)


@cache
def uses_query(name: str) -> Query | None:
    """The language's query of what code binds and reads (see `LanguageSpec.uses_query`)."""
    text = LANGUAGES[name].uses_query
    return Query(grammar(name), text) if text else None
