"""Which definitions of other files context resolves a name to: in Python and
TypeScript/JavaScript only what imports bind (module attributes, re-exports, default
exports followed), never a local or an attribute that merely shares a name; in Java the
same package without imports."""

import pytest

from repomill.code.build import build_index
from repomill.code.context import candidates, import_block
from repomill.code.settings import IndexConfig
from repomill.sources import open_source

from .conftest import make_repo


@pytest.fixture
def context_of(tmp_path):
    """context_of(files, path, line) -> {(path, symbol)} of the unit at path:line (with
    `lines`: [(path, symbol, start_line)] in rank order)."""

    def build(files: dict[str, str], path: str, line: int, lines: bool = False):
        repo = make_repo(tmp_path / f"repo{len(list(tmp_path.iterdir()))}", files)
        index = build_index(open_source(repo), IndexConfig(workers=1), None,
                            show_progress=False).index  # fmt: skip
        chunk = index.chunk_at(path, line)
        items = candidates(index, path, chunk["text"])
        if lines:
            return [(item.path, item.symbol, item.start_line) for item in items]
        return {(item.path, item.symbol) for item in items}

    return build


UTIL = "def helper():\n    pass\n\n\ndef fmt(x):\n    return x\n\n\ndef path():\n    pass\n"


def test_python_unimported_same_named_function_is_not_context(context_of):
    files = {"pkg/__init__.py": "", "pkg/util.py": UTIL,
             "pkg/app.py": "def run():\n    return helper()\n"}  # fmt: skip
    assert context_of(files, "pkg/app.py", 2) == set()


def test_python_parameters_locals_and_attributes_are_not_context(context_of):
    app = (
        "from .util import fmt, helper\n\n\n"
        "def run(path, obj):\n"
        "    for helper in obj.items:\n"
        "        obj.fmt(helper)\n"
        "    return [path for path in obj]\n"
    )
    files = {"pkg/__init__.py": "", "pkg/util.py": UTIL, "pkg/app.py": app}
    assert context_of(files, "pkg/app.py", 5) == set()


def test_python_named_import_is_context(context_of):
    app = "from .util import fmt as f\n\n\ndef run(path):\n    return f(path)\n"
    files = {"pkg/__init__.py": "", "pkg/util.py": UTIL, "pkg/app.py": app}
    assert context_of(files, "pkg/app.py", 5) == {("pkg/util.py", "fmt")}


@pytest.mark.parametrize(
    "statement, call",
    [
        ("import pkg.util", "pkg.util.fmt(x)"),
        ("import pkg.util as u", "u.fmt(x)"),
        ("from pkg import util", "util.fmt(x)"),
        ("from . import util", "util.fmt(x)"),
    ],
)
def test_python_module_attribute_is_context_and_bare_name_is_not(context_of, statement, call):
    app = f"{statement}\n\n\ndef run(x):\n    helper()\n    return {call}\n"
    files = {"pkg/__init__.py": "", "pkg/util.py": UTIL, "pkg/app.py": app}
    assert context_of(files, "pkg/app.py", 5) == {("pkg/util.py", "fmt")}


def test_python_package_re_exports_are_followed(context_of):
    files = {
        "shop/__init__.py": "from .models import Order\nfrom .tools import *\n",
        "shop/models/__init__.py": "from .order import Order\n",
        "shop/models/order.py": "class Order:\n    pass\n",
        "shop/tools.py": "def total(order):\n    return 0\n",
        "app.py": (
            "import shop\nfrom shop import Order, total\n\n\n"
            "def run():\n    return total(Order()), shop.Order\n"
        ),
    }
    assert context_of(files, "app.py", 6) == {
        ("shop/models/order.py", "Order"),
        ("shop/tools.py", "total"),
    }


TIMEOUT_VARIANTS = {
    "declaration": "export default function timeout(ms: number): number {\n  return ms;\n}\n",
    "local": "const timeout = (ms: number): number => ms;\nexport default timeout;\n",
    "clause": "function timeout(ms: number): number {\n  return ms;\n}\nexport {timeout as default};\n",
}  # fmt: skip


@pytest.mark.parametrize("variant", sorted(TIMEOUT_VARIANTS))
def test_typescript_default_import_resolves_to_the_default_export(context_of, variant):
    files = {
        "source/utils/timeout.ts": TIMEOUT_VARIANTS[variant],
        "source/core/ky.ts": (
            "import timeout from '../utils/timeout.js';\n\n"
            "export function run(ms: number): number {\n  return timeout(ms);\n}\n"
        ),
    }
    assert context_of(files, "source/core/ky.ts", 4) == {("source/utils/timeout.ts", "timeout")}


def test_typescript_export_records_are_not_shown_as_imports(tmp_path):
    files = {"a.ts": "import {b} from './b';\nexport default function a() {}\n", "b.ts": ""}
    repo = make_repo(tmp_path / "r", files)
    index = build_index(open_source(repo), IndexConfig(workers=1), None,
                        show_progress=False).index  # fmt: skip
    assert import_block(index, "a.ts") == "import {b} from './b';"


BARREL = {
    "src/lib/index.ts": (
        "export * from './shapes';\nexport {area} from './math';\n"
        "export {perimeter as edge} from './math';\nexport {default as make} from './make';\n"
    ),
    "src/lib/shapes.ts": "export interface Square {\n  side: number;\n}\n",
    "src/lib/math.ts": (
        "export function area(s: number): number {\n  return s * s;\n}\n"
        "export function perimeter(s: number): number {\n  return 4 * s;\n}\n"
    ),
    "src/lib/make.ts": "export default function make(): number {\n  return 1;\n}\n",
}
EXPECTED_BARREL = {
    ("src/lib/shapes.ts", "Square"),
    ("src/lib/math.ts", "area"),
    ("src/lib/math.ts", "perimeter"),
    ("src/lib/make.ts", "make"),
}


def test_typescript_barrel_re_exports_are_followed(context_of):
    app = (
        "import {Square, area, edge, make} from './lib';\n\n"
        "export function run(s: Square): number {\n  return area(s.side) + edge(1) + make();\n}\n"
    )
    assert context_of({**BARREL, "src/app.ts": app}, "src/app.ts", 4) == EXPECTED_BARREL


def test_typescript_namespace_import_reads_through_the_barrel(context_of):
    app = (
        "import * as lib from './lib/index.js';\n\n"
        "export function run(s: lib.Square): number {\n"
        "  return lib.area(s.side) + lib.edge(1) + lib.make();\n}\n"
    )
    assert context_of({**BARREL, "src/app.ts": app}, "src/app.ts", 4) == EXPECTED_BARREL


def test_typescript_attributes_and_unimported_names_are_not_context(context_of):
    files = {
        "src/util.ts": "export function name(): string {\n  return 'x';\n}\n"
        "export function shout(s: string): string {\n  return s;\n}\n",
        "src/app.ts": (
            "import {name} from './util';\n\n"
            "export function run(user: {name: string}): string {\n"
            "  return shout(user.name);\n}\n"
        ),
    }
    assert context_of(files, "src/app.ts", 4) == set()


def test_javascript_require_bindings(context_of):
    files = {
        "lib/m.js": "function f() {}\nfunction g() {}\nfunction h() {}\nfunction j() {}\n",
        "app.js": (
            "const m = require('./lib/m');\nconst {g, h: k} = require('./lib/m.js');\n\n"
            "function run() {\n  return m.f() + g() + k() + j();\n}\n"
        ),
    }  # fmt: skip
    assert context_of(files, "app.js", 5) == {("lib/m.js", "f"), ("lib/m.js", "g"),
                                               ("lib/m.js", "h")}  # fmt: skip


JAVA_TAX = (
    "package com.shop;\n\npublic class Tax {\n    public static int of(int p) { return p; }\n}\n"
)


def test_java_same_package_needs_no_import(context_of):
    files = {
        "src/com/shop/Tax.java": JAVA_TAX,
        "src/com/shop/Cart.java": (
            "package com.shop;\n\npublic class Cart {\n"
            "    int total(int price) { return Tax.of(price); }\n}\n"
        ),
    }
    assert context_of(files, "src/com/shop/Cart.java", 4) == {
        ("src/com/shop/Tax.java", "Tax"),
        ("src/com/shop/Tax.java", "Tax.of"),
    }


def test_java_parameter_named_like_a_method_elsewhere_is_not_context(context_of):
    files = {
        "src/com/shop/Tax.java": JAVA_TAX,
        "src/com/other/Cart.java": (
            "package com.other;\n\npublic class Cart {\n"
            "    int total(int of) { return of + 1; }\n}\n"
        ),
    }
    assert context_of(files, "src/com/other/Cart.java", 4) == set()


CONSTANT_CASES = {
    "python": (
        {"pkg/__init__.py": "", "pkg/consts.py": "import typing\n\nLIMIT = 10\nF = typing.TypeVar('F')\n",
         "pkg/app.py": "from .consts import F, LIMIT\n\n\ndef run(f: F) -> F:\n    return f(LIMIT)\n"},
        "pkg/app.py", 5, {("pkg/consts.py", "LIMIT"), ("pkg/consts.py", "F")},
    ),
    "typescript": (
        {"src/ky.ts": "const create = () => ({});\nconst ky = create();\nexport default ky;\n",
         "src/app.ts": "import ky from './ky';\n\nexport function get() {\n  return ky;\n}\n"},
        "src/app.ts", 4, {("src/ky.ts", "ky")},
    ),
    "rust": (
        {"Cargo.toml": '[package]\nname = "app"\n', "src/limits.rs": "pub const MAX: u32 = 3;\n",
         "src/lib.rs": "mod limits;\nuse crate::limits::MAX;\n\npub fn f() -> u32 {\n    MAX\n}\n"},
        "src/lib.rs", 5, {("src/limits.rs", "MAX")},
    ),
    "go": (
        {"go.mod": "module example.com/app\n", "app/limits.go": "package app\n\nconst (\n\tMax = 3\n\tMin = 1\n)\n",
         "app/run.go": "package app\n\nfunc Run() int {\n\treturn Max\n}\n"},
        "app/run.go", 4, {("app/limits.go", "Max")},
    ),
}  # fmt: skip


@pytest.mark.parametrize("language", sorted(CONSTANT_CASES))
def test_top_level_named_values_are_context(context_of, language):
    # constants, TypeVars, `const ky = …` behind a default export: defined in another
    # file, reached by the same rules as functions and types
    files, path, line, expected = CONSTANT_CASES[language]
    assert context_of(files, path, line) == expected


def test_a_constant_is_shown_whole_and_is_no_unit_of_its_own(tmp_path):
    from repomill.code.file_index import index_file
    from repomill.code.units import Side

    source = b"LIMIT = 10\n\n\ndef f():\n    return LIMIT\n"
    symbols = index_file("m.py", "python", source, 4096)["symbols"]
    constant = next(s for s in symbols if s["name"] == "LIMIT")
    assert (constant["kind"], constant["text"], constant["start_line"]) == (
        "constant",
        "LIMIT = 10",
        1,
    )
    assert [s["name"] for s in Side(source, symbols).symbols] == ["f"]


MODELS = (
    "class Context:\n    def invoke(self):\n        pass\n\n\n"
    "class Runner:\n    def start(self):\n        pass\n\n    def invoke(self):\n        pass\n"
)


def test_python_members_through_a_written_type(context_of):
    # a parameter's annotation or a constructor call gives the value its type: its
    # members are the type's; a name given two types stays unknown
    app = (
        "from .models import Context, Runner\n\n\n"
        "def run(ctx: Context, other):\n"
        "    runner = Runner()\n"
        "    ctx.invoke()\n"
        "    runner.start()\n"
        "    other.invoke()\n"
        "    both = Context()\n"
        "    both = Runner()\n"
        "    both.invoke()\n"
    )
    files = {"pkg/__init__.py": "", "pkg/models.py": MODELS, "pkg/app.py": app}
    found = context_of(files, "pkg/app.py", 5)
    assert {("pkg/models.py", "Context.invoke"), ("pkg/models.py", "Runner.start")} <= found
    assert ("pkg/models.py", "Runner.invoke") not in found


OVERLOADED = """from typing import overload


@overload
def parse(x: int) -> int: ...
@overload
def parse(x: str) -> str: ...
def parse(x):
    return x


class Reader:
    @overload
    def read(self, n: int) -> bytes: ...
    @overload
    def read(self, n: None) -> str: ...
    def read(self, n):
        return n
"""


def test_python_overload_stubs_give_way_to_the_implementation(context_of):
    app = ("from .lib import Reader, parse\n\n\n"
           "def run(reader: Reader):\n    return parse(reader.read(1))\n")  # fmt: skip
    files = {"pkg/__init__.py": "", "pkg/lib.py": OVERLOADED, "pkg/app.py": app}
    found = context_of(files, "pkg/app.py", 5, lines=True)
    assert sorted(found) == [("pkg/lib.py", "Reader", 12), ("pkg/lib.py", "Reader.read", 17),
                             ("pkg/lib.py", "parse", 8)]  # fmt: skip


CONFTEST = (
    "import pytest\n\n\n@pytest.fixture\ndef runner():\n    return 1\n\n\n"
    "@pytest.fixture\ndef db(runner):\n    return runner\n"
)


@pytest.mark.parametrize("local, expected", [
    ("", {("tests/conftest.py", "runner"), ("tests/conftest.py", "db")}),
    # the test file's own fixture overrides conftest's; a nearer conftest.py wins
    ("@pytest.fixture\ndef runner():\n    return 2\n\n\n",
     {("tests/conftest.py", "db")}),
])  # fmt: skip
def test_python_fixtures_a_test_takes_come_from_the_nearest_conftest(context_of, local,
                                                                    expected):  # fmt: skip
    test = (f"import pytest\n\n\n{local}def test_it(runner, db, tmp_path):\n"
            "    assert runner == db\n")  # fmt: skip
    files = {"conftest.py": CONFTEST.replace("db", "other"), "tests/conftest.py": CONFTEST,
             "tests/unit/test_a.py": test, "helpers.py": "def runner():\n    pass\n"}  # fmt: skip
    line = test.count("\n") - 1
    assert context_of(files, "tests/unit/test_a.py", line) == expected


def test_python_a_function_s_parameters_are_not_fixtures(context_of):
    code = "def run(runner):\n    return runner\n"
    files = {"conftest.py": CONFTEST, "app.py": code}
    assert context_of(files, "app.py", 2) == set()


def test_python_import_of_a_submodule_binds_its_package(context_of):
    files = {"pkg/__init__.py": "from .util import fmt\n", "pkg/util.py": UTIL,
             "app.py": "import pkg.util\n\n\ndef run(x):\n    return pkg.fmt(x)\n"}  # fmt: skip
    assert context_of(files, "app.py", 5) == {("pkg/util.py", "fmt")}


TESTING = """class Result:
    def __init__(self, output):
        self.output = output

    @property
    def text(self):
        return self.output


class Runner:
    def invoke(self, cli) -> "Result":
        return Result(cli())

    def reset(self):
        pass
"""


def test_python_members_through_the_class_a_value_is_made_of(context_of):
    """`runner` is a fixture that returns Runner(); `result = runner.invoke(…)` is a
    Result by invoke's annotation: their members (and classes) are context, not guesses."""
    conftest = "import pytest\nfrom lib.testing import Runner\n\n\n" \
               "@pytest.fixture\ndef runner():\n    return Runner()\n"  # fmt: skip
    test = ("def test_it(runner):\n    result = runner.invoke(print)\n"
            "    assert result.text == result.output\n")  # fmt: skip
    files = {"lib/__init__.py": "", "lib/testing.py": TESTING, "tests/conftest.py": conftest,
             "tests/test_it.py": test}  # fmt: skip
    assert context_of(files, "tests/test_it.py", 2) == {
        ("tests/conftest.py", "runner"), ("lib/testing.py", "Runner"),
        ("lib/testing.py", "Runner.invoke"), ("lib/testing.py", "Result"),
        ("lib/testing.py", "Result.text"),
    }  # fmt: skip
    # a value whose maker says nothing of its class finds nothing
    files["tests/conftest.py"] = conftest.replace("return Runner()", "return make()")
    assert context_of(files, "tests/test_it.py", 2) == {("tests/conftest.py", "runner")}


def test_python_members_of_what_an_imported_function_returns(context_of):
    lib = TESTING + "\n\ndef make() -> Runner:\n    return Runner()\n"
    app = "from lib.testing import make\n\n\ndef run():\n    runner = make()\n    runner.reset()\n"
    files = {"lib/__init__.py": "", "lib/testing.py": lib, "app.py": app}
    assert context_of(files, "app.py", 5) == {("lib/testing.py", "make"),
                                              ("lib/testing.py", "Runner.reset")}  # fmt: skip


def test_go_methods_of_a_typed_receiver_or_parameter_anywhere_in_its_package(context_of):
    files = {
        "cmd/command.go": "package cmd\n\ntype Command struct {\n\tUse string\n}\n",
        "cmd/flags.go": "package cmd\n\nfunc (c *Command) Flags() int {\n\treturn 1\n}\n",
        "other/flags.go": "package other\n\ntype Command struct{}\n\n"
                          "func (c *Command) Flags() int {\n\treturn 2\n}\n",
        "cmd/run.go": "package cmd\n\nfunc (c *Command) Run(other Command) int {\n"
                      "\treturn c.Flags() + other.Flags()\n}\n",
    }  # fmt: skip
    assert context_of(files, "cmd/run.go", 4) == {("cmd/command.go", "Command"),
                                                  ("cmd/flags.go", "Command.Flags")}  # fmt: skip


def test_go_test_files_see_their_package_s_test_helpers(context_of):
    files = {
        "cmd/command.go": "package cmd\n\nfunc Run() int {\n\treturn 1\n}\n",
        "cmd/helpers_test.go": "package cmd\n\nfunc emptyRun() int {\n\treturn 0\n}\n",
        "doc/helpers_test.go": "package doc\n\nfunc emptyRun() int {\n\treturn 2\n}\n",
        "cmd/external_test.go": "package cmd_test\n\nfunc emptyRun() int {\n\treturn 3\n}\n",
        "cmd/run_test.go": "package cmd\n\nfunc TestRun() int {\n\treturn Run() + emptyRun()\n}\n",
        "cmd/main.go": "package cmd\n\nfunc Main() int {\n\treturn emptyRun()\n}\n",
    }  # fmt: skip
    assert context_of(files, "cmd/run_test.go", 4) == {("cmd/command.go", "Run"),
                                                       ("cmd/helpers_test.go", "emptyRun")}  # fmt: skip
    assert context_of(files, "cmd/main.go", 4) == set()  # a test helper is not the package's


def test_go_methods_of_a_value_made_by_a_composite_literal(context_of):
    files = {
        "cmd/command.go": "package cmd\n\ntype Command struct {\n\tUse string\n}\n\n"
                          "func (c *Command) Flags() int {\n\treturn 1\n}\n",
        "cmd/run_test.go": "package cmd\n\nfunc TestRun() int {\n\troot := &Command{Use: \"r\"}\n"
                           "\treturn root.Flags()\n}\n",
    }  # fmt: skip
    assert context_of(files, "cmd/run_test.go", 4) == {("cmd/command.go", "Command"),
                                                       ("cmd/command.go", "Command.Flags")}  # fmt: skip


def test_javascript_commonjs_exports(context_of):
    """module.exports = f is the module's value (through an index.js that re-exports a
    require), exports.x = function… its named exports; other member assignments are not."""
    files = {
        "index.js": "module.exports = require('./lib/express');\n",
        "lib/express.js": (
            "exports = module.exports = createApplication;\n\n"
            "function createApplication() {\n  return {};\n}\n\n"
            "exports.json = function json(x) {\n  return x;\n};\n"
            "module.exports.Router = class Router {};\n"
            "app.helper = function helper() {};\n"
        ),
        "lib/utils.js": "exports.etag = function etag(body) {\n  return body;\n};\n",
        "test/app.js": (
            "var express = require('../');\nvar utils = require('../lib/utils');\n\n"
            "function run() {\n  var app = express();\n"
            "  return [express.json(1), new express.Router(), utils.etag('x'), helper()];\n}\n"
        ),
    }  # fmt: skip
    assert context_of(files, "test/app.js", 5) == {
        ("lib/express.js", "createApplication"), ("lib/express.js", "json"),
        ("lib/express.js", "Router"), ("lib/utils.js", "etag")}  # fmt: skip


def test_go_methods_of_what_a_method_returns(context_of):
    files = {
        "cmd/command.go": "package cmd\n\ntype Command struct{}\n\n"
                          "func (c *Command) Find(name string) *Command {\n\treturn c\n}\n",
        "cmd/exec.go": "package cmd\n\nfunc (c *Command) Execute() error {\n\treturn nil\n}\n",
        "cmd/run.go": "package cmd\n\nfunc (c *Command) Run() error {\n\tsub := c.Find(\"x\")\n"
                      "\treturn sub.Execute()\n}\n",
    }  # fmt: skip
    assert context_of(files, "cmd/run.go", 4) == {
        ("cmd/command.go", "Command"), ("cmd/command.go", "Command.Find"),
        ("cmd/exec.go", "Command.Execute")}  # fmt: skip


def test_javascript_commonjs_exports_of_names(context_of):
    """module.exports = {a, b: c} and exports.d = e export the file's own definitions, the
    renamed ones under their new names, for a destructuring require and a module value."""
    files = {
        "lib/math.js": (
            "function alpha(n) {\n  return n + 1;\n}\n\n"
            "function beta(n) {\n  return n * 2;\n}\n\n"
            "const gamma = (n) => n - 1;\n\n"
            "function unused() {}\n\n"
            "module.exports = { alpha, twice: beta, count: 3 };\n"
            "exports.less = gamma;\n"
        ),
        "app.js": (
            "const math = require('./lib/math');\nconst { twice } = require('./lib/math');\n\n"
            "function run(n) {\n  return math.alpha(n) + twice(n) + math.less(n) + math.count;\n}\n"
        ),
    }  # fmt: skip
    assert context_of(files, "app.js", 5) == {
        ("lib/math.js", "alpha"), ("lib/math.js", "beta"), ("lib/math.js", "gamma")}  # fmt: skip
