"""Resolve each file's imports to files of the repository, per language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from repomill.code.resolve.base import EXPORT, RawImport, Resolver
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

# language -> the resolver class built from a repository's layout
RESOLVERS: dict[str, Callable[[RepoLayout], Resolver]] = {
    "python": PythonResolver,
    "typescript": JavaScriptResolver,
    "tsx": JavaScriptResolver,
    "javascript": JavaScriptResolver,
    "rust": RustResolver,
    "java": JavaResolver,
    "go": GoResolver,
}


class ImportResolver:
    """Resolvers are built lazily, once per language present in the repository. What an
    import resolves to depends only on the layout, its file's path and how it is written,
    so each is resolved once (the history walk asks again at every version of a file)."""

    def __init__(self, layout: RepoLayout):
        self.layout = layout
        self._built: dict[Callable[[RepoLayout], Resolver], Resolver] = {}
        self._resolved: dict[tuple, Resolved] = {}

    def resolve(self, path: str, language: str, raw: Mapping[str, Any]) -> Resolved:
        """Resolve one import as the index stores it (a RawImport's JSON and more). The
        result is shared: read it, do not change it."""
        key = (path, language, raw["module"], tuple(map(tuple, raw["names"])), raw["alias"],
               raw["wildcard"], raw["level"])  # fmt: skip
        resolved = self._resolved.get(key)
        if resolved is None:
            cls = RESOLVERS[language]
            if cls not in self._built:
                self._built[cls] = cls(self.layout)
            resolved = self._resolved[key] = self._built[cls].resolve(
                path, RawImport.from_json(raw)
            )
        return resolved


__all__ = [
    "EXPORT",
    "MAX_PROJECT_FILE_BYTES",
    "PROJECT_FILES",
    "RESOLVERS",
    "ImportResolver",
    "RawImport",
    "RepoLayout",
    "Resolved",
    "Resolver",
]
