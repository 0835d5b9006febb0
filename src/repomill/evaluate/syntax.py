"""Whether code parses: tree-sitter in the language of its path finds no ERROR or MISSING
node. A unit is a definition cut from its file, so it is dedented first (a method of a
Python class), and code that does not parse alone is tried again inside a class body
(Java, JavaScript, TypeScript methods) or an `impl` block (Rust). Code of a language the
index does not know counts as parsing."""

from __future__ import annotations

import textwrap
from functools import cache

from tree_sitter import Parser

from repomill.code.languages import language_for_path, parser

_CLASS = ("class __Eval {\n", "\n}\n")
_WRAPPERS = {"java": _CLASS, "javascript": _CLASS, "typescript": _CLASS, "tsx": _CLASS,
             "rust": ("impl __Eval {\n", "\n}\n")}  # fmt: skip


def parses(code: str, path: str) -> bool:
    language = language_for_path(path)
    if language is None:
        return True
    text = textwrap.dedent(code)
    if _clean(language, text):
        return True
    wrapper = _WRAPPERS.get(language)
    return wrapper is not None and _clean(language, wrapper[0] + text + wrapper[1])


@cache
def _parser(language: str) -> Parser:
    return parser(language)


def _clean(language: str, text: str) -> bool:
    tree = _parser(language).parse(text.encode("utf-8", errors="replace"))
    return not tree.root_node.has_error
