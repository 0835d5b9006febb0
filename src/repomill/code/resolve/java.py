"""Java imports: classes found by (package, class name) from each file's package
declaration; wildcard imports and the file's own package cover all its files."""

from __future__ import annotations

import posixpath
from collections import defaultdict

from repomill.code.resolve.base import RawImport
from repomill.code.resolve.layout import RepoLayout, Resolved


class JavaResolver:
    def __init__(self, layout: RepoLayout):
        self.by_class: dict[tuple[str, str], str] = {}
        self.by_package: dict[str, list[str]] = defaultdict(list)
        for path, package in sorted(layout.packages.items()):
            if path.endswith(".java"):
                stem = posixpath.basename(path)[: -len(".java")]
                self.by_class.setdefault((package, stem), path)
                self.by_package[package].append(path)

    def package_files(self, package: str) -> list[str]:
        return self.by_package.get(package, [])

    def resolve(self, path: str, raw: RawImport) -> Resolved:
        if raw.alias == "package":  # the file's own package: its classes need no import
            return Resolved([p for p in self.package_files(raw.module) if p != path])
        if raw.wildcard:
            return Resolved(list(self.package_files(raw.module)))
        parts = raw.module.split(".")
        for end in range(len(parts) - 1, 0, -1):  # a.b.Outer.Inner → the file of a.b.Outer
            target = self.by_class.get((".".join(parts[:end]), parts[end]))
            if target:
                return Resolved([target], [(local, target, orig) for local, orig in raw.names])
        return Resolved()
