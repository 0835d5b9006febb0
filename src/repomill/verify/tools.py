"""The project's own tool directory for npm packages the runners need (tsx for TypeScript):
installed on first use with npm, never globally. As root it lives in /var/cache (the
sandbox runs as `nobody`, who cannot read /root); otherwise in the user's cache. Beside
it, the libraries grounded tests import (see `library_folder`)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import time
from pathlib import Path

from repomill.errors import UserError
from repomill.verify import slots

NPM_PACKAGES = ("tsx@4", "typescript@5")


def tools_dir() -> Path:
    if "REPOMILL_TOOLS" in os.environ:
        return Path(os.environ["REPOMILL_TOOLS"])
    if os.geteuid() == 0:
        return Path("/var/cache/repomill/tools")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "repomill" / "tools"


def library_folder(name: str) -> Path:
    """A folder for a library the sandbox mounts (a repository's code): as root, readable
    by the sandbox slots' group only (their users are not the owner), else the user's.
    Libraries not used for LIBRARY_DAYS are removed."""
    root = tools_dir().parent
    libraries = root / "libraries"
    libraries.mkdir(parents=True, exist_ok=True)
    _prune_libraries(libraries, keep=name)
    folder = libraries / name
    folder.mkdir(exist_ok=True)
    os.utime(folder)  # used now
    if os.geteuid() == 0:
        for directory in (root, libraries):  # a slot must be able to reach it
            os.chmod(directory, 0o755)
        os.chown(folder, 0, slots.SANDBOX_GID)
        os.chmod(folder, 0o750)
    return folder


LIBRARY_DAYS = 7


def _prune_libraries(libraries: Path, keep: str) -> None:
    cutoff = time.time() - LIBRARY_DAYS * 86400
    for folder in libraries.iterdir():
        with contextlib.suppress(OSError):
            if folder.name != keep and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)


def node_tools_mount() -> dict[str, str]:
    """The tool directory as the sandbox sees it: read-only at /tools."""
    return {str(node_tools()): "/tools"}


def node_tools() -> Path:
    """The directory holding node_modules/tsx, installed if missing (once, under a lock)."""
    root = tools_dir() / "node"
    marker = root / "node_modules" / "tsx" / "package.json"
    if marker.exists():
        return root
    npm = shutil.which("npm")
    if npm is None:
        raise UserError("TypeScript needs npm to install tsx into the tool directory")
    root.mkdir(parents=True, exist_ok=True)
    for parent in (root, *root.parents):  # nobody must be able to reach it
        if parent == Path("/") or parent == Path("/var"):
            break
        os.chmod(parent, 0o755)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            done = subprocess.run(
                [npm, "install", "--prefix", str(root), "--no-audit", "--no-fund", "--silent",
                 *NPM_PACKAGES],
                capture_output=True, text=True, stdin=subprocess.DEVNULL,
            )  # fmt: skip
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
                raise UserError(f"npm could not install {' '.join(NPM_PACKAGES)}: {last}")
    return root
