"""Warnings that transformers and peft raise from their own internals (deprecations of
what they call themselves, a base model loaded from a GGUF having no config file): they
say nothing a repomill user can act on, so the backends that load models hide them."""

from __future__ import annotations

import warnings

# (category, message regex)
LIBRARY_NOISE = [
    (FutureWarning, r".*is deprecated and will be removed"),
    (UserWarning, r"Could not find a config file in"),
    # int8 (torch.ao dynamic quantization): deprecated, still working in the pinned torch
    (DeprecationWarning, r"(?s).*torch\.ao\.quantization"),
    (UserWarning, r".*quantized tensor creation functions"),
]


def silence_library_noise() -> None:
    for category, message in LIBRARY_NOISE:
        warnings.filterwarnings("ignore", message=message, category=category)
