"""Entry points: HTTP handlers, CLI commands, scheduled jobs and listeners. Two kinds of
rule: on a definition's own annotations or decorators (Spring, JAX-RS, Flask, FastAPI,
click, typer, celery, APScheduler), and at call sites that register a handler by name
(Django `path()`, Express/Koa and Go routers, argparse `set_defaults(func=…)`,
`add_url_rule`, `add_job`). Each rule returns a `Role` or None."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

from tree_sitter import Node

from repomill.code.analysis.model import Role, node_id
from repomill.code.analysis.syntax import (
    Call,
    Mark,
    Sources,
    call_of,
    last_name,
    strings_in,
    text,
    walk,
)

SPRING_CONTROLLERS = frozenset({"RestController", "Controller"})
SPRING_MAPPINGS = {
    "GetMapping": "GET",
    "PostMapping": "POST",
    "PutMapping": "PUT",
    "DeleteMapping": "DELETE",
    "PatchMapping": "PATCH",
    "RequestMapping": "",  # method= decides, else ANY
}
JAXRS_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})
VERBS = frozenset({"get", "post", "put", "delete", "patch", "head", "options"})
ANY_VERBS = frozenset({"all", "any", "handle", "handlefunc", "route"})
REGISTERING = frozenset({"python", "javascript", "typescript", "tsx", "go"})
HTTP_CLIENTS = frozenset({"axios", "$http", "this.http", "this.httpClient", "request", "client"})


def join_route(prefix: str, path: str) -> str:
    if not prefix:
        return path or "/"
    if not path:
        return prefix
    return prefix.rstrip("/") + "/" + path.lstrip("/")


def http(node: str, rule: str, method: str, route: str) -> Role:
    return Role(node, "entry_point", "http", rule, http_method=method, route=route)


def _mapping_path(mark: Mark | None) -> str:
    if mark is None:
        return ""
    found = mark.strings("value") or mark.strings("path") or mark.strings()
    return found[0] if found else ""


def spring_mapping(d: Any) -> Role | None:
    """@GetMapping… on a method of a @RestController/@Controller class."""
    owner = d.parent.marks if d.parent else []
    if not any(m.name in SPRING_CONTROLLERS for m in owner):
        return None
    prefix = _mapping_path(next((m for m in owner if m.name == "RequestMapping"), None))
    for mark in d.marks:
        if mark.name in SPRING_MAPPINGS:
            method = SPRING_MAPPINGS[mark.name] or _request_methods(mark)
            return http(d.id, "@" + mark.name, method, join_route(prefix, _mapping_path(mark)))
    return None


def _request_methods(mark: Mark) -> str:
    words = re.findall(r"\b[A-Z]+\b", text(mark.kwargs.get("method")))
    found = [w for w in words if w in JAXRS_METHODS]
    return ",".join(found) or "ANY"


def jaxrs_resource(d: Any) -> Role | None:
    """@GET/@POST… (with @Path) on a method; the class's @Path is the prefix."""
    verb = next((m.name for m in d.marks if m.name in JAXRS_METHODS), "")
    if not verb:
        return None
    own = _mapping_path(next((m for m in d.marks if m.name == "Path"), None))
    owner = d.parent.marks if d.parent else []
    prefix = _mapping_path(next((m for m in owner if m.name == "Path"), None))
    return http(d.id, "@" + verb, verb, join_route(prefix, own))


def python_route(d: Any) -> Role | None:
    """Flask `@bp.route(path, methods=[…])` (default GET), `@app.get(path)` (Flask 2,
    FastAPI), FastAPI `@router.api_route`; a Blueprint's or APIRouter's prefix joins in."""
    for mark in d.marks:
        paths = mark.strings()
        if not paths or not mark.target:
            continue
        prefix = d.prefixes.get(mark.target, "")
        if mark.name in ("route", "api_route"):
            methods = [m.upper() for m in mark.strings("methods")] or ["GET"]
            return http(d.id, f"@{mark.full}", ",".join(methods), join_route(prefix, paths[0]))
        if mark.name in VERBS and paths[0].startswith("/"):
            return http(d.id, f"@{mark.full}", mark.name.upper(), join_route(prefix, paths[0]))
    return None


def python_command(d: Any) -> Role | None:
    """click `@click.command()`, `@group.command()`, `@click.group()`; typer
    `@app.command()`. The route is the command's name as invoked."""
    for mark in d.marks:
        if mark.name in ("command", "group") and mark.target:
            name = (mark.strings() or [d.name.replace("_", "-")])[0]
            return Role(d.id, "entry_point", "cli", f"@{mark.full}", route=name)
    return None


def python_job(d: Any) -> Role | None:
    """celery `@shared_task`, `@app.task`, `@periodic_task`; APScheduler
    `@scheduler.scheduled_job(…)`; dramatiq `@actor`."""
    for mark in d.marks:
        task = mark.name == "task" and mark.target
        if task or mark.name in ("shared_task", "periodic_task", "scheduled_job", "actor"):
            return Role(d.id, "entry_point", "scheduled", f"@{mark.full}")
    return None


def rust_cli(d: Any) -> Role | None:
    """clap derive: `#[derive(Parser)]`, `#[derive(Subcommand)]`, `#[derive(Args)]`."""
    for mark in d.marks:
        derived = set(re.findall(r"\w+", mark.text.partition("derive")[2]))
        if mark.name and "derive" in mark.text and derived & {"Parser", "Subcommand", "Args"}:
            return Role(d.id, "entry_point", "cli", "#[derive(Parser)]")
    return None


# --- handlers registered at call sites ------------------------------------------------


def call_site_roles(index: Any, sources: Sources) -> dict[str, Role]:
    """Entry points registered by a call naming their handler, per file."""
    found: dict[str, Role] = {}
    for path in sorted(p for p, language in index.language.items() if language in REGISTERING):
        tree = sources.tree(path)
        if tree is None:
            continue
        for call in _calls(tree.root_node):
            role = _registration(path, index.language[path], call)
            handler = _handler(call, role)
            target = resolve_handler(index, path, handler) if role and handler else ""
            if target and target not in found:
                found[target] = replace(role, node=target)
    return found


def _calls(root: Node) -> Iterator[Call]:
    for node in walk(root, frozenset()):
        call = call_of(node) if node.type in ("call", "call_expression") else None
        if call is not None:
            yield call


def _registration(path: str, language: str, call: Call) -> Role | None:
    """The entry point a call registers (its node still unknown), or None."""
    first = call.args[0] if call.args else None
    literal = first is not None and first.type in ("string", "interpreted_string_literal")
    route = (strings_in(first) or [""])[0] if literal else None
    name = call.name.lower()
    if language == "python":
        return _python_registration(path, call, name, route)
    if route is None or not route.startswith("/") or len(call.args) < 2:
        return None
    if call.target in HTTP_CLIENTS or not (name in VERBS or name in ANY_VERBS):
        return None
    return http("", f"{call.full}()", "ANY" if name in ANY_VERBS else name.upper(), route)


def _python_registration(path: str, call: Call, name: str, route: str | None) -> Role | None:
    django = name in ("path", "re_path", "url") and PurePosixPath(path).name == "urls.py"
    if django and route is not None and len(call.args) >= 2:
        return http("", f"{call.name}()", "ANY", route)
    if name in ("add_url_rule", "add_api_route") and route is not None:
        methods = [m.upper() for m in strings_in(call.kwargs.get("methods"))]
        return http("", f"{call.full}()", ",".join(methods) or "GET", route)
    if name == "set_defaults" and "func" in call.kwargs:
        return Role("", "entry_point", "cli", "set_defaults(func=)")
    if name == "add_job" and call.args:
        return Role("", "entry_point", "scheduled", f"{call.full}()")
    return None


def _handler(call: Call, role: Role | None) -> Node | None:
    if role is None:
        return None
    for key in ("func", "view_func", "endpoint"):
        if key in call.kwargs:
            return call.kwargs[key]
    if role.kind == "scheduled":
        return call.args[0]
    if role.rule in ("path()", "re_path()", "url()"):
        return call.args[1]
    return call.args[-1] if len(call.args) > 1 else None


def resolve_handler(index: Any, path: str, node: Node) -> str:
    """The node id a handler expression names (`list`, `views.index`,
    `BookView.as_view()`, `ctl.create`), looked up in the file, what it imports, then
    uniquely in the repository; "" when unknown or an inline function."""
    if node.type in ("call",) and (callee := node.child_by_field_name("function")) is not None:
        node = callee.named_children[0] if callee.named_children else callee  # X.as_view()
    if node.type not in ("identifier", "attribute", "member_expression", "selector_expression"):
        return ""
    name = last_name(text(node).rsplit(".", 1)[-1])
    here = index.defined_in(path, name)
    seen = index.visible_from(path)
    for target, original in seen.named.get(name, []) if seen else []:
        here = here or index.defined_in(target, original)
    imported = {t for row in index.resolved.get(path, []) for t in row.get("resolved", [])}
    here = here or [s for s in index.symbols_by_name.get(name, []) if s["path"] in imported]
    symbol = here[0] if here else index.unique_elsewhere(name, path)
    return node_id(symbol["path"], symbol["qualname"]) if symbol else ""


def route_prefixes(root: Node) -> dict[str, str]:
    """Module-level `bp = Blueprint(…, url_prefix="/x")` / `router = APIRouter(prefix=…)`:
    variable -> prefix."""
    found = {}
    for statement in root.named_children:
        assignment = statement.named_children[0] if statement.named_children else None
        if assignment is None or assignment.type != "assignment":
            continue
        value = assignment.child_by_field_name("right")
        call = call_of(value) if value is not None and value.type == "call" else None
        for key in ("url_prefix", "prefix"):
            if call is not None and (prefix := strings_in(call.kwargs.get(key))):
                found[text(assignment.child_by_field_name("left"))] = prefix[0]
    return found
