"""The whole repository's index in memory: files, chunks, symbols, resolved imports, and
the lookups context selection needs (by path, by name, what each file can see)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from repomill.code.languages import language_for_path
from repomill.code.resolve import EXPORT, ImportResolver, RepoLayout


@dataclass
class Visibility:
    """What one file can see of other files through its imports."""

    # local name -> [(file, name defined there)]
    named: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    modules: list[str] = field(default_factory=list)  # files whose names are all in reach
    # local name of a module -> its files, whose names are in reach as `name.x`
    aliases: dict[str, list[str]] = field(default_factory=dict)
    # name the file exports -> its own definition's name (`export default x`)
    renamed: dict[str, str] = field(default_factory=dict)

    def union(self, other: Visibility) -> Visibility:
        """What either sees (a file's imports at two revisions)."""
        named = {name: list(pairs) for name, pairs in self.named.items()}
        aliases = {name: list(files) for name, files in self.aliases.items()}
        for name, pairs in other.named.items():
            named.setdefault(name, []).extend(p for p in pairs if p not in named[name])
        for name, files in other.aliases.items():
            aliases.setdefault(name, []).extend(f for f in files if f not in aliases[name])
        modules = self.modules + [m for m in other.modules if m not in self.modules]
        return Visibility(named, modules, aliases, {**other.renamed, **self.renamed})


def resolve_imports(
    resolver: ImportResolver, path: str, language: str, raws: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], Visibility]:
    """Each import of `path` with the files it resolved to, and what the file can see."""
    seen = Visibility()
    rows = []
    for raw in raws:
        if raw["alias"] == EXPORT:
            rows.append({**raw, "resolved": []})
            seen.renamed.update(raw["names"])
            continue
        resolved = resolver.resolve(path, language, raw)
        rows.append({**raw, "resolved": list(resolved.targets)})
        for local, target, original in resolved.names:
            if target != path:  # e.g. `use crate::inline_mod::X` inside lib.rs itself
                seen.named.setdefault(local, []).append((target, original))
        for local, target in resolved.modules:
            if target != path:
                seen.aliases.setdefault(local, []).append(target)
        bound = {target for _, target, _ in resolved.names} | {t for _, t in resolved.modules}
        for target in resolved.targets:
            if target not in bound and target not in seen.modules and target != path:
                seen.modules.append(target)
    return rows, seen


def visibility_at(resolver: ImportResolver, path: str, imports: list[dict[str, Any]]
                  ) -> Visibility | None:  # fmt: skip
    """What a file at `path` with these imports (at another revision, say) sees."""
    language = language_for_path(path)
    return resolve_imports(resolver, path, language, imports)[1] if language else None


class RepoIndex:
    def __init__(self, file_records: list[dict[str, Any]], project_files: dict[str, str]):
        self.files = [r for r in file_records if r.get("status") == "indexed"]
        self.language = {r["path"]: r["language"] for r in self.files}
        self.chunks = [c for r in self.files for c in r["chunks"]]
        self.symbols = [s for r in self.files for s in r["symbols"]]
        self.imports: dict[str, list[dict[str, Any]]] = {
            r["path"]: r["imports"] for r in self.files
        }
        self.symbols_by_path: dict[str, list[dict]] = defaultdict(list)
        self.symbols_by_name: dict[str, list[dict]] = defaultdict(list)
        self.members: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for symbol in self.symbols:
            self.symbols_by_path[symbol["path"]].append(symbol)
            self.symbols_by_name[symbol["name"]].append(symbol)
            if symbol["parent"]:
                self.members[(symbol["path"], symbol["parent"])].append(symbol)
        packages = {
            path: raw["module"]
            for path, raws in self.imports.items()
            for raw in raws
            if raw["alias"] == "package"
        }
        # Resolution sees every source file listed, even skipped ones (an empty
        # __init__.py still makes a package).
        listed = {r["path"] for r in file_records if r.get("language")}
        layout = RepoLayout(listed, project_files, packages)
        self.resolver = ImportResolver(layout)
        self.resolved: dict[str, list[dict[str, Any]]] = {}
        self.visibility: dict[str, Visibility] = {}
        for path, raws in self.imports.items():
            self._resolve_file(path, raws)

    def _resolve_file(self, path: str, raws: list[dict[str, Any]]) -> None:
        self.resolved[path], self.visibility[path] = resolve_imports(
            self.resolver, path, self.language[path], raws
        )

    # The SymbolLookup protocol of code/context.py.
    def visible_from(self, path: str, imports: list[dict[str, Any]] | None = None
                     ) -> Visibility | None:  # fmt: skip
        if imports is None:
            return self.visibility.get(path)
        return visibility_at(self.resolver, path, imports)

    def defined_in(self, path: str, name: str) -> list[dict[str, Any]]:
        return [s for s in self.symbols_by_name.get(name, ()) if s["path"] == path]

    def members_of(self, path: str, qualname: str) -> list[dict[str, Any]]:
        return self.members.get((path, qualname), [])

    def files_defining(self, name: str) -> list[str]:
        return sorted({s["path"] for s in self.symbols_by_name.get(name, ())})

    def unique_elsewhere(self, name: str, path: str) -> dict[str, Any] | None:
        elsewhere = [s for s in self.symbols_by_name.get(name, ()) if s["path"] != path]
        return elsewhere[0] if len(elsewhere) == 1 else None

    def imports_of(self, path: str) -> list[dict[str, Any]]:
        return self.imports.get(path, [])

    def chunk_at(self, path: str, line: int) -> dict[str, Any] | None:
        """The smallest chunk of `path` covering `line`."""
        covering = [
            c for c in self.chunks if c["path"] == path and c["start_line"] <= line <= c["end_line"]
        ]
        return min(covering, key=lambda c: c["end_line"] - c["start_line"], default=None)
