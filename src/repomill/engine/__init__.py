"""The engine: stages, shards, the content-addressed shard cache, executors and the runner."""

from repomill.engine.executors import Executor, make_executor
from repomill.engine.manifest import Manifest
from repomill.engine.runner import StageRun, run_stage
from repomill.engine.stage import ShardResult, Stage

__all__ = ["Executor", "Manifest", "ShardResult", "Stage", "StageRun", "make_executor", "run_stage"]
