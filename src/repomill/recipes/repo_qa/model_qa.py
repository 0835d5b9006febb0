"""Model-written samples, when a model is given: QA (task `qa`) about a flow, a method's
rules or a domain, answered from the excerpts shown with a [chunk id] citation per claim;
and designs (task `design`): a new feature for a domain, built the way the repository
builds things. Model output is untrusted: a sample is kept only when its citations are
to excerpts it was shown, every claim cites, every identifier exists (or is a declared
new component), and a design's calls go only the ways the repository's layers call."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from repomill.code.analysis import Analysis
from repomill.llm.client import LLM
from repomill.llm.parse import sections, unusable_reason
from repomill.llm.prompts import render
from repomill.llm.types import Request, Result
from repomill.recipes.repo_qa.evidence import EvidenceBook
from repomill.recipes.repo_qa.exact import QA
from repomill.recipes.repo_qa.facts import Facts
from repomill.verify.citations import Problem, check_citations, citations
from repomill.verify.design_check import check_design, observed_layer_calls
from repomill.verify.identifiers import check_identifiers

MAX_EXCERPTS = 8
MAX_COMPONENTS = 24
LAYERS = {"entry_point": "controller", "service": "service", "data_access": "data_access",
          "entity": "entity"}  # fmt: skip
DESIGN_SECTIONS = ["requirement", "assumptions", "existing", "new", "calls", "steps", "risks"]
_DOMAIN_NAME = re.compile(r"[a-z][a-z0-9]*(?:[ -][a-z0-9]+){0,2}")
MAX_NAMING_COMPONENTS = 20
_NEW = re.compile(r"^[-*\d.\s]*`?([A-Za-z_][\w.]*)`?\s*\(([\w -]+)\)")
_CALL = re.compile(r"`?([A-Za-z_][\w.]*)`?\s*->\s*`?([A-Za-z_][\w.]*)`?")


@dataclass
class Topic:
    kind: str  # flow | rules | domain | design
    subject: str  # a node id, or a domain's name
    title: str
    evidence: list[str]  # node or statement ids shown to the model


@dataclass
class Outcome:
    topic: Topic
    qa: QA | None
    problem: Problem | None


def topics(facts: Facts, analysis: Analysis) -> list[Topic]:
    found = [Topic("flow", f.entry, f"the flow of {facts.entry_label(f.entry)}",
                   list(dict.fromkeys(s.node for s in facts.meaningful_steps(f)))[:MAX_EXCERPTS])
             for f in facts.flows if len(facts.meaningful_steps(f)) > 1]  # fmt: skip
    guarded = dict.fromkeys(r.node for r in facts.rules if r.kind == "guard")
    found += [Topic("rules", n, f"the checks of `{facts.label(n)}`", [n]) for n in guarded]
    for domain in analysis.domains:
        shown = [*domain.entry_points, *domain.services][:MAX_EXCERPTS]
        if shown:
            found.append(Topic("domain", domain.name, f"the {domain.name} domain", shown))
    return found


def domain_names(llm: LLM, analysis: Analysis) -> dict[str, str]:
    """A model's name for each domain (old name -> new), where it gave a short one that no
    other domain has; a domain without one keeps the name its identifiers gave it."""
    domains = [d for d in analysis.domains if d.entry_points or d.services or d.entities]
    prompts = [render("repo_qa/domain_name", components=_component_names(analysis, d))
               for d in domains]  # fmt: skip
    taken = {d.name for d in analysis.domains}
    renamed: dict[str, str] = {}
    for domain, (result,) in zip(domains, _ask(llm, prompts, 16), strict=True):
        said = sections(result.text, ["name"]).get("name", "") if result.ok else ""
        name = said.strip().strip(".\"'`").lower()
        if _DOMAIN_NAME.fullmatch(name) and (name := name.replace(" ", "-")) not in taken:
            taken.add(name)
            renamed[domain.name] = name
    return renamed


def _component_names(analysis: Analysis, domain) -> list[str]:
    refs = [*domain.entry_points, *domain.services, *domain.entities, *domain.data_access]
    names = dict.fromkeys(analysis.nodes[r].parent or analysis.nodes[r].name for r in refs)
    return list(names)[:MAX_NAMING_COMPONENTS]


def model_qa(llm: LLM, book: EvidenceBook, facts: Facts, found: list[Topic],
             repo: str) -> Iterator[Outcome]:  # fmt: skip
    prompts = [render("repo_qa/question", repo=repo, topic=t.title,
                      excerpts=book.snippets_of(t.evidence)) for t in found]  # fmt: skip
    for topic, (result,) in zip(found, _ask(llm, prompts, 700), strict=True):
        yield _qa_outcome(topic, result, book)


def _qa_outcome(topic: Topic, result: Result, book: EvidenceBook) -> Outcome:
    if reason := unusable_reason(result, ["question", "answer"]):
        return Outcome(topic, None, Problem(reason, result.error or ""))
    parts = sections(result.text, ["question", "answer"])
    question, answer = parts["question"].strip(), parts["answer"].strip()
    qa = QA(f"model_{topic.kind}", question, answer, [], topic.evidence,
            _citation_trace(answer, book, topic.evidence), topic.subject, task="qa")  # fmt: skip
    entries = [book.entry(ref) for ref in topic.evidence]
    return Outcome(topic, qa, check_citations(answer, entries) or book.problem(qa))


def _citation_trace(answer: str, book: EvidenceBook, refs: list[str]) -> list[dict]:
    """The answer's citations in order, each a step citing the excerpt it names."""
    by_chunk = {book.entry(ref)["chunk_id"]: ref for ref in refs}
    cited = [c.chunk_id for c in citations(answer) if c.chunk_id in by_chunk]
    return [{"step": f"the answer cites {book.entry(by_chunk[c])['path']}", "cites": by_chunk[c]}
            for c in dict.fromkeys(cited)]  # fmt: skip


def designs(llm: LLM, book: EvidenceBook, facts: Facts, analysis: Analysis,
            repo: str) -> Iterator[Outcome]:  # fmt: skip
    layers = _Layers(facts)
    allowed = observed_layer_calls(layers.class_calls(), layers.of)
    directions = ", ".join(f"{a} -> {b}" for a, b in sorted(allowed)) or "(none observed)"
    found, prompts = [], []
    for domain in analysis.domains:
        parts = [*domain.entry_points, *domain.services, *domain.data_access, *domain.entities]
        owners = list(dict.fromkeys(layers.owner(n) for n in parts if layers.owner(n)))
        components = owners[:MAX_COMPONENTS]
        if not domain.entry_points or not components:
            continue
        flow = next((f for f in facts.flows if f.entry in domain.entry_points), None)
        example = " -> ".join(f"`{facts.label(s.node)}`" for s in facts.meaningful_steps(flow)
                              ) if flow else "(none)"  # fmt: skip
        shown = [{**book.entry(c), "name": facts.nodes[c].name, "layer": layers.of_node(c)}
                 for c in components]  # fmt: skip
        found.append(Topic("design", domain.name, f"a feature for {domain.name}", components))
        prompts.append(render("repo_qa/design", repo=repo, domain=domain.name, example=example,
                              components=shown, directions=directions))  # fmt: skip
    for topic, (result,) in zip(found, _ask(llm, prompts, 900), strict=True):
        yield _design_outcome(topic, result, book, layers, allowed)


def _design_outcome(topic, result, book, layers, allowed) -> Outcome:
    if reason := unusable_reason(result, DESIGN_SECTIONS):
        return Outcome(topic, None, Problem(reason, result.error or ""))
    parts = {k: v.strip() for k, v in sections(result.text, DESIGN_SECTIONS).items()}
    existing = [line.strip(" -*`") for line in parts["existing"].splitlines() if line.strip(" -*")]
    existing = [re.sub(r"\s*\[[0-9a-f]{8,64}\]", "", name).strip(" `") for name in existing]
    new = {m.group(1): m.group(2).strip() for m in map(_NEW.match, parts["new"].splitlines()) if m}
    calls = [m.groups() for m in _CALL.finditer(parts["calls"])]
    answer = _design_text(parts)
    question = f"Propose a design for a feature of the {topic.subject} domain: "
    trace = _citation_trace(answer, book, topic.evidence)
    qa = QA("design", question + parts["requirement"], answer, [*existing], topic.evidence,
            trace, topic.subject, task="design")  # fmt: skip
    problem = check_design(existing, list(new), calls, book.known, layers.with_new(new), allowed)
    return Outcome(topic, qa, problem or check_identifiers(answer, book.known, set(new))
                   or book.problem(qa, declared_new=set(new)))  # fmt: skip


def _design_text(parts: dict[str, str]) -> str:
    titles = {"assumptions": "Assumptions", "existing": "Existing components it touches",
              "new": "New components", "calls": "Calls", "steps": "Steps",
              "risks": "Risks"}  # fmt: skip
    return "\n\n".join(f"**{title}**\n{parts[key]}" for key, title in titles.items())


def _ask(llm: LLM, prompts: list[str], max_tokens: int) -> list[list[Result]]:
    requests = [Request.chat([{"role": "user", "content": p}], temperature=0.3,
                             max_tokens=max_tokens, seed=3) for p in prompts]  # fmt: skip
    return llm.generate(requests) if requests else []


class _Layers:
    """The layer of a class (from its role, or its methods'), by node and by name."""

    def __init__(self, facts: Facts):
        self.facts = facts
        self.by_name: dict[str, str] = {}
        for node_id, node in facts.nodes.items():
            if node.kind != "method" and (layer := self.of_node(node_id)):
                self.by_name.setdefault(node.name, layer)

    def owner(self, node_id: str) -> str:
        """The class or interface a method belongs to (itself when it is one)."""
        node = self.facts.nodes.get(node_id)
        if node is None or node.kind != "method":
            return node_id if node is not None else ""
        return node_id.rsplit("::", 1)[0] + "::" + node.parent

    def of_node(self, node_id: str) -> str:
        role = self.facts.roles.get(node_id)
        return LAYERS.get(role.role, "") if role else ""

    def of(self, name: str) -> str | None:
        return self.by_name.get(name.split(".")[0]) or None

    def with_new(self, new: dict[str, str]):
        return lambda name: new.get(name.split(".")[0]) or self.of(name)

    def class_calls(self) -> list[tuple[str, str]]:
        nodes = self.facts.nodes
        return [(nodes[e.caller].parent or nodes[e.caller].name,
                 nodes[e.callee].parent or nodes[e.callee].name)
                for e in self.facts.graph.edges]  # fmt: skip
