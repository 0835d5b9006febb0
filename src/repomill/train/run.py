"""`train`: a LoRA adapter on a dataset's train split, the loss on completion tokens only,
the validation loss measured before training and every `eval_steps`. Writes OUT/adapter
(peft), OUT/train_log.json (settings, counts, every logged loss, tokens/s) and
OUT/loss.png. CPU in float32 by default; a GPU, when there is one, in bfloat16."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from repomill.errors import UserError
from repomill.export.read import read_dataset
from repomill.llm.embedded import load_for_training
from repomill.train.data import Examples, collate, tokenized
from repomill.train.plot import loss_curve
from repomill.train.progress import progress_callback
from repomill.train.settings import TrainConfig

INSTALL_HINT = "pip install -e '.[embedded,train]'"


def train(dataset: Path, model_name: str, config: TrainConfig, out: Path,
          show: Callable[[str], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """`show`, if given, gets a line per logged step."""
    splits = read_dataset(dataset)
    if not splits.get("train"):
        raise UserError(f"{dataset}: no train split (not a repomill dataset, or empty)")
    try:
        from peft import LoraConfig, get_peft_model
        from transformers import PrinterCallback, Trainer, set_seed
    except ImportError:
        raise UserError(f"training needs the 'train' extra: {INSTALL_HINT}") from None
    tokenizer, base = load_for_training(model_name)
    train_rows = tokenized(splits["train"], tokenizer, config.max_length)
    validation = splits.get("validation", [])[: config.validation_rows]  # the oldest first
    eval_rows = tokenized(validation, tokenizer, config.max_length)
    if not train_rows.rows:
        why = f"{train_rows.too_long} longer, {train_rows.unusable} unusable"
        raise UserError(f"{dataset}: no train row fits --max-length {config.max_length} ({why})")
    lora = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                      target_modules=config.target_modules, task_type="CAUSAL_LM")  # fmt: skip
    set_seed(config.seed)  # the adapter's initial weights too, not only the data order
    network = get_peft_model(base, lora)
    trainer = Trainer(model=network, args=_arguments(config, out, bool(eval_rows.rows)),
                      train_dataset=train_rows.rows, eval_dataset=eval_rows.rows or None,
                      data_collator=collate(tokenizer.pad_token_id))  # fmt: skip
    trainer.remove_callback(PrinterCallback)  # prints each log as a dict
    if show is not None:
        trainer.add_callback(progress_callback(show))
    before = trainer.evaluate()["eval_loss"] if eval_rows.rows else None
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    after = trainer.evaluate()["eval_loss"] if eval_rows.rows else None
    network.save_pretrained(out / "adapter")
    tokenizer.save_pretrained(out / "adapter")
    log = _log(config, model_name, dataset, train_rows, eval_rows, trainer, seconds, before, after)
    (out / "train_log.json").write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")
    loss_curve(log["history"], out / "loss.png")
    return log


def _arguments(config: TrainConfig, out: Path, validate: bool):
    import torch
    from transformers import TrainingArguments

    gpu = torch.cuda.is_available()
    return TrainingArguments(
        output_dir=str(out / ".checkpoints"), per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size, learning_rate=config.learning_rate,
        num_train_epochs=config.epochs, max_steps=config.max_steps or -1,
        eval_strategy="steps" if validate else "no", eval_steps=config.eval_steps,
        logging_steps=max(1, config.eval_steps // 4), save_strategy="no", report_to=[],
        use_cpu=not gpu, bf16=gpu, seed=config.seed, remove_unused_columns=False,
        dataloader_num_workers=0, disable_tqdm=True,
    )  # fmt: skip


def _log(config, model_name, dataset, train_rows: Examples, eval_rows: Examples, trainer,
         seconds: float, before: float | None, after: float | None) -> dict[str, Any]:  # fmt: skip
    steps = trainer.state.global_step
    tokens = sum(len(r["input_ids"]) for r in train_rows.rows) * (
        steps * config.batch_size / max(1, len(train_rows.rows))
    )  # rows seen, as a share
    return {
        "model": model_name, "dataset": str(dataset), "settings": config.model_dump(),
        "train_rows": len(train_rows.rows), "validation_rows": len(eval_rows.rows),
        "rows_too_long": train_rows.too_long + eval_rows.too_long,
        "rows_unusable": train_rows.unusable + eval_rows.unusable,
        "longest_row_tokens": max(train_rows.longest, eval_rows.longest),
        "steps": steps, "seconds": round(seconds, 2),
        "tokens_per_second": round(tokens / seconds, 1) if seconds else 0.0,
        "eval_loss_before": before, "eval_loss_after": after,
        "history": [h for h in trainer.state.log_history if "loss" in h or "eval_loss" in h],
    }  # fmt: skip
