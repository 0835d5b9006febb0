"""What trainers need beside the data: the bytes of each split for the card's YAML, the
LLaMA-Factory `dataset_info.json`, and the card's usage section (datasets, TRL with
completion-only loss on the `prompt` / `completion` columns, axolotl's chat_template)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from repomill.export.read import split_files


def split_bytes(out: Path) -> dict[str, int]:
    """Bytes of each written split: Parquet's uncompressed size, a JSONL file's size."""
    sizes: dict[str, int] = {}
    for split, paths in split_files(out).items():
        sizes[split] = sum(
            sum(pq.ParquetFile(p).metadata.row_group(i).total_byte_size
                for i in range(pq.ParquetFile(p).metadata.num_row_groups))
            if p.suffix == ".parquet" else p.stat().st_size
            for p in paths
        )  # fmt: skip
    return sizes


def write_dataset_info(out: Path, name: str) -> Path:
    """DATASET/dataset_info.json: each split as a LLaMA-Factory dataset in its sharegpt
    format with OpenAI-style messages (`role` / `content`)."""
    tags = {"role_tag": "role", "content_tag": "content", "user_tag": "user",
            "assistant_tag": "assistant", "system_tag": "system"}  # fmt: skip
    info = {}
    for split, paths in split_files(out).items():
        for path in paths:
            key = f"{name}_{split}" if len(paths) == 1 else f"{name}_{path.stem}"
            info[key] = {"file_name": str(path.relative_to(out)), "formatting": "sharegpt",
                         "columns": {"messages": "messages"}, "tags": tags}  # fmt: skip
    path = out / "dataset_info.json"
    path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return path


def usage(fmt: str, tokenizer: str, budget: int, longest: int, longest_prompt: int) -> str:
    """The card's "Use" section: code that reads and trains on the dataset as written."""
    builder = "json" if fmt == "jsonl" else fmt
    return f"""Token counts (`prompt_tokens`, `completion_tokens`, `num_tokens`) use the
`{tokenizer}` tokenizer. Token budget: no row has more than {budget} tokens, prompt and
completion (rows over it were left out, never cut). The longest row has {longest} tokens
(the longest prompt alone {longest_prompt}): a `max_length` of at least {longest} cuts
nothing with that tokenizer.
Another model's tokenizer counts differently: build with `--tokenizer` set to the model
you train, so these numbers are its own.

```python
from datasets import load_dataset

dataset = load_dataset("{builder}", data_dir="data")  # or load_dataset("this/folder")
```

TRL, loss on the completion only (`prompt` and `completion` are conversational):

```python
from trl import SFTConfig, SFTTrainer

train = dataset["train"].select_columns(["prompt", "completion"])
trainer = SFTTrainer(model="your/model", train_dataset=train,
                     args=SFTConfig(max_length={longest}, completion_only_loss=True))
```

axolotl:

```yaml
datasets:
  - path: path/to/this/folder
    type: chat_template
    field_messages: messages
```

LLaMA-Factory: `dataset_info.json` beside this card names each split (sharegpt format,
`role` / `content` messages); set `dataset_dir` to this folder."""
