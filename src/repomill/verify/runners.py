"""Per-language runners: turn an implementation and its tests into files and a command for
the sandbox. Interpreters come from /usr (the sandbox sees nothing else)."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, replace

from repomill.verify.sandbox import Execution, Limits, run_sandboxed
from repomill.verify.tools import node_tools_mount


@dataclass(frozen=True)
class Runner:
    language: str
    program: str  # the file name
    command: tuple[str, ...]
    memory_bytes: int | None = None  # writable memory per process, where not the default
    needs_node_tools: bool = False  # tsx, from the tool directory, seen as /tools
    file_bytes: int | None = None  # a larger file-size limit (a compiler's output)
    requires: tuple[str, ...] = ()  # tools beyond the command's first word

    def available(self) -> bool:
        if self.needs_node_tools and shutil.which("npm") is None:
            return False
        return all(shutil.which(tool) for tool in (self.command[0], *self.requires))

    def run(self, code: str, tests: str, limits: Limits | None = None,
            unsafe_no_sandbox: bool = False) -> Execution:  # fmt: skip
        source = self.assemble(code, tests)
        limits = limits or Limits()
        limits = replace(limits, memory_bytes=max(limits.memory_bytes, self.memory_bytes or 0),
                         file_bytes=max(limits.file_bytes, self.file_bytes or 0))  # fmt: skip
        read_only = node_tools_mount() if self.needs_node_tools else {}
        return run_sandboxed(list(self.command), {self.program: source}, limits,
                             unsafe_no_sandbox, read_only)  # fmt: skip

    def assemble(self, code: str, tests: str) -> str:
        if self.language == "java":
            return _java_program(code, tests)
        if self.language == "rust":
            return _rust_program(code, tests)
        return f"{code.rstrip()}\n\n\n{tests.rstrip()}\n"


def _java_program(code: str, tests: str) -> str:
    """Java's single-file launch runs the first class: a `Main` class holding the tests
    goes first, the implementation's classes after it."""
    if re.search(r"\bclass\s+Main\b", tests):
        return f"{tests.rstrip()}\n\n{code.rstrip()}\n"
    body = "\n".join("        " + line for line in tests.strip().splitlines())
    return (f"public class Main {{\n    public static void main(String[] args) throws Exception "
            f"{{\n{body}\n    }}\n}}\n\n{code.rstrip()}\n")  # fmt: skip


def _rust_program(code: str, tests: str) -> str:
    """Tests outside a `#[cfg(test)]` module are wrapped in one `#[test]` function."""
    if "#[test]" not in tests:
        body = "\n".join("    " + line for line in tests.strip().splitlines())
        tests = f"#[test]\nfn generated_tests() {{\n{body}\n}}"
    return f"#![allow(dead_code)]\n{code.rstrip()}\n\n{tests.rstrip()}\n"


RUNNERS = {
    "python": Runner("python", "main.py", ("/usr/bin/python3", "-I", "main.py")),
    "javascript": Runner("javascript", "main.js",
                         ("/usr/bin/node", "--max-old-space-size=256", "main.js")),
    # tsx strips the types (esbuild) and runs the result on node.
    "typescript": Runner("typescript", "main.ts",
                         ("/usr/bin/node", "--max-old-space-size=256",
                          "/tools/node_modules/tsx/dist/cli.mjs", "main.ts"),
                         needs_node_tools=True),
    # rustc --test builds a test binary in the private /tmp, which then runs the tests.
    "rust": Runner("rust", "main.rs",
                   ("/usr/bin/sh", "-c", "/usr/bin/rustc --edition 2021 --test -o /tmp/tests "
                    "main.rs && exec /tmp/tests --test-threads 1 --nocapture"),
                   1 << 30, file_bytes=64 << 20, requires=("/usr/bin/rustc", "/usr/bin/cc")),
    "java": Runner("java", "Main.java",
                   ("/usr/bin/java", "-Xmx256m", "-XX:+UseSerialGC", "-Xss8m", "Main.java")),
}  # fmt: skip
