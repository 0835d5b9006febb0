"""A dataset's rows as training examples for one model: its chat template applied to the
prompt (with the assistant's turn opened) and to the whole conversation; labels are -100
over the prompt, so the loss is on the completion's tokens only. A row longer than the
length bound is left out and counted, never cut (a cut row would train on part of an
answer, or on none of it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

IGNORE = -100  # the label the loss skips


@dataclass
class Examples:
    rows: list[dict[str, list[int]]] = field(default_factory=list)  # input_ids, labels
    too_long: int = 0  # rows left out: longer than max_length with this tokenizer
    unusable: int = 0  # rows without a prompt and an assistant completion
    completion_tokens: int = 0

    @property
    def longest(self) -> int:
        return max((len(r["input_ids"]) for r in self.rows), default=0)


def conversation(row: dict[str, Any]) -> tuple[list[dict], list[dict]] | None:
    """(prompt, completion) of a row: its own columns, else `messages` split before the
    last turn (datasets written before those columns existed)."""
    prompt, completion = row.get("prompt"), row.get("completion")
    if prompt is None or completion is None:
        messages = row.get("messages") or []
        prompt, completion = messages[:-1], messages[-1:]
    if not prompt or [m["role"] for m in completion] != ["assistant"]:
        return None
    return prompt, completion


def tokenized(rows: list[dict[str, Any]], tokenizer, max_length: int) -> Examples:
    found = Examples()
    for row in rows:
        parts = conversation(row)
        if parts is None:
            found.unusable += 1
            continue
        prompt_ids, full_ids = _encode(tokenizer, *parts)
        if len(full_ids) > max_length:
            found.too_long += 1
            continue
        labels = [IGNORE] * len(prompt_ids) + full_ids[len(prompt_ids) :]
        found.rows.append({"input_ids": full_ids, "labels": labels})
        found.completion_tokens += len(full_ids) - len(prompt_ids)
    return found


def _encode(tokenizer, prompt: list[dict], completion: list[dict]) -> tuple[list[int], list[int]]:
    """Token ids of the prompt (generation prompt included) and of the whole chat. When
    the template does not render the prompt as a prefix of the chat, the completion is
    appended to the prompt as plain text and an end-of-sequence token."""
    encode = lambda text: tokenizer(text, add_special_tokens=False)["input_ids"]  # noqa: E731
    prompt_ids = encode(tokenizer.apply_chat_template(prompt, tokenize=False,
                                                      add_generation_prompt=True))  # fmt: skip
    full_ids = encode(tokenizer.apply_chat_template(prompt + completion, tokenize=False))
    if full_ids[: len(prompt_ids)] != prompt_ids:
        full_ids = prompt_ids + encode(completion[0]["content"]) + [tokenizer.eos_token_id]
    return prompt_ids, full_ids


def collate(pad_id: int):
    """Pads a batch on the right: input_ids with `pad_id`, labels with IGNORE."""
    import torch

    def pad(batch: list[dict[str, list[int]]]) -> dict[str, Any]:
        width = max(len(r["input_ids"]) for r in batch)
        ids = [r["input_ids"] + [pad_id] * (width - len(r["input_ids"])) for r in batch]
        labels = [r["labels"] + [IGNORE] * (width - len(r["labels"])) for r in batch]
        mask = [[1] * len(r["input_ids"]) + [0] * (width - len(r["input_ids"])) for r in batch]
        return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels),
                "attention_mask": torch.tensor(mask)}  # fmt: skip

    return pad
