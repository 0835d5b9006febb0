"""The definitions a name or a qualified path stands for in a file: its own top-level
definitions, else what it re-exports (`pub use`, `from .x import name`, `export … from`),
followed a few hops; a Rust path (`a::b::C::m`) is walked segment by segment through the
modules each file binds (`mod b;`, `use a::b;`, `extern crate x as b;`), inline modules,
and at the end a type's members."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from repomill.code.languages import LANGUAGES, language_for_path
from repomill.code.languages.base import TYPE_KINDS
from repomill.code.resolve.base import RawImport

if TYPE_CHECKING:
    from repomill.code.context import SymbolLookup

MAX_HOPS = 4  # re-exports followed from the imported file to the definition
MAX_DEPTH = 16  # modules above a file that are looked at for macros in scope
SEPARATOR = "::"


def exported(index: SymbolLookup, path: str, name: str, follow: bool, hops: int = 0
             ) -> list[dict[str, Any]]:  # fmt: skip
    """The top-level definitions `name` stands for in the file at `path`; with `follow`, a
    name the file only imports (re-exports: `from .x import name` in an __init__.py,
    `export … from`, `pub use`) or renames (`export default x`) is followed to its
    definition. `name` may be a path inside the file ("inline_mod::Type", "Type::m")."""
    if SEPARATOR in name:
        return walk(index, path, name.split(SEPARATOR), hops)
    own = meant(path, [s for s in index.defined_in(path, name)
                       if s["top_level"] and s["kind"] != "impl"])  # fmt: skip
    seen = index.visible_from(path) if follow and not own and hops < MAX_HOPS else None
    if seen is None:
        return own
    if name in seen.renamed:
        return exported(index, path, seen.renamed[name], follow, hops + 1)
    pairs = seen.named.get(name) or [(target, name) for target in seen.modules]
    return [s for target, original in pairs
            for s in exported(index, target, original, follow, hops + 1)]  # fmt: skip


def meant(path: str, definitions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Of the definitions of one name in one scope of the file at `path`, those the name
    means: the last only where a later definition replaces an earlier (Python)."""
    if len(definitions) < 2:
        return definitions
    language = language_for_path(path)
    if language is None or not LANGUAGES[language].last_definition_wins:
        return definitions
    return [max(definitions, key=lambda s: s["start_line"])]


def walk(index: SymbolLookup, path: str, segments: list[str], hops: int = 0
         ) -> list[dict[str, Any]]:  # fmt: skip
    """The definitions a Rust path names, read from the module of the file at `path`."""
    if not segments or hops > MAX_HOPS:
        return []
    head, rest = segments[0], segments[1:]
    if not rest:
        return exported(index, path, head, True, hops)
    seen = index.visible_from(path)
    if seen is not None and head in seen.aliases:  # a module it declares or imports
        return [s for target in seen.aliases[head] for s in walk(index, target, rest, hops + 1)]
    own = [s for s in index.defined_in(path, head) if s["top_level"] and s["kind"] != "impl"]
    if own:
        return [s for owner in own for s in members(index, owner, rest)]
    if seen is None:
        return []
    if head in seen.named:  # `pub use x::head;`: head may be a module or a type
        chains = [(target, original.split(SEPARATOR) + rest)
                  for target, original in seen.named[head]]  # fmt: skip
        return [s for target, chain in chains for s in walk(index, target, chain, hops + 1)]
    for target in seen.modules:  # `pub use x::*;`
        found = walk(index, target, segments, hops + 1)
        if found:
            return found
    return []


def members(index: SymbolLookup, owner: dict[str, Any], rest: list[str]) -> list[dict[str, Any]]:
    """What `rest` names inside a definition: an inline module's items, a type's method
    (with the type, which the code names too: `Type::new`, `Enum::Variant`); nothing
    for no `rest` (`use Local as L;` names the file's own definition)."""
    if not rest:
        return []
    inner = [m for m in index.members_of(owner["path"], owner["qualname"]) if m["name"] == rest[0]]
    if owner["kind"] == "module":
        if len(rest) == 1:
            return [m for m in inner if m["kind"] != "impl"]
        return [s for m in inner if m["kind"] != "impl" for s in members(index, m, rest[1:])]
    if owner["kind"] in TYPE_KINDS:
        return [owner] + [m for m in inner if len(rest) == 1]
    return []


# How a Rust path's definition was found (ranks, as in context): by a path or a name the
# code spells out, or through a module a name stands for or a glob import.
EXPLICIT, THROUGH_MODULE = 3, 2
_ANCHORS = ("crate", "self", "super", "$crate")


class RustPaths:
    """The qualified paths and macros of one piece of Rust code in the file at `path`,
    which sees `seen` of other files; `self_type` is the type its `impl` is for."""

    def __init__(self, index: SymbolLookup, path: str, seen, paths, self_type: str | None):
        self.index, self.path, self.seen, self.self_type = index, path, seen, self_type
        self.named = seen.named if seen is not None else {}
        self.aliases = seen.aliases if seen is not None else {}
        self.globs = seen.modules if seen is not None else []
        self._roots: dict[str, set[str]] = {}
        # Paths from an anchor (crate::, super::, a crate's name, a child module) are
        # resolved as one would `use` them, all at once.
        direct = [p for p in paths if p[0] in _ANCHORS or not self._bound(p[0])]
        raws = [_use(SEPARATOR.join(p), p) for p in direct if len(p) > 1]
        seen_direct = index.visible_from(path, raws) if raws else None
        self.direct_named = seen_direct.named if seen_direct is not None else {}

    def _bound(self, name: str) -> bool:
        """Whether the file gives `name` a meaning of its own: an import or a definition."""
        return (name in self.named or name in self.aliases
                or any(s["top_level"] for s in self.index.defined_in(self.path, name)))  # fmt: skip

    def resolve(self, segments: tuple[str, ...]):
        """(definition, how) pairs the path names."""
        head, rest = segments[0], list(segments[1:])
        if head == "Self":
            if self.self_type is None or not rest:
                return
            head = self.self_type
        if head in _ANCHORS or not self._bound(head):
            for target, inner in self.direct_named.get(SEPARATOR.join(segments), ()):
                yield from ((s, EXPLICIT) for s in walk(self.index, target, inner.split(SEPARATOR)))
            return
        for target, original in self.named.get(head, ()):
            chain = original.split(SEPARATOR) + rest
            yield from ((s, EXPLICIT) for s in walk(self.index, target, chain))
        for target in self.aliases.get(head, ()):
            yield from ((s, THROUGH_MODULE) for s in walk(self.index, target, rest))
        own = [s for s in self.index.defined_in(self.path, head)
               if s["top_level"] and s["kind"] != "impl"]  # fmt: skip
        for owner in own:  # this file's type or inline module: its members may be elsewhere
            yield from ((s, EXPLICIT) for s in members(self.index, owner, rest))
        if head not in self.named and head not in self.aliases and not own:
            for target in self.globs:
                yield from ((s, THROUGH_MODULE) for s in walk(self.index, target, [head, *rest]))

    def macro(self, segments: tuple[str, ...]):
        """(definition, how) pairs of an invoked macro: through the path or the `use` that
        names it, else a macro_rules in scope: one of the code's module or a module above
        it, or of a module one of those declares (`#[macro_use] mod macros;`)."""
        name = segments[-1]
        if len(segments) > 1:
            for target, inner in self.direct_named.get(SEPARATOR.join(segments), ()):
                yield from ((s, EXPLICIT) for s in self._macro_in(target, inner))
            return
        if name in self.named:
            for target, original in self.named[name]:
                yield from ((s, EXPLICIT) for s in self._macro_in(target, original))
            return
        for target in self.globs:
            yield from ((s, THROUGH_MODULE) for s in self._macros(target, name))
        above = self._ancestors(self.path)
        for other in self.index.files_defining(name):
            if other != self.path and (other in above or self._parents(other) & above):
                yield from ((s, THROUGH_MODULE) for s in self._macros(other, name))

    def _macro_in(self, target: str, name: str) -> list[dict[str, Any]]:
        """A macro a module names: its own, one it re-exports, or (a #[macro_export]
        macro sits at its crate's root) one of its crate's."""
        found = [s for s in exported(self.index, target, name, True) if s["kind"] == "macro"]
        if found:
            return found
        name = name.rpartition(SEPARATOR)[2]
        crate = self._crate(target)
        return [s for other in self.index.files_defining(name)
                if other != self.path and self._crate(other) & crate
                for s in self._macros(other, name)]  # fmt: skip

    def _macros(self, target: str, name: str) -> list[dict[str, Any]]:
        return [s for s in self.index.defined_in(target, name)
                if s["kind"] == "macro" and s["top_level"]]  # fmt: skip

    def _bound_to(self, path: str, anchor: str) -> set[str]:
        """The files `crate` or `super` stands for in the file at `path`."""
        key = f"{anchor}:{path}"
        if key not in self._roots:
            seen = self.index.visible_from(path, [_use(anchor, (anchor,))])
            self._roots[key] = set(seen.aliases.get(anchor, ()) if seen else ())
        return self._roots[key]

    def _crate(self, path: str) -> set[str]:
        """The file with its crate's root files."""
        return {path} | self._bound_to(path, "crate")

    def _parents(self, path: str) -> set[str]:
        return self._bound_to(path, "super")

    def _ancestors(self, path: str) -> set[str]:
        """The file and the files of the modules above it, and its crate's root (also
        where a module between them has no file, as in a commit that adds both)."""
        found, frontier = self._crate(path), {path}
        for _ in range(MAX_DEPTH):
            frontier = {p for f in frontier for p in self._parents(f)} - found
            if not frontier:
                break
            found |= frontier
        return found


def _use(local: str, segments: tuple[str, ...]) -> dict[str, Any]:
    """The stored form of `use a::b::c as local;` (of `use crate as local;` for one)."""
    if len(segments) == 1:
        return {**RawImport(segments[0], alias=local).to_json(), "statement": ""}
    module = SEPARATOR.join(segments[:-1])
    return {**RawImport(module, names=((local, segments[-1]),)).to_json(), "statement": ""}
