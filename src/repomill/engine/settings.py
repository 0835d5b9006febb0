"""Settings of the engine (`[engine]` in the config): where stages run. They never change
the output: a build gives the same bytes on every executor."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class EngineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    executor: Literal["local", "ray"] = Field("local", description="local | ray")
    ray_address: str | None = Field(
        None, description="Ray cluster (auto, ray://host:10001); none: start Ray on this machine"
    )
    shard_cache: str | None = Field(
        None,
        description="where finished shards are kept: a folder or a URL (s3://…, any "
        "fsspec file system); default OUT/.cache",
    )
