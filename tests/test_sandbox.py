"""Hostile code in each runner is contained and reported with a reason, and the next run
goes on as if nothing happened."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from repomill.errors import UserError
from repomill.verify import sandbox, slots
from repomill.verify.runners import RUNNERS
from repomill.verify.sandbox import Limits

pytestmark = pytest.mark.skipif(
    sandbox.bwrap_path() is None, reason="bubblewrap is not installed (.ci/run installs it)"
)

HOSTILE = {
    "python": {
        "fork_bomb": "import os\nwhile True:\n    os.fork()",
        "infinite_loop": "while True:\n    pass",
        "allocate_10_gb": "block = bytearray(10 * 1024**3)",
        "open_socket": "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)",
        "write_outside": "open('/usr/evil.txt', 'w').write('x')",
        "read_ssh": "import os\nprint(open(os.path.expanduser('~/.ssh/id_rsa')).read())",
        "orphan_child": "import os, time\nif os.fork() == 0:\n    time.sleep(30)",
    },
    "javascript": {
        "fork_bomb": "const cp = require('child_process');\nwhile (true) { try { cp.spawn("
                     "'/usr/bin/sleep', ['30']); } catch (e) {} }",
        "infinite_loop": "while (true) {}",
        "allocate_10_gb": "const block = Buffer.alloc(10 * 1024 ** 3);",
        "open_socket": "require('net').connect(80, '1.1.1.1').on('error', (e) => {"
                       " console.error(e.code); process.exit(3); });",
        "write_outside": "require('fs').writeFileSync('/usr/evil.txt', 'x');",
        "read_ssh": "console.log(require('fs').readFileSync(require('os').homedir() + "
                    "'/.ssh/id_rsa', 'utf8'));",
        "orphan_child": "require('child_process').spawn('/usr/bin/sleep', ['30'], "
                        "{ detached: true, stdio: 'ignore' }).unref();",
    },
    "java": {
        "fork_bomb": "while (true) new ProcessBuilder(\"/usr/bin/sleep\", \"30\").start();",
        "infinite_loop": "while (true) { }",
        "allocate_10_gb": "long[] block = new long[1_250_000_000]; System.out.println(block.length);",
        "open_socket": "new java.net.Socket(\"1.1.1.1\", 80).close();",
        "write_outside": "java.nio.file.Files.writeString(java.nio.file.Path.of(\"/usr/evil.txt\"), \"x\");",
        "read_ssh": "System.out.println(java.nio.file.Files.readString(java.nio.file.Path.of("
                    "System.getProperty(\"user.home\"), \".ssh\", \"id_rsa\")));",
        "orphan_child": "new ProcessBuilder(\"/usr/bin/sleep\", \"30\").start();",
    },
    "rust": {
        "fork_bomb": "loop { let _ = std::process::Command::new(\"/usr/bin/sleep\").arg(\"30\").spawn(); }",
        "infinite_loop": "loop {}",
        "allocate_10_gb": "let block = vec![1u8; 10 * 1024 * 1024 * 1024]; println!(\"{}\", block.len());",
        "open_socket": "std::net::TcpStream::connect(\"1.1.1.1:80\").unwrap();",
        "write_outside": "std::fs::write(\"/usr/evil.txt\", \"x\").unwrap();",
        "read_ssh": "println!(\"{}\", std::fs::read_to_string(std::env::var(\"HOME\").unwrap() + \"/.ssh/id_rsa\").unwrap());",
        "orphan_child": "std::process::Command::new(\"/usr/bin/sleep\").arg(\"30\").spawn().unwrap();",
    },
}  # fmt: skip
HOSTILE["typescript"] = {name: "declare const require: any;\n" + code
                         for name, code in HOSTILE["javascript"].items()}  # fmt: skip
CASES = [(lang, name) for lang, cases in HOSTILE.items() for name in cases]


def _sandbox_uids() -> list[int]:
    if os.geteuid() != 0:
        return [os.getuid()]
    return [slots.UID_BASE + index for index in range(8)]


def _sandbox_processes() -> int:
    """Processes of the sandbox users, the idle warm sandboxes' own left out."""
    count = 0
    for entry in os.scandir("/proc"):
        try:
            if entry.name.isdigit() and entry.stat().st_uid in _sandbox_uids():
                command = Path(entry.path, "cmdline").read_bytes().split(b"\0")
                count += not (command[0].endswith(b"bwrap") or b"/work/zygote.py" in command)
        except OSError:
            continue  # gone since the listing
    return count


@pytest.mark.parametrize(("language", "case"), CASES)
def test_hostile_code_is_contained(language, case):
    runner = RUNNERS[language]
    if not runner.available():
        pytest.skip(f"{runner.command[0]} is not installed")
    before = _sandbox_processes()
    started = time.perf_counter()
    result = runner.run("", HOSTILE[language][case], Limits(wall_seconds=8, cpu_seconds=4))
    assert time.perf_counter() - started < 15
    if case == "orphan_child":
        assert result.passed  # the parent exits at once; its child dies with the sandbox
        deadline = time.monotonic() + 5
        while _sandbox_processes() > before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _sandbox_processes() <= before  # no sleeper outlived the run
    else:
        assert not result.passed and result.reason, (result.status, result.stderr[-300:])
    ok = runner.run("", {"python": "print('fine')", "javascript": "console.log('fine')",
                         "typescript": "console.log('fine')",
                         "rust": "println!(\"fine\");",
                         "java": "System.out.println(\"fine\");"}[language])  # fmt: skip
    assert ok.passed and "fine" in ok.stdout  # the next run goes on


def test_nothing_outside_work_and_tmp_is_writable_or_visible():
    code = (
        "import os\n"
        "print(sorted(os.listdir('/')))\n"
        "open('/tmp/scratch', 'w').write('ok')\n"
        "open('/work/result', 'w').write('ok')\n"
        "print(os.path.exists('/root'), os.path.exists('/etc/passwd'))"
    )
    result = RUNNERS["python"].run(code, "")
    assert result.passed, result.stderr
    listing, visible = result.stdout.splitlines()
    assert "root" not in listing and visible == "False False"


def test_refuses_without_bubblewrap_unless_unsafe(monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    with pytest.raises(UserError, match="--unsafe-no-sandbox"):
        RUNNERS["python"].run("print('x')", "")
    result = RUNNERS["python"].run("print('x')", "", unsafe_no_sandbox=True)
    assert result.passed and result.stdout.strip() == "x"


def test_typescript_types_are_accepted_and_failures_reported():
    if not RUNNERS["typescript"].available():
        pytest.skip("node and npm are needed for TypeScript")
    code = "export function add(a: number, b: number): number {\n  return a - b;\n}"
    result = RUNNERS["typescript"].run(
        code, "if (add(2, 2) !== 4) throw new Error('add is wrong');"
    )
    assert result.status == "failed" and "add is wrong" in result.stderr


def test_output_is_capped_and_failures_explained():
    flood = RUNNERS["python"].run("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)", "")
    assert not flood.passed and len(flood.stdout) <= sandbox.OUTPUT_BYTES + 40
    failing = RUNNERS["python"].run("def add(a, b):\n    return a - b", "assert add(2, 2) == 4")
    assert failing.status == "failed" and failing.reason == "AssertionError"
