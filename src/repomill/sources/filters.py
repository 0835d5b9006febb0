"""Which files are not source code worth indexing, and why. Each check returns a reason
string (counted in the manifest) or None. Path checks run before any content is read."""

from __future__ import annotations

from pathlib import PurePosixPath

from repomill.sources.headers import HEADER_WINDOW, marked_generated

VENDORED_DIRS = frozenset(
    {
        "node_modules", "bower_components", "jspm_packages", "vendor", "vendors",
        "third_party", "third-party", "thirdparty", "3rdparty", "external", "site-packages",
        ".venv", "venv", "__pycache__", ".git", "Pods", "Carthage", ".yarn", ".pnpm-store",
    }
)  # fmt: skip

LOCK_FILES = frozenset(
    {
        "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb",
        "Cargo.lock", "poetry.lock", "Pipfile.lock", "uv.lock", "pdm.lock", "go.sum",
        "composer.lock", "Gemfile.lock", "gradle.lockfile", "flake.lock",
    }
)  # fmt: skip

GENERATED_SUFFIXES = (
    ".min.js", ".min.css", ".min.mjs", "_pb2.py", "_pb2_grpc.py", ".pb.go", ".pb.cc", ".pb.h",
    ".g.dart", ".generated.ts", ".generated.js", ".d.ts.map", ".js.map", ".css.map",
)  # fmt: skip

BINARY_SUFFIXES = frozenset(
    {
        ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".pdf", ".zip", ".gz", ".tgz",
        ".bz2", ".xz", ".zst", ".7z", ".rar", ".jar", ".war", ".class", ".so", ".dylib", ".dll",
        ".exe", ".o", ".a", ".wasm", ".pyc", ".whl", ".woff", ".woff2", ".ttf", ".otf", ".mp3",
        ".mp4", ".mov", ".avi", ".wav", ".ogg", ".sqlite", ".db", ".parquet", ".npy", ".pt",
        ".bin", ".onnx", ".gguf", ".safetensors",
    }
)  # fmt: skip

MINIFIED_MEAN_LINE = 300  # a hand-written file averages well under 100 bytes a line
BINARY_WINDOW = 8192


def path_skip_reason(
    path: str, size: int | None = None, max_bytes: int | None = None
) -> str | None:
    """Reasons that need only the path and size (without a size: the path alone)."""
    parts = PurePosixPath(path).parts
    if any(part in VENDORED_DIRS for part in parts[:-1]):
        return "vendored"
    name = parts[-1]
    lower = name.lower()
    if name in LOCK_FILES:
        return "lock_file"
    if lower.endswith(GENERATED_SUFFIXES):
        return "generated"
    if PurePosixPath(lower).suffix in BINARY_SUFFIXES:
        return "binary"
    if size is None:
        return None
    if max_bytes is not None and size > max_bytes:
        return "too_large"
    if size == 0:
        return "empty"
    return None


def content_skip_reason(data: bytes, path: str | None = None) -> str | None:
    """Reasons that need the bytes: binary content, a generator's mark in the leading
    comment block (in the comment syntax of `path`'s language; any common one without a
    path), minified code, text that is not UTF-8 (kept out rather than decoded lossily,
    since chunks must be verbatim slices)."""
    if b"\0" in data[:BINARY_WINDOW]:
        return "binary"
    if marked_generated(data[:HEADER_WINDOW].decode("utf-8", errors="replace"), path):
        return "generated"
    lines = data.count(b"\n") + 1
    if len(data) / lines > MINIFIED_MEAN_LINE:
        return "minified"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_utf8"
    return None


def blob_skip_reason(path: str, data: bytes, max_bytes: int) -> str | None:
    """Every reason a file with this path and content is not indexed."""
    return path_skip_reason(path, len(data), max_bytes) or content_skip_reason(data, path)
