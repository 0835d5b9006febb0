"""Per-language runners: the command, limits and tools that run a harnessed program
(implementation + tests, see `harness`) in the sandbox. Interpreters come from /usr (the
sandbox sees nothing else)."""

from __future__ import annotations

import posixpath
import secrets
import shutil
from dataclasses import dataclass, replace
from typing import NamedTuple

from repomill.verify import harness, sandbox
from repomill.verify.sandbox import Execution, Limits, run_sandboxed
from repomill.verify.tools import node_tools_mount
from repomill.verify.warm import run_warm

# Part of every cached verdict's key (see `cached`): bump it whenever a change to the
# runners, the harness, the sandbox, the mutants or verdict.py can change the verdict a
# response gets (a new pass rule, a reason renamed, a harness that calls more tests), so
# that a re-run verifies again instead of reusing verdicts that meant something else.
# A Runner's own fields (command, limits) and every Limits field are in the key already.
# 2: Python programs run in warm sandboxes; 3: a helper nested in the solution may share a
# name with the tests' functions
RUNNER_VERSION = 3


class Library(NamedTuple):
    """A folder of code the program may import: seen read-only as /repo in the sandbox,
    with /repo/ROOT on the import path (Python). `stamp` names its content (a commit) for
    the verdict cache."""

    path: str
    root: str
    stamp: str


LIBRARY_MOUNT = "/repo"


@dataclass(frozen=True)
class Runner:
    language: str
    program: str  # the file name
    command: tuple[str, ...]
    memory_bytes: int | None = None  # writable memory per process, where not the default
    needs_node_tools: bool = False  # tsx, from the tool directory, seen as /tools
    file_bytes: int | None = None  # a larger file-size limit (a compiler's output)
    requires: tuple[str, ...] = ()  # tools beyond the command's first word
    warm: bool = False  # a Python interpreter: programs run in a warm sandbox (see `warm`)

    def available(self) -> bool:
        if self.needs_node_tools and shutil.which("npm") is None:
            return False
        return all(shutil.which(tool) for tool in (self.command[0], *self.requires))

    def run(self, code: str, tests: str, limits: Limits | None = None,
            unsafe_no_sandbox: bool = False,
            library: Library | None = None) -> Execution:  # fmt: skip
        """Run the tests against the code in the harness (see `harness`), with `library`
        importable (Python)."""
        limits = limits or Limits()
        limits = replace(limits, memory_bytes=max(limits.memory_bytes, self.memory_bytes or 0),
                         file_bytes=max(limits.file_bytes, self.file_bytes or 0))  # fmt: skip
        read_only = node_tools_mount() if self.needs_node_tools else {}
        import_path = None
        if library is not None:
            read_only = {**read_only, library.path: LIBRARY_MOUNT}
            seen_as = library.path if unsafe_no_sandbox else LIBRARY_MOUNT
            import_path = posixpath.join(seen_as, library.root)
        files = harness.program(self.language, self.program, code, tests, import_path)
        sentinel = secrets.token_hex(16)
        if self.warm and not unsafe_no_sandbox and sandbox.bwrap_path() is not None:
            execution = run_warm(list(self.command), files, limits, read_only, sentinel + "\n")
        else:
            execution = run_sandboxed(list(self.command), files, limits, unsafe_no_sandbox,
                                      read_only, stdin=sentinel + "\n")  # fmt: skip
        return harness.finished(execution, sentinel, self.language)


RUNNERS = {
    "python": Runner("python", "main.py", ("/usr/bin/python3", "-I", "main.py"), warm=True),
    "javascript": Runner("javascript", "main.js",
                         ("/usr/bin/node", "--max-old-space-size=256", "main.js")),
    # tsx strips the types (esbuild) and runs the result on node.
    "typescript": Runner("typescript", "main.ts",
                         ("/usr/bin/node", "--max-old-space-size=256",
                          "/tools/node_modules/tsx/dist/cli.mjs", "main.ts"),
                         needs_node_tools=True),
    # rustc --test builds a test binary in the private /tmp, which then runs the tests.
    "rust": Runner("rust", "main.rs",
                   ("/usr/bin/sh", "-c", harness.RUST_COMMAND),
                   1 << 30, file_bytes=64 << 20, requires=("/usr/bin/rustc", "/usr/bin/cc")),
    "java": Runner("java", "Main.java",
                   ("/usr/bin/java", "-Xmx256m", "-XX:+UseSerialGC", "-Xss8m", "Main.java")),
}  # fmt: skip
