"""Exact QA: questions whose answers the analysis computes, so every answer is true of the
commit by construction. Each kind has several phrasings (one is picked per question by a
stable hash), an answer in prose with a structured list, the evidence (the definitions
the answer rests on) and a reasoning trace whose every step cites one of them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from repomill.code.analysis.model import Flow, Rule
from repomill.engine.keys import stable_hash
from repomill.recipes.repo_qa.facts import Facts


@dataclass
class QA:
    kind: str
    question: str
    answer: str
    items: list[str]  # the structured answer, one entry per listed fact
    evidence: list[str]  # node or statement ids, in the order the answer uses them
    trace: list[dict] = field(default_factory=list)  # {"step": text, "cites": id}
    subject: str = ""  # the node the question is about (its domain groups the splits)
    task: str = "qa_exact"  # the dataset's task: qa_exact, or qa / design from a model


def pick(phrasings: tuple[str, ...], key: str, **names: str) -> str:
    return phrasings[int(stable_hash(key)[:8], 16) % len(phrasings)].format(**names)


ENDPOINTS_REACHING = (
    "Which endpoints end up calling `{target}`?",
    "What entry points of the application reach `{target}`?",
    "If `{target}` is slow, which requests or commands are affected?",
)
FLOW = (
    "What happens, call by call, when {entry} runs?",
    "Walk me through the code path of {entry}.",
    "Which methods does {entry} call, in order, down to the database?",
)
GUARDS = (
    "Under which conditions does `{target}` reject its input?",
    "When does `{target}` refuse to go on?",
    "What checks does `{target}` make before doing its work?",
)
TRANSITIONS = (
    "Which values can {field} be set to, and where?",
    "Where does the code change {field}, and to what?",
    "List the state transitions of {field}.",
)
IMPLEMENTS = (
    "What implements `{target}`?",
    "Which classes provide `{target}`?",
)
IMPACT = (
    "What does a change to `{target}` touch?",
    "If I change `{target}`, which callers and entry points could break?",
    "Who depends on `{target}`, up to the entry points?",
)
WRITES = (
    "Where are {entity} records {verb}?",
    "Which code paths {verb_base} {entity} rows?",
)


NO_DATA_ACCESS = "It reaches no data access."
MIN_IMPACT_CALLERS = 2  # one caller is the flow question's answer already


def exact_qa(facts: Facts) -> Iterator[QA]:
    yield from _endpoints_reaching(facts)
    yield from _flows(facts)
    yield from _guards(facts)
    yield from _transitions(facts)
    yield from _implementations(facts)
    yield from _impact(facts)
    yield from _writes(facts)


def _endpoints_reaching(facts: Facts) -> Iterator[QA]:
    reached: dict[str, list[Flow]] = defaultdict(list)
    for flow in facts.flows:  # by the data-access method (its SQL statement is evidence)
        for target in dict.fromkeys(facts.method_of(ref) for ref in flow.data_access):
            reached[target].append(flow)
    for target, flows in sorted(reached.items()):
        name = facts.label(target)
        items = [facts.entry_label(f.entry) for f in flows]
        many = len(flows) > 1
        answer = (f"{len(flows)} entry point{'s reach' if many else ' reaches'} `{name}`:\n"
                  + _bullets(items))  # fmt: skip
        trace = [{"step": f"{facts.entry_label(f.entry)} reaches `{name}` through "
                  + " → ".join(f"`{facts.label(s.node)}`" for s in facts.path_to(f, target)),
                  "cites": f.entry} for f in flows]  # fmt: skip
        evidence = [target, *facts.statements_of(target)] + [f.entry for f in flows]
        yield QA("endpoints_reaching", pick(ENDPOINTS_REACHING, target, target=name), answer,
                 items, evidence, trace, target)  # fmt: skip


def _flows(facts: Facts) -> Iterator[QA]:
    for flow in facts.flows:
        steps = facts.meaningful_steps(flow)
        if len(steps) < 2:
            continue
        entry = facts.entry_label(flow.entry)
        items = [f"`{facts.label(s.node)}`" + facts.where(s.node) for s in steps]
        nested = [f"{'  ' * s.depth}- {item}" for s, item in zip(steps, items, strict=True)]
        reached = ", ".join(dict.fromkeys(f"`{facts.label(d)}`" for d in flow.data_access))
        reach = f"It reaches the data access {reached}." if reached else NO_DATA_ACCESS
        cut = {"depth": " (cut at the depth bound)", "cycle": " (a recursive call is cut)"}
        answer = (f"{_capital(entry)} calls, depth first in call order{cut.get(flow.cut, '')}:\n"
                  + "\n".join(nested) + "\n\n" + reach)  # fmt: skip
        trace = [{"step": f"`{facts.label(s.node)}` is called at line {s.line}"
                  if s.depth else f"{entry} is handled by `{facts.label(s.node)}`",
                  "cites": s.node} for s in steps]  # fmt: skip
        evidence = list(dict.fromkeys(s.node for s in steps))
        yield QA("flow", pick(FLOW, flow.entry, entry=entry), answer, items, evidence, trace,
                 flow.entry)  # fmt: skip


def _guards(facts: Facts) -> Iterator[QA]:
    by_node: dict[str, list[Rule]] = defaultdict(list)
    for rule in facts.rules:
        if rule.kind == "guard":
            by_node[rule.node].append(rule)
    for node, rules in sorted(by_node.items()):
        name = facts.label(node)
        items = [f"`{r.condition}` → `{_one_line(r.effect)}` (line {r.line})" for r in rules]
        answer = f"`{name}` rejects when:\n" + _bullets(items)
        trace = [{"step": f"line {r.line} checks `{r.condition}`", "cites": node} for r in rules]
        yield QA("guards", pick(GUARDS, node, target=name), answer, items, [node], trace, node)


def _transitions(facts: Facts) -> Iterator[QA]:
    by_field: dict[str, list[Rule]] = defaultdict(list)
    for rule in facts.rules:
        if rule.kind == "state_transition":
            by_field[facts.field_label(rule)].append(rule)
    for field_name, rules in sorted(by_field.items()):
        items = [f"`{r.value}` in `{facts.label(r.node)}` (line {r.line})"
                 + (f" when `{r.condition}`" if r.condition else "") for r in rules]  # fmt: skip
        values = ", ".join(f"`{v}`" for v in sorted({r.value for r in rules}))
        answer = (f"{_capital(field_name)} is set to {values}:\n"
                  + _bullets(items))  # fmt: skip
        trace = [{"step": f"`{facts.label(r.node)}` sets it to `{r.value}`", "cites": r.node}
                 for r in rules]  # fmt: skip
        nodes = list(dict.fromkeys(r.node for r in rules))
        yield QA("state_transitions", pick(TRANSITIONS, field_name, field=field_name), answer,
                 items, nodes, trace, nodes[0])  # fmt: skip


def _implementations(facts: Facts) -> Iterator[QA]:
    for interface, classes in sorted(facts.implementations.items()):
        if not classes or not facts.has_role(interface, "service", "data_access"):
            continue  # generated model classes' inner hierarchies teach nothing
        name = facts.label(interface)
        items = [f"`{facts.label(c)}`" + facts.where(c) for c in classes]
        answer = f"`{name}` is implemented by:\n" + _bullets(items)
        trace = [{"step": f"`{facts.label(c)}` declares `implements {facts.nodes[interface].name}`",
                  "cites": c} for c in classes]  # fmt: skip
        yield QA("implementations", pick(IMPLEMENTS, interface, target=name), answer, items,
                 [interface, *classes], trace, interface)  # fmt: skip


def _impact(facts: Facts) -> Iterator[QA]:
    for node in facts.impact_subjects():
        callers, entries = facts.transitive_callers(node)
        if len(callers) < MIN_IMPACT_CALLERS:
            continue
        name = facts.label(node)
        items = [f"`{facts.label(c)}`" + facts.where(c) for c in callers]
        entry_text = ", ".join(facts.entry_label(e) for e in entries) or "no entry point"
        answer = (f"`{name}` is called, directly or through others, by:\n" + _bullets(items)
                  + f"\n\nEntry points affected: {entry_text}.")  # fmt: skip
        trace = [{"step": f"`{facts.label(c)}` calls toward `{name}`", "cites": c}
                 for c in callers]  # fmt: skip
        yield QA("impact", pick(IMPACT, node, target=name), answer, items, [node, *callers],
                 trace, node)  # fmt: skip


VERBS = {"insert": ("inserted", "insert"), "update": ("updated", "update"),
         "delete": ("deleted", "delete")}  # fmt: skip


def _writes(facts: Facts) -> Iterator[QA]:
    for (entity, kind), writers in sorted(facts.writes().items()):
        verb, verb_base = VERBS[kind]
        items = [f"`{facts.label(w)}`" + facts.where(w) for w in writers]
        answer = f"{_capital(entity)} records are {verb} by:\n" + _bullets(items)
        trace = [{"step": f"`{facts.label(w)}` runs an {kind.upper()}", "cites": w}
                 for w in writers]  # fmt: skip
        question = pick(WRITES, f"{entity}:{kind}", entity=entity, verb=verb, verb_base=verb_base)
        yield QA(f"writes_{kind}", question, answer, items, writers, trace, writers[0])


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _one_line(text: str) -> str:
    return " ".join(text.split())
