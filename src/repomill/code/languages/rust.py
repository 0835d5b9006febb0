"""Rust: items, impls and traits, `mod` declarations and `use` trees."""

from __future__ import annotations

import tree_sitter_rust
from tree_sitter import Node

from repomill.code.languages.base import LanguageSpec, RawImport, node_text, words
from repomill.code.languages.comments import leading_comment
from repomill.code.languages.rust_uses import USES_QUERY, paths_of, reparse, use_paths

_LEADING = frozenset({"line_comment", "block_comment", "attribute_item"})


def _name(node: Node) -> str | None:
    if node.type == "impl_item":
        target = node.child_by_field_name("type")
        while target is not None and target.type in ("generic_type", "reference_type"):
            target = target.child_by_field_name("type")
        if target is not None and target.type == "scoped_type_identifier":
            target = target.child_by_field_name("name")
        return node_text(target) or None
    name = node.child_by_field_name("name")
    return node_text(name) if name is not None else None


def _imports(node: Node) -> list[RawImport]:
    line = node.start_point.row + 1
    inline = _inline_modules(node)
    if node.type == "mod_item":  # `mod foo;` (the query only captures body-less mods)
        name = node_text(node.child_by_field_name("name"))
        return [RawImport(_scoped(inline, "self::" + name), alias=name, line=line)]
    if node.type == "extern_crate_declaration":  # `extern crate foo as bar;` binds bar
        name = node_text(node.child_by_field_name("name"))
        alias = node_text(node.child_by_field_name("alias")) or name
        return [] if name == "self" else [RawImport(name, alias=alias, line=line)]
    argument = node.child_by_field_name("argument")
    if argument is None:
        return []
    result = []
    for path, alias, glob in use_paths(argument, ""):
        path = _scoped(inline, path)
        if glob:
            result.append(RawImport(path, wildcard=True, line=line))
            continue
        module, _, name = path.rpartition("::")
        if name == "self":  # use a::b::{self} imports the module b
            result.append(RawImport(module, alias=alias or module.rpartition("::")[2], line=line))
        elif module:
            result.append(RawImport(module, names=((alias or name, name),), line=line))
        else:  # `use foo;` of a crate or a module
            result.append(RawImport(path, alias=alias or path, line=line))
    return result


def _inline_modules(node: Node) -> list[str]:
    """The names of the `mod m { … }` blocks around `node`, outermost first."""
    names = []
    parent = node.parent
    while parent is not None:
        if parent.type == "mod_item" and parent.child_by_field_name("body") is not None:
            names.append(node_text(parent.child_by_field_name("name")))
        parent = parent.parent
    return names[::-1]


def _scoped(inline: list[str], path: str) -> str:
    """A path written inside inline modules, as the file's own module reads it:
    `super::X` in `mod tests { … }` is `self::X`, `self::Y` there `self::tests::Y`."""
    if not inline:
        return path
    segments = path.split("::")
    if segments[0] not in ("self", "super"):
        return path  # crate::…, a crate's name, 2018 paths: as written
    module = list(inline)
    rest = segments
    while rest and rest[0] in ("self", "super"):
        if rest[0] == "super":
            if not module:
                break  # above the file's module: the supers left are the file's
            module.pop()
        rest = rest[1:]
    return "::".join(["self", *module, *rest] if rest[:1] != ["super"] else rest)


def _constants(root: Node) -> list[tuple[Node, str]]:
    """Top-level `const` and `static` items."""
    items = [n for n in root.named_children if n.type in ("const_item", "static_item")]
    return [(n, node_text(n.child_by_field_name("name"))) for n in items
            if n.child_by_field_name("name") is not None]  # fmt: skip


RUST = LanguageSpec(
    name="rust",
    extensions=(".rs",),
    grammar=tree_sitter_rust.language,
    kinds={
        "function_item": "function",
        "function_signature_item": "function",
        "struct_item": "struct",
        "enum_item": "enum",
        "union_item": "union",
        "trait_item": "trait",
        "impl_item": "impl",
        "mod_item": lambda node: "module" if node.child_by_field_name("body") else None,
        "type_item": "type",
        "macro_definition": "macro",
    },
    containers={"impl_item": "body", "trait_item": "body", "mod_item": "body"},
    leading=_LEADING,
    keywords=words(
        "as async await break const continue crate dyn else enum extern false fn for if impl "
        "in let loop match mod move mut pub ref return self Self static struct super trait "
        "true type unsafe use where while Some None Ok Err Vec String Box bool char str u8 "
        "u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize f32 f64 derive doc cfg test allow "
        "clone new default unwrap into iter map"
    ),
    import_query=(
        "(use_declaration) @import\n(mod_item !body) @import\n(extern_crate_declaration) @import"
    ),
    extract_imports=_imports,
    uses_query=USES_QUERY,
    paths_of=paths_of,
    reparse=reparse,
    name_of=_name,
    docstring_of=lambda node: leading_comment(node, _LEADING),
    constants_of=_constants,
)
