import pytest

from repomill.code.file_index import index_file

from .projects import PROJECTS

SAMPLES = {
    "python": (
        "m.py",
        "import os\n\n\n@dec\ndef f(x):\n    return x\n\n\nclass C:\n    def m(self):\n        pass\n",
    ),
    "typescript": (
        "m.ts",
        "import {a} from './a';\nexport function f(x: number) { return x; }\nexport class C { m() {} }\ninterface I { x: number }\ntype T = string;\nenum E { A }\n",
    ),
    "tsx": (
        "m.tsx",
        "import React from 'react';\nexport const App = () => <div>hi</div>;\nfunction Helper() { return <span/>; }\n",
    ),
    "javascript": (
        "m.js",
        "const x = require('./x');\nfunction f() { return 1; }\nclass C { m() {} }\nconst g = function () {};\n",
    ),
    "rust": (
        "m.rs",
        "use std::fmt;\npub struct S { a: i32 }\nimpl S { fn m(&self) {} }\npub trait T { fn t(&self); }\nenum E { A }\nfn f() {}\n",
    ),
    "java": (
        "M.java",
        "package p;\nimport java.util.List;\npublic class M { void m() {} }\ninterface I { void i(); }\nenum E { A; void e() {} }\nrecord R(int x) {}\n",
    ),
    "go": (
        "m.go",
        'package m\nimport "fmt"\ntype S struct { A int }\nfunc (s S) M() {}\nfunc F() { fmt.Println() }\ntype I interface { M() }\n',
    ),
}
EXPECTED_SYMBOLS = {
    "python": {("function", "f"), ("class", "C"), ("method", "C.m")},
    "typescript": {("function", "f"), ("class", "C"), ("method", "C.m"), ("interface", "I"),
                   ("type", "T"), ("enum", "E")},
    "tsx": {("function", "App"), ("function", "Helper")},
    "javascript": {("function", "f"), ("class", "C"), ("method", "C.m"), ("function", "g")},
    "rust": {("struct", "S"), ("impl", "S"), ("method", "S.m"), ("trait", "T"),
             ("method", "T.t"), ("enum", "E"), ("function", "f")},
    "java": {("class", "M"), ("method", "M.m"), ("interface", "I"), ("method", "I.i"),
             ("enum", "E"), ("method", "E.e"), ("record", "R")},
    "go": {("struct", "S"), ("method", "S.M"), ("function", "F"), ("interface", "I")},
}  # fmt: skip


def assert_verbatim(source: bytes, chunks: list[dict]) -> None:
    lines = source.decode().split("\n")
    for chunk in chunks:
        assert source[chunk["start_byte"] : chunk["end_byte"]].decode() == chunk["text"]
        by_lines = "\n".join(lines[chunk["start_line"] - 1 : chunk["end_line"]])
        assert chunk["text"] in by_lines
        assert by_lines.strip().startswith(chunk["text"].split("\n")[0].strip())


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_symbols_and_verbatim_chunks_per_language(language):
    path, text = SAMPLES[language]
    result = index_file(path, language, text.encode(), 4000)
    assert not result["has_error"]
    assert {(s["kind"], s["qualname"]) for s in result["symbols"]} == EXPECTED_SYMBOLS[language]
    assert_verbatim(text.encode(), result["chunks"])
    assert result["imports"], "the import statement was found"
    module = [c for c in result["chunks"] if c["symbol"] == "<module>"]
    assert module[0]["text"].startswith(text.split("\n")[0])  # imports: module remainder


@pytest.mark.parametrize("language", sorted(PROJECTS))
def test_fixture_projects_round_trip(language):
    files = PROJECTS[language][0]
    from repomill.code.languages import language_for_path

    for path, text in files.items():
        lang = language_for_path(path)
        if lang:
            result = index_file(path, lang, text.encode(), 4000)
            assert_verbatim(text.encode(), result["chunks"])


def big_function(statements: int) -> str:
    body = "".join(
        f"    value_{i} = compute({i}, 'padding padding padding')\n" for i in range(statements)
    )
    return f'def big(a, b):\n    """Doc."""\n{body}    return a\n'


def test_large_unit_is_split_at_statement_boundaries_with_a_header():
    source = ("import os\n\n\n" + big_function(60)).encode()
    result = index_file("big.py", "python", source, 600)
    parts = [c for c in result["chunks"] if c["symbol"] == "big"]
    assert len(parts) > 3
    assert [c["part"] for c in parts] == list(range(1, len(parts) + 1))
    assert all(c["header"] == "def big(a, b):" for c in parts)
    assert parts[0]["text"].startswith("def big(a, b):")
    for chunk in parts:
        assert len(chunk["text"].encode()) <= 600
        for line in chunk["text"].split("\n")[1:]:  # whole statements only
            assert line.strip().startswith(("value_", "return", '"""'))
    assert_verbatim(source, result["chunks"])
    covered = "".join(c["text"] for c in parts).replace("\n", "").replace(" ", "")
    assert covered == source.decode()[11:].replace("\n", "").replace(" ", "")


def test_large_class_splits_into_members_with_class_header():
    methods = "".join(f"    def m{i}(self):\n        return {i} + {i} * {i}\n\n" for i in range(30))
    source = f'class Big(Base):\n    """Doc."""\n    x = 1\n\n{methods}'.encode()
    result = index_file("c.py", "python", source, 300)
    by_symbol = {c["symbol"]: c for c in result["chunks"]}
    assert by_symbol["Big.m7"]["header"] == "class Big(Base):"
    assert by_symbol["Big.m7"]["kind"] == "method"
    assert by_symbol["Big"]["text"].startswith('class Big(Base):\n    """Doc."""\n    x = 1')
    assert_verbatim(source, result["chunks"])


def test_chunk_ids_survive_lines_inserted_above():
    before = "def a():\n    return 1\n\n\ndef b():\n    return 2\n"
    after = "import sys\n# a new comment\n\n" + before.replace("return 1", "return 10")
    old = {c["symbol"]: c for c in index_file("m.py", "python", before.encode(), 4000)["chunks"]}
    new = {c["symbol"]: c for c in index_file("m.py", "python", after.encode(), 4000)["chunks"]}
    assert new["b"]["chunk_id"] == old["b"]["chunk_id"]
    assert new["b"]["start_line"] == old["b"]["start_line"] + 3
    assert new["a"]["chunk_id"] != old["a"]["chunk_id"]  # its text changed


def test_chunk_ids_depend_on_path_and_tell_apart_identical_chunks():
    text = "def f():\n    pass\n"
    one = index_file("a.py", "python", text.encode(), 4000)["chunks"][0]["chunk_id"]
    other = index_file("b.py", "python", text.encode(), 4000)["chunks"][0]["chunk_id"]
    assert one != other
    twice = "if X:\n    def f():\n        pass\nelse:\n    def f():\n        pass\n"
    ids = [c["chunk_id"] for c in index_file("c.py", "python", twice.encode(), 4000)["chunks"]]
    assert len(ids) == len(set(ids))


def test_broken_syntax_still_indexes():
    result = index_file("bad.py", "python", b"def ok():\n    return 1\n\ndef broken(:\n", 4000)
    assert result["has_error"]
    assert any(s["name"] == "ok" for s in result["symbols"])


def test_crlf_and_unicode_round_trip():
    source = "def f():\r\n    return 'héllo ✓'\r\n".encode()
    result = index_file("u.py", "python", source, 4000)
    chunk = result["chunks"][0]
    assert source[chunk["start_byte"] : chunk["end_byte"]].decode() == chunk["text"]
