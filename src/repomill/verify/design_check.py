"""Whether a design proposal fits the repository: the existing components it touches exist,
the new ones it adds take no name the repository has, and every call it proposes between
two layers goes a way the repository's own code goes.

Components are named as the answer names code (`OrderServiceImpl`, `OrderMapper.insert`,
a path); `known` is `identifiers.known_identifiers`. A layer is whatever the caller's
`layer_of` says (controller, service, mapper…; None: no layer, not judged), and
`allowed_layer_calls` the (caller layer, callee layer) pairs the repository makes, e.g.
`observed_layer_calls` of its call graph. Same-layer calls are judged like any other."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from repomill.verify.citations import Problem
from repomill.verify.identifiers import component_name, names_detail, resolves

LayerOf = Callable[[str], str | None]


def observed_layer_calls(
    calls: Iterable[tuple[str, str]], layer_of: LayerOf
) -> set[tuple[str, str]]:
    """The (caller layer, callee layer) pairs of calls whose both ends have a layer."""
    pairs = ((layer_of(caller), layer_of(callee)) for caller, callee in calls)
    return {(a, b) for a, b in pairs if a is not None and b is not None}


def check_design(
    existing: list[str],
    new: list[str],
    calls: list[tuple[str, str]],
    known: set[str],
    layer_of: LayerOf,
    allowed_layer_calls: set[tuple[str, str]],
) -> Problem | None:
    """The first problem of a design: `unknown_component` (an existing component, or a
    call's end, that is neither in the repository nor new), `name_collision` (a new name
    the repository, an existing component or another new one already has) or
    `layering_violation` (a call between layers the repository never makes)."""
    unknown = [name for name in existing if not resolves(name, known)]
    if unknown:
        return Problem("unknown_component", names_detail(unknown))
    if clashes := _collisions(new, existing, known):
        return Problem("name_collision", names_detail(clashes))
    owners = {component_name(x).split(".")[0] for x in new}  # a new component's members are new
    ends = set(existing) | set(new)
    strays = [x for call in calls for x in call
              if x not in ends and component_name(x).split(".")[0] not in owners
              and not resolves(x, known, new)]  # fmt: skip
    if strays:
        return Problem("unknown_component", names_detail(list(dict.fromkeys(strays))))
    wrong = []
    for caller, callee in calls:
        pair = layer_of(caller), layer_of(callee)
        if None not in pair and caller != callee and pair not in allowed_layer_calls:
            wrong.append(f"{caller} -> {callee} ({pair[0]} -> {pair[1]})")
    return Problem("layering_violation", names_detail(wrong)) if wrong else None


def _collisions(new: list[str], existing: list[str], known: set[str]) -> list[str]:
    """New names the repository or an existing component has, or that come twice."""
    taken = known | {component_name(x) for x in existing}
    names = [component_name(x) for x in new]
    twice = [name for name, n in Counter(names).items() if n > 1]
    return list(dict.fromkeys([n for n in names if n in taken] + twice))
