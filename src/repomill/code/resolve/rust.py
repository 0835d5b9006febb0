"""Rust imports: `mod x;` files, and `use` paths through crate::, self::, super::, workspace
crate names and 2018-style paths relative to the current module. A module's file comes from
the layout under its crate's src/ (a.rs or a/mod.rs); #[path] attributes are not followed."""

from __future__ import annotations

import posixpath
import re
import tomllib

from repomill.code.resolve.layout import RepoLayout, Resolved

_NAME = re.compile(r"[A-Za-z0-9_\-]+")


class RustResolver:
    def __init__(self, layout: RepoLayout):
        self.layout = layout
        self.crate_of_name: dict[str, str] = {}  # crate name (underscored) -> crate src dir
        src_dirs = set()
        for path, text in layout.project_files.items():
            if posixpath.basename(path) != "Cargo.toml":
                continue
            src = posixpath.join(posixpath.dirname(path), "src")
            src_dirs.add(src)
            try:
                name = tomllib.loads(text).get("package", {}).get("name")
            except tomllib.TOMLDecodeError:
                name = None
            if isinstance(name, str) and _NAME.fullmatch(name):
                self.crate_of_name[name.replace("-", "_")] = src
        self.src_dirs = src_dirs
        self.modules: dict[tuple[str, tuple[str, ...]], str] = {}
        for path in layout.files:
            if path.endswith(".rs"):
                located = self.locate(path)
                if located is not None:
                    self.modules.setdefault(located, path)

    def locate(self, path: str) -> tuple[str, tuple[str, ...]] | None:
        """(crate src dir, module path) of a file; a file outside any crate's src/ is a
        crate root of its own (e.g. a lone main.rs, examples/, benches/)."""
        src = posixpath.dirname(path)
        while src and src not in self.src_dirs:
            src = posixpath.dirname(src)
        if not src:
            return posixpath.dirname(path), ()
        parts = path[len(src) + 1 : -len(".rs")].split("/")
        if parts in (["lib"], ["main"]) or parts[0] == "bin":
            return src, ()
        if parts[-1] == "mod":
            parts = parts[:-1]
        return src, tuple(parts)

    def _file(self, crate: str, module: tuple[str, ...], path: str) -> str | None:
        if module:
            return self.modules.get((crate, module))
        for root in ("lib.rs", "main.rs"):
            candidate = posixpath.join(crate, root)
            if candidate in self.layout.files:
                return candidate
        return path if crate == posixpath.dirname(path) else None

    def _absolute(self, path: str, segments: list[str]) -> list[tuple[str, tuple[str, ...]]]:
        """Possible (crate, module path) readings of a use path."""
        crate, current = self.locate(path) or (posixpath.dirname(path), ())
        head, rest = segments[0], segments[1:]
        if head == "crate":
            return [(crate, tuple(rest))]
        if head in ("self", "super"):
            module = list(current)
            while segments and segments[0] in ("self", "super"):
                if segments.pop(0) == "super" and module:
                    module.pop()
            return [(crate, tuple(module + segments))]
        readings = []
        if head in self.crate_of_name:
            readings.append((self.crate_of_name[head], tuple(rest)))
        readings.append((crate, current + tuple(segments)))  # a child module in scope
        return readings

    def resolve(self, path: str, module: str, names, alias, wildcard, level) -> Resolved:
        segments = [s for s in module.split("::") if s]
        if not segments:
            return Resolved()
        for crate, module_path in self._absolute(path, list(segments)):
            # The deepest module with a file; what follows it lives inside that file.
            for end in range(len(module_path), -1, -1):
                target = self._file(crate, module_path[:end], path)
                if target is None or target == path and end < len(module_path):
                    continue
                inner = module_path[end:]
                if inner and names:
                    # use a::b::Inner::Name — Name is defined in the file of a::b
                    return Resolved([target], [(local, target, inner[0]) for local, _ in names])
                if inner and not wildcard:
                    return Resolved([target], [(alias or inner[-1], target, inner[-1])])
                return Resolved([target], [(local, target, orig) for local, orig in names])
        return Resolved()
