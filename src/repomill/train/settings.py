"""Settings of `repomill train` (`[train]` in the config)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rank: int = Field(16, ge=1, description="LoRA rank")
    alpha: int = Field(32, ge=1, description="LoRA alpha")
    dropout: float = Field(0.05, ge=0, lt=1, description="LoRA dropout")
    target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"],
        description="modules that get adapters",
    )
    learning_rate: float = Field(2e-4, gt=0, description="peak learning rate")
    epochs: float = Field(1.0, gt=0, description="passes over the train split")
    max_steps: int | None = Field(None, ge=1, description="stop after this many steps")
    batch_size: int = Field(4, ge=1, description="rows per step")
    eval_steps: int = Field(20, ge=1, description="validation loss every N steps")
    validation_rows: int | None = Field(
        None, ge=1, description="validation rows the loss is measured on (default all)"
    )
    max_length: int = Field(4096, ge=64, description="longest row trained on, in tokens")
    seed: int = Field(0, description="of the data order and the adapter's init")
