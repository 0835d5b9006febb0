"""`repomill train` against plain TRL on the same data and settings, on the CPU; prints one
JSON line.

    python benchmarks/train.py (DATASET | --repo REPO) [--steps 10] [--batch-size 2]
        [--max-length 2048] [--threads N] [--first trl]

DATASET is a repomill dataset directory; `--repo` builds one first (the commit recipe,
its newest `--max-commits`, into a temporary directory). Both trainers get the same rows:
the train split's rows that fit `--max-length` with the model's tokenizer (repomill leaves
the longer ones out; TRL would cut them, so it is handed only those that fit, in the same
order). Same model (the embedded SmolLM2-135M, loaded by `load_for_training`), fp32, same
LoRA rank/alpha/dropout/targets, learning rate, batch size, steps, seed; no validation
split (so no evaluation inside the timed part), no gradient checkpointing (TRL's default
is on, repomill has none), no bf16 (TRL's default on a CPU).

Each trainer runs in a child process of its own, one after the other (`--first` chooses
which), with `--threads` torch threads (OMP_NUM_THREADS too): its peak RSS is its own
(whole process, load included; and sampled during training alone), and neither warms the
other. Tokens are counted the same way in both, at the model's forward in training mode:
`tokens` = non-padding input tokens (prompt + completion), `completion_tokens` = positions
with a label (the loss's), `padded_tokens` = every position fed, padding included. Seconds
are those of `Trainer.train()` alone: model load and tokenization are outside, and the
load is reported apart; `tokens_per_s_after_first_step` leaves out the first step's warm-up.
`tokens_per_cpu_s` divides by the process's CPU seconds in `train()` instead: on a machine
shared with other work (`load_average_1min`, before and after) it is the steadier figure,
since the trainers run one after the other and the load can change between them.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TRAINERS = ("repomill", "trl")


class Meter:
    """What one child measures: batches seen at the forward, `Trainer.train()`'s span,
    and the RSS sampled every 0.1 s while it runs."""

    def __init__(self) -> None:
        self.batches: list[tuple[float, int, int, int]] = []  # at, tokens, completion, padded
        self.started = self.ended = 0.0
        self.cpu_seconds = 0.0  # of this process, all its threads, during train()
        self.load_average: list[float] = []  # the machine's 1-min load, before and after
        self.load_seconds = 0.0
        self.train_peak_rss = 0
        self._stop = threading.Event()

    def count(self, module, args, kwargs) -> None:
        import torch

        if not (module.training and torch.is_grad_enabled()):
            return
        ids, mask = kwargs.get("input_ids"), kwargs.get("attention_mask")
        labels = kwargs.get("labels")
        tokens = int(mask.sum()) if mask is not None else ids.numel()
        completion = int((labels != -100).sum()) if labels is not None else 0
        self.batches.append((time.perf_counter(), tokens, completion, ids.numel()))

    def load(self, loader):
        """`loader` timed, with the forward hook on the model it returns."""

        @functools.wraps(loader)
        def load(model: str):
            started = time.perf_counter()
            tokenizer, network = loader(model)
            self.load_seconds = time.perf_counter() - started
            network.register_forward_pre_hook(self.count, with_kwargs=True)
            return tokenizer, network

        return load

    def timing(self, train):
        """`Trainer.train` timed, the RSS sampled while it runs."""

        @functools.wraps(train)
        def timed(trainer, *args, **kwargs):
            sampler = threading.Thread(target=self._sample, daemon=True)
            sampler.start()
            self.load_average.append(os.getloadavg()[0])
            cpu, self.started = time.process_time(), time.perf_counter()
            try:
                return train(trainer, *args, **kwargs)
            finally:
                self.ended = time.perf_counter()
                self.cpu_seconds = time.process_time() - cpu
                self.load_average.append(os.getloadavg()[0])
                self._stop.set()
                sampler.join()

        return timed

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while True:
            self.train_peak_rss = max(self.train_peak_rss, me.memory_info().rss)
            if self._stop.wait(0.1):
                return

    def report(self, losses: list[float]) -> dict:
        import torch

        seconds = self.ended - self.started
        tokens = sum(b[1] for b in self.batches)
        later = self.ended - self.batches[1][0] if len(self.batches) > 1 else 0.0
        return {
            "steps": len(self.batches),
            "tokens": tokens,
            "completion_tokens": sum(b[2] for b in self.batches),
            "padded_tokens": sum(b[3] for b in self.batches),
            "seconds": round(seconds, 2),
            "tokens_per_s": round(tokens / seconds, 1),
            "completion_tokens_per_s": round(sum(b[2] for b in self.batches) / seconds, 1),
            "cpu_seconds": round(self.cpu_seconds, 2),
            "tokens_per_cpu_s": round(tokens / self.cpu_seconds, 1),
            "tokens_per_s_after_first_step": round((tokens - self.batches[0][1]) / later, 1)
            if later
            else None,
            "first_step_seconds": round(self.batches[1][0] - self.batches[0][0], 2)
            if len(self.batches) > 1
            else None,
            "load_seconds": round(self.load_seconds, 2),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "train_peak_rss_mib": round(self.train_peak_rss / 2**20, 1),
            "final_train_loss": round(losses[-1], 4) if losses else None,
            "mean_train_loss": round(sum(losses) / len(losses), 4) if losses else None,
            "torch_threads": torch.get_num_threads(),
            "torch_interop_threads": torch.get_num_interop_threads(),
            "load_average_1min": self.load_average,
        }


def config(args):
    from repomill.train.settings import TrainConfig

    # eval_steps 4: repomill logs the loss every eval_steps // 4 = 1 step (no validation split)
    return TrainConfig(max_steps=args.steps, batch_size=args.batch_size,
                       max_length=args.max_length, eval_steps=4, seed=args.seed)  # fmt: skip


def run_repomill(args, meter: Meter) -> dict:
    from transformers import Trainer

    import repomill.train.run as run
    from repomill.llm.embedded import DEFAULT_MODEL

    run.load_for_training = meter.load(run.load_for_training)
    Trainer.train = meter.timing(Trainer.train)
    with tempfile.TemporaryDirectory() as out:
        log = run.train(Path(args.data), DEFAULT_MODEL, config(args), Path(out))
    return {**meter.report([h["loss"] for h in log["history"] if "loss" in h]),
            "rows": log["train_rows"], "rows_too_long": log["rows_too_long"]}  # fmt: skip


def run_trl(args, meter: Meter) -> dict:
    import datasets
    import trl
    from peft import LoraConfig
    from transformers import Trainer

    from repomill.export.read import read_dataset
    from repomill.llm.embedded import DEFAULT_MODEL, load_for_training
    from repomill.train.data import conversation, tokenized

    settings = config(args)
    tokenizer, model = meter.load(load_for_training)(DEFAULT_MODEL)
    rows = read_dataset(Path(args.data))["train"]
    # the rows repomill trains on, in its order: those that fit max_length
    kept = [row for row in rows if not tokenized([row], tokenizer, settings.max_length).too_long]
    pairs = [dict(zip(("prompt", "completion"), conversation(row), strict=True)) for row in kept]
    lora = LoraConfig(r=settings.rank, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                      target_modules=settings.target_modules, task_type="CAUSAL_LM")  # fmt: skip
    Trainer.train = meter.timing(Trainer.train)
    with tempfile.TemporaryDirectory() as out:
        sft = trl.SFTConfig(
            output_dir=out, max_steps=settings.max_steps,
            per_device_train_batch_size=settings.batch_size,
            learning_rate=settings.learning_rate, max_length=settings.max_length,
            completion_only_loss=True, bf16=False, gradient_checkpointing=False,
            logging_steps=1, save_strategy="no", report_to=[], use_cpu=True,
            seed=settings.seed, dataloader_num_workers=0, disable_tqdm=True,
        )  # fmt: skip
        trainer = trl.SFTTrainer(model=model, args=sft, processing_class=tokenizer,
                                 train_dataset=datasets.Dataset.from_list(pairs),
                                 peft_config=lora)  # fmt: skip
        trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return {**meter.report(losses), "rows": len(pairs), "rows_too_long": len(rows) - len(pairs)}


def child(args) -> None:
    import torch

    torch.set_num_threads(args.threads)
    meter = Meter()
    found = (run_repomill if args.child == "repomill" else run_trl)(args, meter)
    print(json.dumps(found))


def train_only(dataset: Path, into: Path) -> int:
    """A copy of `dataset` with its train split alone, as prompt/completion columns (from
    `messages` where the dataset predates them): no validation, so no evaluation."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from repomill.export.read import read_dataset
    from repomill.train.data import conversation

    rows = read_dataset(dataset).get("train") or []
    if not rows:
        sys.exit(f"{dataset}: no train split")
    pairs = [(row["id"], *parts) for row in rows if (parts := conversation(row))]
    table = pa.Table.from_pylist([{"id": i, "prompt": p, "completion": c} for i, p, c in pairs])
    (into / "data").mkdir(parents=True)
    pq.write_table(table, into / "data" / "train-00000-of-00001.parquet")
    return len(pairs)


def build(repo: str, out: Path, max_commits: int) -> None:
    from repomill.code.settings import IndexConfig
    from repomill.curate.settings import CurateConfig
    from repomill.recipes.commits.settings import CommitsConfig
    from repomill.recipes.registry import RECIPES
    from repomill.recipes.run import run_recipe
    from repomill.sources import open_source

    run_recipe(RECIPES["commits"], open_source(repo), CommitsConfig(max_commits=max_commits),
               IndexConfig(), CurateConfig(), None, out, show_progress=False)  # fmt: skip


RATIOS = ("tokens_per_s", "tokens_per_s_after_first_step", "tokens_per_cpu_s",
          "train_peak_rss_mib")  # fmt: skip


def ratio(found: dict, key: str) -> float | None:
    """repomill's over TRL's."""
    mine, theirs = found["repomill"][key], found["trl"][key]
    return round(mine / theirs, 3) if mine and theirs else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", nargs="?", help="a repomill dataset directory")
    parser.add_argument("--repo", help="build the dataset from this repository first")
    parser.add_argument("--max-commits", type=int, default=300, help="with --repo")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=2048)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--first", choices=TRAINERS, default="repomill")
    parser.add_argument("--child", choices=TRAINERS, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if (args.dataset is None) == (args.repo is None):
        parser.error("give a DATASET or --repo, one of them")
    order = [args.first] + [t for t in TRAINERS if t != args.first]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads),
           "MKL_NUM_THREADS": str(args.threads), "TOKENIZERS_PARALLELISM": "false"}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        dataset = Path(args.dataset) if args.dataset else Path(tmp) / "built"
        if args.repo:
            started = time.perf_counter()
            build(args.repo, dataset, args.max_commits)
            build_seconds = round(time.perf_counter() - started, 2)
        rows = train_only(dataset, Path(tmp) / "train-only")
        found = {}
        for name in order:
            command = [sys.executable, __file__, "--child", name, "--data",
                       str(Path(tmp) / "train-only"), "--steps", str(args.steps),
                       "--batch-size", str(args.batch_size), "--max-length",
                       str(args.max_length), "--seed", str(args.seed),
                       "--threads", str(args.threads)]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, env=env)
            if done.returncode:
                sys.exit(f"{name} failed:\n{done.stderr[-4000:]}")
            found[name] = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps({
        "benchmark": "train",
        "dataset": args.dataset or args.repo,
        **({"build_seconds": build_seconds} if args.repo else {}),
        "train_split_rows": rows,
        "settings": {**config(args).model_dump(exclude={"epochs", "eval_steps"}),
                     "dtype": "float32", "threads": args.threads,
                     "gradient_checkpointing": False, "order": order},
        **found,
        **{f"ratio_{key}": ratio(found, key) for key in RATIOS},
    }))  # fmt: skip


if __name__ == "__main__":
    main()
