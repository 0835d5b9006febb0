"""The `repomill` command line: `build RECIPE` (one sub-command per registered recipe),
`index`, `context`, `report` and `llm check`."""

from __future__ import annotations

import sys

import typer

try:  # typer 0.2x carries its own copy of click
    from typer._click import exceptions as cli_errors
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as cli_errors

from repomill.cli.build import add_recipe_commands
from repomill.cli.commands import add_commands
from repomill.cli.common import output_dir, user_errors
from repomill.cli.evaluate import evaluate
from repomill.cli.llm import llm_app
from repomill.cli.train import train_command

__all__ = ["app", "main", "make_app", "output_dir", "user_errors"]


def make_app() -> typer.Typer:
    """The command line for the recipes registered now."""
    from repomill.recipes.registry import RECIPES

    app = typer.Typer(
        help="Turn a code repository and its git history into training data for code LLMs.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    add_commands(app)
    app.command("train")(train_command())
    app.command("eval")(evaluate)
    build_app = typer.Typer(help="Build a training dataset from a repository, with a recipe.",
                            no_args_is_help=True)  # fmt: skip
    add_recipe_commands(build_app, RECIPES)
    app.add_typer(build_app, name="build")
    app.add_typer(llm_app, name="llm")
    return app


app = make_app()


def main() -> None:
    """Run the command line; a usage error (unknown command, bad flag) is one line too."""
    try:
        code = app(standalone_mode=False)
    except cli_errors.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help())
        code = 2
    except cli_errors.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "repomill"
        print(f"repomill: error: {exc.format_message()} (see `{where} --help`)", file=sys.stderr)
        code = 2
    except typer.Abort:  # Ctrl-C at a prompt
        code = 130
    sys.exit(code if isinstance(code, int) else 0)
