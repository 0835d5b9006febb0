"""What every command shares: one-line errors (exit 2, no traceback), the output
directory's lock, flags validated like the config file, and the common option types."""

from __future__ import annotations

import errno
import functools
import inspect
import os
import sys
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from pydantic.fields import FieldInfo
from rich.console import Console

from repomill.code.settings import IndexConfig
from repomill.engine.out_lock import OutputLock
from repomill.errors import UserError

console = Console(stderr=True)

RepoArg = Annotated[Path, typer.Argument(help="repository or directory to read")]
OptionalRepoArg = Annotated[  # str: a Path would fold a URL's "//"
    str | None, typer.Argument(help="repository, directory or git URL (or --repos FILE)")
]
RevOpt = Annotated[str | None, typer.Option(help="git revision (default HEAD)")]
WorkersOpt = Annotated[int | None, typer.Option(help="worker processes (default: cores)")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML config file")]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="no progress or summary")]

_locks: list[OutputLock] = []  # output directories the running command holds
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def user_errors(command):
    """Turn a UserError, or a full disk, into one line on stderr and exit code 2 (no
    traceback); release the command's output directory however it ends."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except UserError as exc:
            fail(str(exc))
        except OSError as exc:
            if exc.errno not in _DISK_FULL:
                raise
            # pyarrow's write errors carry no file name: name the output directory then
            where = exc.filename or (_locks[-1].out if _locks else None)
            fail(os.strerror(exc.errno).lower() + (f" writing {where}" if where else ""))
        finally:
            while _locks:
                _locks.pop().release()

    return wrapper


def opt(kind: Any, help_text: str, *names: str) -> Any:
    return Annotated[kind, typer.Option(*names, help=help_text)]


def field_option(name: str, info: FieldInfo) -> Any:
    """The CLI type of a settings field: Literals and paths as text, every flag optional
    (None: not given, the config file's or the default value stands)."""
    kind = info.annotation
    if typing.get_origin(kind) in (typing.Union, types.UnionType):  # X | None
        (kind,) = [arg for arg in typing.get_args(kind) if arg is not type(None)]
    if typing.get_origin(kind) is Literal:
        kind = str
    flag = "--" + name.replace("_", "-")
    names = (f"{flag}/--no-{name.replace('_', '-')}",) if kind is bool else (flag,)
    return opt(kind | None, info.description or name.replace("_", " "), *names)


def keyword_params(options: dict[str, Any], defaults: dict[str, Any]) -> list[inspect.Parameter]:
    """Keyword parameters of a generated command: None (not given) unless `defaults` says;
    `...` marks a required option."""
    return [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind,
                              default=defaults.get(name))
            for name, kind in options.items()]  # fmt: skip


def fail(message: str):
    print(f"repomill: error: {message}", file=sys.stderr)
    raise typer.Exit(2) from None


def validated(base, overrides: dict[str, Any]):
    """`base` with the flags given (None: not given), validated like the config file
    (one-line errors naming the flag)."""
    from pydantic import ValidationError

    values = {**base.model_dump(), **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return type(base).model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        if not first["loc"]:  # a check across fields
            raise UserError(first["msg"].removeprefix("Value error, ")) from None
        flag = "--" + str(first["loc"][0]).replace("_", "-")
        raise UserError(f"{flag}: {first['msg']}") from None


def index_config(base: IndexConfig, **overrides) -> IndexConfig:
    if overrides.get("workers") is not None and overrides["workers"] < 1:
        raise UserError("--workers must be at least 1")
    return validated(base, overrides)


def output_dir(out: Path) -> Path:
    """Create `out` if needed and lock it for this command: one build per directory."""
    out = out.expanduser()
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    _locks.append(OutputLock.acquire(out))
    return out
