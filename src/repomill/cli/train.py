"""`repomill train DATASET --out DIR`: a LoRA adapter on a repomill dataset; its options
are generated from the `[train]` settings, one flag per field."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any

import typer

from repomill.cli.common import (
    ConfigOpt,
    QuietOpt,
    console,
    field_option,
    keyword_params,
    opt,
    output_dir,
    user_errors,
    validated,
)
from repomill.config import load_config
from repomill.errors import UserError
from repomill.train.settings import TrainConfig

DatasetArg = Annotated[Path, typer.Argument(help="a `repomill build` output directory")]
SHARED: dict[str, Any] = {
    "out": opt(Path, "where the adapter, log and loss curve go"),
    "model": opt(str | None, "base model: HF id or path (default: the embedded SmolLM2)"),
    "config": ConfigOpt,
    "quiet": QuietOpt,
}


def train_command():
    own = {name: field_option(name, info) for name, info in TrainConfig.model_fields.items()}

    @user_errors
    def train(dataset: Path, **flags: Any) -> None:
        """Train a LoRA adapter on DATASET's train split (loss on completions only)."""
        from repomill.llm.embedded import DEFAULT_MODEL
        from repomill.train.run import train as run_training

        if not dataset.is_dir():
            raise UserError(f"{dataset}: no such directory")
        settings = validated(load_config(flags["config"]).train,
                             {name: flags[name] for name in own})  # fmt: skip
        out = output_dir(flags["out"])
        show = None if flags["quiet"] else console.print
        log = run_training(dataset, flags["model"] or DEFAULT_MODEL, settings, out, show)
        if not flags["quiet"]:
            measured = (log["eval_loss_before"], log["eval_loss_after"])
            losses = " → ".join(f"{x:.3f}" for x in measured if x is not None) or "none"
            console.print(f"train → {out}: {log['steps']} steps, {log['train_rows']} rows "
                          f"({log['rows_too_long']} too long), validation loss {losses}, "
                          f"{log['tokens_per_second']} tokens/s")  # fmt: skip

    params = [inspect.Parameter("dataset", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=DatasetArg)]  # fmt: skip
    params += keyword_params({**SHARED, **own}, {"quiet": False, "out": ...})
    train.__signature__ = inspect.Signature(params)
    return train
