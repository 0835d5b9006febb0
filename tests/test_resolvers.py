"""Every registered language resolver is a `Resolver`: resolve(path, RawImport) -> Resolved."""

import inspect

import pytest

from repomill.code.resolve import RESOLVERS, RawImport, RepoLayout, Resolved, Resolver

# language -> (a tiny repository, an importing file, its import, what that resolves to)
TS = (
    RepoLayout({"src/a.ts", "src/b.ts"}, {}),
    "src/a.ts",
    RawImport("./b", names=(("x", "x"),)),
    Resolved(["src/b.ts"], [("x", "src/b.ts", "x")]),
)
FIXTURES = {
    "python": (
        RepoLayout({"pkg/__init__.py", "pkg/a.py", "pkg/b.py"}, {}),
        "pkg/a.py",
        RawImport("pkg.b", names=(("f", "f"),)),
        Resolved(["pkg/b.py"], [("f", "pkg/b.py", "f")]),
    ),
    "typescript": TS,
    "tsx": TS,
    "javascript": TS,
    "rust": (
        RepoLayout({"src/main.rs", "src/util.rs"}, {"Cargo.toml": '[package]\nname = "app"\n'}),
        "src/main.rs",
        RawImport("crate::util", names=(("round", "round"),)),
        Resolved(["src/util.rs"], [("round", "src/util.rs", "round")]),
    ),
    "java": (
        RepoLayout({"a/A.java", "b/B.java"}, {}, packages={"a/A.java": "a", "b/B.java": "b"}),
        "a/A.java",
        RawImport("b.B", names=(("B", "B"),)),
        Resolved(["b/B.java"], [("B", "b/B.java", "B")]),
    ),
    "go": (
        RepoLayout({"main.go", "util/u.go", "util/u_test.go"}, {"go.mod": "module ex.com/m\n"}),
        "main.go",
        RawImport("ex.com/m/util", alias="util"),
        Resolved(["util/u.go"], modules=[("util", "util/u.go")]),
    ),
}


def test_every_registered_language_has_a_fixture():
    assert set(FIXTURES) == set(RESOLVERS)


@pytest.mark.parametrize("language", sorted(RESOLVERS))
def test_resolver_satisfies_the_protocol_and_resolves_a_raw_import(language):
    layout, path, raw, expected = FIXTURES[language]
    resolver = RESOLVERS[language](layout)
    assert isinstance(resolver, Resolver)
    assert list(inspect.signature(resolver.resolve).parameters) == ["path", "raw"]
    assert resolver.resolve(path, raw) == expected


def test_raw_import_round_trips_through_its_stored_form():
    raw = RawImport("x", names=(("a", "b"),), alias="m", wildcard=True, level=2, line=7)
    stored = {**raw.to_json(), "statement": "import x", "resolved": []}
    assert RawImport.from_json(stored) == raw


CARGO = {
    "Cargo.toml": (
        '[workspace]\nmembers = ["crates/*"]\n\n[package]\nname = "rg"\nautotests = false\n\n'
        '[[bin]]\nname = "rg"\npath = "crates/core/main.rs"\n\n'
        '[[test]]\nname = "integration"\npath = "tests/tests.rs"\n\n'
        '[dependencies]\nsearch = { package = "grep-searcher", path = "crates/searcher" }\n'
        "matcher = { workspace = true }\n\n"
        '[workspace.dependencies]\nmatcher = { package = "grep-matcher", path = "crates/matcher" }\n'
    ),
    "crates/searcher/Cargo.toml": '[package]\nname = "grep-searcher"\n',
    "crates/matcher/Cargo.toml": '[package]\nname = "grep-matcher"\n\n[lib]\npath = "lib.rs"\n',
}
RUST_FILES = {
    "crates/core/main.rs", "crates/core/flags/mod.rs", "crates/core/flags/hiargs.rs",
    "crates/core/search.rs", "tests/tests.rs", "tests/util.rs", "build.rs",
    "crates/searcher/src/lib.rs", "crates/searcher/src/sink.rs", "crates/matcher/lib.rs",
    "crates/searcher/tests/t.rs", "crates/searcher/src/bin/tool.rs", "loose/x.rs",
}  # fmt: skip


@pytest.fixture(scope="module")
def rust():
    return RESOLVERS["rust"](RepoLayout(RUST_FILES, CARGO))


@pytest.mark.parametrize(
    "path, expected",
    [
        ("crates/core/main.rs", ("crates/core", ())),  # a [[bin]] path
        ("crates/core/flags/hiargs.rs", ("crates/core", ("flags", "hiargs"))),
        ("crates/core/flags/mod.rs", ("crates/core", ("flags",))),
        ("tests/util.rs", ("tests", ("util",))),  # a module of the [[test]] root
        ("crates/searcher/tests/t.rs", ("crates/searcher/tests", ())),  # found like Cargo
        ("crates/searcher/src/bin/tool.rs", ("crates/searcher/src/bin", ())),
        ("loose/x.rs", ("loose", ())),  # under no crate: a root of its own
    ],
)
def test_rust_crate_roots_and_module_paths(rust, path, expected):
    assert rust.locate(path) == expected


@pytest.mark.parametrize(
    "path, raw, expected",
    [
        # a module binds its name to its file; an item, to the file and its path there
        ("crates/core/main.rs", RawImport("self::flags", alias="flags"),
         Resolved(["crates/core/flags/mod.rs"], modules=[("flags", "crates/core/flags/mod.rs")])),
        ("crates/core/search.rs", RawImport("crate::flags", names=(("Hi", "HiArgs"),)),
         Resolved(["crates/core/flags/mod.rs"], [("Hi", "crates/core/flags/mod.rs", "HiArgs")])),
        ("crates/core/flags/hiargs.rs", RawImport("super::super::search", names=(("S", "S"),)),
         Resolved(["crates/core/search.rs"], [("S", "crates/core/search.rs", "S")])),
        ("crates/core/search.rs", RawImport("crate::flags::HiArgs", names=(("m", "m"),)),
         Resolved(["crates/core/flags/mod.rs"],
                  [("m", "crates/core/flags/mod.rs", "HiArgs::m")])),
        # dependencies by the name Cargo.toml gives them (renamed, inherited)
        ("crates/core/search.rs", RawImport("search::sink", names=(("Sink", "Sink"),)),
         Resolved(["crates/searcher/src/sink.rs"], [("Sink", "crates/searcher/src/sink.rs",
                                                     "Sink")])),
        ("crates/core/search.rs", RawImport("matcher", alias="m"),
         Resolved(["crates/matcher/lib.rs"], modules=[("m", "crates/matcher/lib.rs")])),
        # a package's tests use its library by its (underscored) name
        ("crates/searcher/tests/t.rs", RawImport("grep_searcher", names=(("X", "X"),)),
         Resolved(["crates/searcher/src/lib.rs"], [("X", "crates/searcher/src/lib.rs", "X")])),
        ("crates/core/search.rs", RawImport("crate::flags", wildcard=True),
         Resolved(["crates/core/flags/mod.rs"])),
        ("crates/core/search.rs", RawImport("std::fmt", names=(("Debug", "Debug"),)),
         Resolved()),
    ],
)  # fmt: skip
def test_rust_use_paths_resolve(rust, path, raw, expected):
    assert rust.resolve(path, raw) == expected


def test_rust_imports_inside_inline_modules_are_read_from_the_files_module():
    from repomill.code.file_index import index_file

    source = b"mod tests {\n    use super::*;\n    use super::super::X;\n    use self::a::B;\n}\n"
    imports = index_file("src/a.rs", "rust", source, 4000, False)["imports"]
    assert [(i["module"], i["wildcard"]) for i in imports] == [
        ("self", True), ("super", False), ("self::tests::a", False)]  # fmt: skip
