"""Optional static checks of seeds, run in the sandbox when the tool is there: TypeScript
with `tsc --noEmit`, Rust with `rustc --emit=metadata`, Java with `javac` (the method inside
a class). A seed is cut out of its file, so names from elsewhere are unresolved by design:
only syntax errors reject it (tsc's TS1xxx codes; rustc's errors without an error code;
javac's parse errors)."""

from __future__ import annotations

import re

from repomill.recipes.self_align.seeds import Seed
from repomill.verify.runners import RUNNERS
from repomill.verify.sandbox import Limits, run_sandboxed
from repomill.verify.tools import node_tools_mount

_TS_SYNTAX = re.compile(r"error TS1\d{3}")
_RUST_UNCODED = re.compile(r"^error(?!\[E\d+\])(?!: aborting)", re.M)
_JAVA_SYNTAX = re.compile(r"error: (.*expected|illegal start|not a statement|unclosed"
                          r"|reached end of file while parsing)")  # fmt: skip
LIMITS = Limits(wall_seconds=30, cpu_seconds=30, memory_bytes=1 << 30, file_bytes=64 << 20)


def static_check(seed: Seed, unsafe_no_sandbox: bool = False) -> str | None:
    """A rejection reason (`static_check_failed`), or None: passed or no tool to check."""
    if seed.language == "typescript" and RUNNERS["typescript"].available():
        command = ["/usr/bin/node", "/tools/node_modules/typescript/bin/tsc", "--noEmit",
                   "--isolatedModules", "--noResolve", "--target", "es2020", "main.ts"]  # fmt: skip
        run = run_sandboxed(command, {"main.ts": seed.code}, LIMITS, unsafe_no_sandbox,
                            node_tools_mount())  # fmt: skip
        return "static_check_failed" if _TS_SYNTAX.search(run.stdout + run.stderr) else None
    if seed.language == "rust" and RUNNERS["rust"].available():
        command = ["/usr/bin/rustc", "--edition", "2021", "--crate-type", "lib",
                   "--emit=metadata", "-o", "/tmp/seed.rmeta", "main.rs"]  # fmt: skip
        run = run_sandboxed(command, {"main.rs": seed.code}, LIMITS, unsafe_no_sandbox)
        return "static_check_failed" if _RUST_UNCODED.search(run.stderr) else None
    if seed.language == "java" and RUNNERS["java"].available():
        source = f"class Seed {{\n{seed.code}\n}}\n"
        command = ["/usr/bin/javac", "-d", "/tmp", "Seed.java"]
        run = run_sandboxed(command, {"Seed.java": source}, LIMITS, unsafe_no_sandbox)
        return "static_check_failed" if _JAVA_SYNTAX.search(run.stderr) else None
    return None
