"""Resolve each file's imports to files of the repository, per language."""

from __future__ import annotations

from typing import Any

from repomill.code.resolve.go import GoResolver
from repomill.code.resolve.java import JavaResolver
from repomill.code.resolve.javascript import JavaScriptResolver
from repomill.code.resolve.layout import (
    MAX_PROJECT_FILE_BYTES,
    PROJECT_FILES,
    RepoLayout,
    Resolved,
)
from repomill.code.resolve.python import PythonResolver
from repomill.code.resolve.rust import RustResolver

_RESOLVERS = {
    "python": PythonResolver,
    "typescript": JavaScriptResolver,
    "tsx": JavaScriptResolver,
    "javascript": JavaScriptResolver,
    "rust": RustResolver,
    "java": JavaResolver,
    "go": GoResolver,
}


class ImportResolver:
    """Resolvers are built lazily, once per language present in the repository."""

    def __init__(self, layout: RepoLayout):
        self.layout = layout
        self._built: dict[type, Any] = {}

    def resolve(self, path: str, language: str, raw: dict[str, Any]) -> Resolved:
        cls = _RESOLVERS[language]
        if cls not in self._built:
            self._built[cls] = cls(self.layout)
        names = [tuple(pair) for pair in raw["names"]]
        return self._built[cls].resolve(
            path, raw["module"], names, raw["alias"], raw["wildcard"], raw["level"]
        )


__all__ = ["MAX_PROJECT_FILE_BYTES", "PROJECT_FILES", "ImportResolver", "RepoLayout", "Resolved"]
