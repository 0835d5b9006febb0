"""The Ray executor (`--executor ray`): the same stages on a Ray cluster, or on a Ray
instance it starts on this machine when no address is given. Ray is an optional extra
(`pip install 'repomill[ray]'`), imported only here.

Each worker is an actor that keeps the stages it has unpickled, so a stage's per-process
state (its `process_local` fields: parsers, parsed-blob caches) is built once per worker,
not once per shard. A shard whose worker dies (killed, out of memory, its node gone) runs
again on the restarted worker, up to MAX_ATTEMPTS times in all; then the build stops with
a one-line error. Results go back to the runner, which caches and orders them: the output's
bytes do not depend on the executor.

Workers read the repository at the path the stage names where their node has it (storage
every node mounts at the same place), else their own clone of the source's git URL
(`sources/clones.py`). The shard cache and the output are written by the driver, to a
folder or a URL (`engine/storage.py`)."""

from __future__ import annotations

import logging
import os
import socket
from collections import OrderedDict, deque
from collections.abc import Iterator
from typing import Any

from repomill.engine.stage import ShardResult, Stage
from repomill.errors import UserError

CONNECT_SECONDS = 5  # to reach a cluster's address: Ray itself retries for minutes
MAX_ATTEMPTS = 3  # runs of one shard whose worker died, before the build gives up
KEPT_STAGES = 4  # unpickled stages a worker keeps (a run interleaves at most a few)
INSTALL_HINT = "pip install 'repomill[ray]'"


def _ray():
    try:
        import ray
    except ImportError:
        raise UserError(f"--executor ray needs Ray: {INSTALL_HINT}") from None
    return ray


def _check_reachable(address: str | None) -> None:
    """A one-line error, in seconds, where nothing listens at a `host:port` address (with or
    without `ray://`); None and `auto` (the cluster this machine is part of) are Ray's."""
    if address is None or address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise UserError(f"--ray-address {address}: expected auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        raise UserError(f"--ray-address {address}: nothing answers there ({exc})") from None


def connect(workers: int | None, address: str | None) -> bool:
    """Joins the cluster at `address`, or starts Ray here with `workers` CPUs; False (and
    nothing done) when this process is connected already."""
    ray = _ray()
    if ray.is_initialized():
        return False
    _check_reachable(address)
    local = {"num_cpus": workers} if address is None else {}
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.ERROR, **local)  # fmt: skip
    except (ConnectionError, ValueError, RuntimeError) as exc:
        first = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        where = address or "a Ray instance on this machine"
        raise UserError(f"--executor ray: cannot reach {where} ({first})") from None
    return True


class _Worker:
    """One Ray actor: runs shards of any stage, keeping the last stages it unpickled."""

    def __init__(self) -> None:
        self._stages: OrderedDict[str, Stage] = OrderedDict()

    def pid(self) -> int:
        return os.getpid()

    def process(self, held: list[Any], items: list[Any]) -> ShardResult:
        # `held` wraps the stage's object ref in a list so that Ray passes the ref itself,
        # not the stage: a worker fetches and unpickles each stage once.
        (ref,) = held
        key = ref.hex()
        stage = self._stages.get(key)
        if stage is None:
            stage = self._stages[key] = _ray().get(ref)
            while len(self._stages) > KEPT_STAGES:
                self._stages.popitem(last=False)
        self._stages.move_to_end(key)
        return stage.process(items)


class RayExecutor:
    """`workers` actors (None: one per CPU of the cluster), each using one CPU."""

    distributed = True

    def __init__(self, workers: int | None, address: str | None):
        ray = _ray()
        self._owns_ray = connect(workers, address)
        self.workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        actor = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=0)(_Worker)
        self._actors = [actor.remote() for _ in range(self.workers)]
        errors = ray.exceptions
        self._lost = (errors.RayActorError, errors.ActorUnavailableError,
                      errors.WorkerCrashedError, errors.ObjectLostError)  # fmt: skip

    def map(self, stage: Stage, shards: list[list[Any]]) -> Iterator[tuple[int, ShardResult]]:
        ray = _ray()
        held = [ray.put(stage)]
        attempts = [0] * len(shards)
        load = [0] * len(self._actors)  # shards in flight per actor
        pending: dict[Any, tuple[int, int]] = {}  # result ref -> (shard, actor)
        queue = deque(range(len(shards)))
        while queue or pending:
            while queue and len(pending) < 2 * len(self._actors):
                index = queue.popleft()
                actor = load.index(min(load))
                load[actor] += 1
                attempts[index] += 1
                pending[self._actors[actor].process.remote(held, shards[index])] = (index, actor)
            (ref,), _ = ray.wait(list(pending), num_returns=1)
            index, actor = pending.pop(ref)
            load[actor] -= 1
            try:
                result = ray.get(ref)
            except self._lost as exc:
                if attempts[index] >= MAX_ATTEMPTS:
                    raise UserError(
                        f"stage {stage.name}: the worker running one of its shards "
                        f"died {MAX_ATTEMPTS} times ({type(exc).__name__})"
                    ) from None
                queue.appendleft(index)  # its actor restarts; the shard runs again
                continue
            yield index, result

    def worker_pids(self) -> list[int]:
        """The process ids of the workers now (each actor's, after any restart)."""
        ray = _ray()
        return ray.get([actor.pid.remote() for actor in self._actors])

    def close(self) -> None:
        ray = _ray()
        for actor in self._actors:
            ray.kill(actor)
        self._actors = []
        if self._owns_ray:
            ray.shutdown()
