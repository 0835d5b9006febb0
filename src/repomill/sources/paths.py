"""Whether a path read from a git tree is safe to pass on. Git's own checks keep such
entries out of normal trees, but a crafted object database can hold any bytes: an entry
named `/abs.py`, `../up.py` or `a/../../b.py` must never become a path in the output,
nor reach libgit2 calls that assert on it."""

from __future__ import annotations

import re

UNSAFE_PATH = "unsafe_path"  # the skip reason of every such entry

# Backslashes too: a consumer on Windows would read `..\x` as a way up.
_SEPARATORS = re.compile(r"[/\\]")


def is_safe_path(path: str) -> bool:
    """A relative path of named parts: not absolute, no empty, `.` or `..` part, no NUL."""
    if not path or "\0" in path:
        return False
    return all(part not in ("", ".", "..") for part in _SEPARATORS.split(path))
