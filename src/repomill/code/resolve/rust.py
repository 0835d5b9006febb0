"""Rust imports: `mod x;` files, and `use` paths through crate::, self::, super::, workspace
crate names and 2018-style paths relative to the current module. A module's file comes from
the layout under its crate's src/ (a.rs or a/mod.rs); #[path] attributes are not followed."""

from __future__ import annotations

import posixpath
import re
import tomllib

from repomill.code.resolve.base import RawImport
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

    def _readings(self, path: str, segments: list[str]) -> list[tuple[str, tuple, int]]:
        """Possible (crate, module path, shallowest module to accept) readings of a path."""
        crate, current = self.locate(path) or (posixpath.dirname(path), ())
        head, rest = segments[0], segments[1:]
        if head == "crate":
            return [(crate, tuple(rest), 0)]
        if head in ("self", "super"):
            module = list(current)
            while segments and segments[0] in ("self", "super"):
                if segments.pop(0) == "super" and module:
                    module.pop()
            return [(crate, tuple(module + segments), 0)]
        readings = []
        if head in self.crate_of_name:
            readings.append((self.crate_of_name[head], tuple(rest), 0))
        # 2018 paths may start at a child module of the current one.
        readings.append((crate, current + tuple(segments), len(current) + 1))
        return readings

    def resolve(self, path: str, raw: RawImport) -> Resolved:
        segments = [s for s in raw.module.split("::") if s]
        if not segments:
            return Resolved()
        for crate, module_path, shallowest in self._readings(path, list(segments)):
            # The deepest module with a file; what follows it is defined inside that file.
            for end in range(len(module_path), shallowest - 1, -1):
                target = self._file(crate, module_path[:end], path)
                if target is not None:
                    return self._bind(crate, module_path, end, target, raw)
        return Resolved()

    def _bind(self, crate, module_path, end, target, raw: RawImport) -> Resolved:
        inner = module_path[end:]
        result = Resolved()
        for local, original in raw.names:
            submodule = None if inner else self.modules.get((crate, module_path + (original,)))
            if submodule:  # use a::b where b is a module file
                result.targets.append(submodule)
            else:  # use a::b::Type::method binds a name defined in b's file
                result.names.append((local, target, inner[0] if inner else original))
        if not raw.names and inner and not raw.wildcard:
            result.names.append((raw.alias or inner[-1], target, inner[-1]))
        if result.names or not raw.names:
            result.targets.insert(0, target)
        return result
