"""The repo-QA recipe: index the repository at its commit, analyse its business logic
(call graph, roles, SQL statements, rules, flows, domains: `code/analysis/`), and turn what
the analysis computed into questions with exact answers. Every sample's evidence is
checked against the commit before it is kept: each cited chunk exists, its lines are that
blob's lines, and every identifier the answer names is defined in the repository."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pyarrow as pa

from repomill.code.analysis import Analysis, analyze
from repomill.code.build import build_index
from repomill.code.index_stage import IndexFilesStage
from repomill.engine.keys import stable_hash
from repomill.engine.runner import StageRun
from repomill.errors import UserError
from repomill.export.card import bullet_counts
from repomill.export.records import Rejected, Sample
from repomill.llm.client import LLM
from repomill.llm.factory import LLMConfig, make_llm
from repomill.recipes.base import RecipeContext
from repomill.recipes.repo_qa.evidence import EvidenceBook
from repomill.recipes.repo_qa.exact import QA, exact_qa
from repomill.recipes.repo_qa.facts import Facts
from repomill.recipes.repo_qa.model_qa import designs, domain_names, model_qa, topics
from repomill.recipes.repo_qa.settings import RepoQAConfig
from repomill.sources.files import list_entries, read_entry, source_name
from repomill.tokens import count_chat, load_tokenizer

SNIPPET = pa.struct(
    [("chunk_id", pa.string()), ("path", pa.string()), ("start_line", pa.int32()),
     ("end_line", pa.int32()), ("text", pa.string())]
)  # fmt: skip


class RepoQARecipe:
    """Questions about the repository's business logic (flows, rules, states, callers),
    answered exactly from a static analysis of the code and checked against it."""

    name = "repo-qa"
    title = "repository QA"
    settings = RepoQAConfig
    columns = [("snippets", pa.list_(SNIPPET)), ("num_tokens", pa.int32())]
    identifiers = frozenset({"cites", "kind", "subject", "domain"})
    group_noun = "domains"
    needs_llm = True
    llm_optional = True  # exact QA needs no model; with --llm it adds QA and designs
    disjoint_evidence = True  # an evaluation question may not cite what a train one does
    no_input = "no code the analysis understands (no functions or methods)"
    preload = (IndexFilesStage.__module__,)

    def samples(self, ctx: RecipeContext) -> Iterator[Sample | Rejected]:
        if ctx.source.commit is None and ctx.source.is_git:
            raise UserError(f"{ctx.source.root}: the repository has no commits")
        analysis = _analysed(ctx)
        llm = make_llm(ctx.llm, ctx.out / ".cache" / "llm.sqlite") if ctx.llm else None
        try:
            if llm is not None:
                renamed = domain_names(llm, analysis)
                analysis.rename_domains(renamed)
                ctx.counts["domains_named_by_the_model"] = len(renamed)
            _write_domain_map(ctx, analysis)
            yield from _samples(ctx, analysis, llm)
        finally:
            if llm is not None:
                llm.close()
                _count_model_calls(ctx, llm)

    def nothing_kept_hint(self, llm: LLMConfig | None) -> str:
        return ""

    def card(self, ctx: RecipeContext) -> dict[str, str]:
        counts = ctx.manifest.counts
        return {"How it was made": HOW, "Analysis": bullet_counts(counts["analysis"]),
                "Questions (kind: computed)": bullet_counts(counts["questions"]),
                "Rejected": bullet_counts(counts["rejected"]), "Columns": COLUMNS_DOC}  # fmt: skip


def _analysed(ctx: RecipeContext) -> Analysis:
    built = build_index(
        ctx.source, ctx.index, None, "build", ctx.show_progress, ctx.executor, ctx.shards
    )
    ctx.manifest.add(built.manifest.stages["index_files"])
    entries = {e.path: e for e in list_entries(ctx.source)}

    def read(path: str) -> bytes:
        return read_entry(ctx.source, entries[path])

    run = StageRun("analysis", 1, items_in=len(built.index.files))
    with run.timed():
        analysis = analyze(built.index, read, sorted(entries), ctx.settings.max_depth)
    run.records_out = len(analysis.nodes)
    run.skipped.update(analysis.skipped)
    ctx.manifest.add(run)
    ctx.counts["analysis"] = analysis.summary()
    ctx.funnel.append(["definitions analysed", len(analysis.nodes)])
    return analysis


def _limited(questions: Iterator[QA], limit: int | None) -> Iterator[QA]:
    """At most `limit` questions of each kind, in the order they come."""
    seen: Counter[str] = Counter()
    for qa in questions:
        seen[qa.kind] += 1
        if limit is None or seen[qa.kind] <= limit:
            yield qa


def _samples(
    ctx: RecipeContext, analysis: Analysis, llm: LLM | None
) -> Iterator[Sample | Rejected]:
    """Exact QA; then, with a model, its QA and designs: each kept when its checks pass."""
    book = EvidenceBook(analysis.index, analysis.read, analysis.nodes, analysis.statements)
    facts = Facts(analysis.nodes, analysis.graph, analysis.roles, analysis.statements,
                  analysis.rules, analysis.flows, analysis.implementations)  # fmt: skip
    emit = _Emitter(ctx, analysis, book)
    questions = _limited(exact_qa(facts), ctx.settings.max_per_kind)
    yield from emit.checked("exact_qa", ((qa, book.problem(qa)) for qa in questions))
    ctx.counts["questions"] = dict(sorted(emit.kinds.items()))
    if llm is None:
        return
    repo = source_name(ctx.source)
    found = topics(facts, analysis)
    qa = ((o.qa, o.problem, o.topic) for o in model_qa(llm, book, facts, found, repo))
    yield from emit.checked("model_qa", qa)
    design = ((o.qa, o.problem, o.topic) for o in designs(llm, book, facts, analysis, repo))
    yield from emit.checked("design", design)


def _count_model_calls(ctx: RecipeContext, llm: LLM) -> None:
    if failed := llm.failure_summary():  # some calls failed: the run goes on, and says so
        ctx.warnings.append(failed)
    ctx.counts["model_calls"] = llm.stats.samples
    ctx.counts["model_calls_failed"] = llm.stats.failures


def _write_domain_map(ctx: RecipeContext, analysis: Analysis) -> None:
    (ctx.out / "domains.json").write_text(json.dumps(analysis.domain_json(), indent=2,
                                                     ensure_ascii=False) + "\n")  # fmt: skip


class _Emitter:
    """Checked questions to samples, failed ones to rejections, each step counted."""

    def __init__(self, ctx: RecipeContext, analysis: Analysis, book: EvidenceBook):
        self.ctx, self.analysis, self.book = ctx, analysis, book
        self.counter = load_tokenizer(ctx.settings.tokenizer)
        self.kinds: Counter[str] = Counter()

    def checked(self, stage: str, items) -> Iterator[Sample | Rejected]:
        """`items`: (QA or None, Problem or None[, Topic]) — a None QA is model output
        that did not parse; its topic says what it was about."""
        run = StageRun(stage, 1)
        self.ctx.manifest.add(run)
        for qa, problem, *topic in items:
            run.items_in += 1
            if qa is not None:
                self.kinds[qa.kind] += 1
            if problem is not None:
                run.skipped[problem.reason] += 1
                subject = qa.subject if qa is not None else topic[0].subject
                yield _rejected(self.ctx, qa, subject, problem.reason, problem.detail, stage)
                continue
            run.records_out += 1
            yield _sample(self.ctx, self.analysis, self.book, qa, self.counter)
        self.ctx.funnel.append([f"{stage.replace('_', ' ')}: made", run.items_in])
        self.ctx.funnel.append([f"{stage.replace('_', ' ')}: checks passed", run.records_out])


def _sample(ctx: RecipeContext, analysis: Analysis, book: EvidenceBook, qa: QA,
            counter) -> Sample:  # fmt: skip
    repo = source_name(ctx.source)
    messages = [{"role": "system", "content": SYSTEM.format(repo=repo)},
                {"role": "user", "content": qa.question},
                {"role": "assistant", "content": qa.answer}]  # fmt: skip
    domain = analysis.domain_of(qa.subject)
    meta = {"kind": qa.kind, "answer_items": qa.items, "trace": book.trace(qa), "domain": domain,
            "subject": qa.subject}  # fmt: skip
    snippets = book.snippets(qa)
    evidence = [{k: s[k] for k in ("chunk_id", "path", "start_line", "end_line")} for s in snippets]
    language = analysis.nodes[qa.subject].language if qa.subject in analysis.nodes else "sql"
    sample_id = stable_hash("repo-qa", repo, qa.kind, qa.question, qa.subject)
    # splits by domain: no domain's questions in two splits, in an order a hash fixes
    return Sample(sample_id, "repo-qa", qa.task, messages, language, repo,
                  ctx.source.commit or "", evidence, meta, time=int(stable_hash(domain)[:8], 16),
                  group=domain, columns={"snippets": snippets,
                                         "num_tokens": count_chat(messages, counter)})  # fmt: skip


def _rejected(ctx: RecipeContext, qa: QA | None, subject: str, reason: str, detail: str,
              stage: str) -> Rejected:  # fmt: skip
    kind, question = (qa.kind, qa.question) if qa is not None else (stage, "")
    sample_id = stable_hash("repo-qa", source_name(ctx.source), kind, question, subject)
    meta = {"kind": kind, "question": question, "subject": subject, "detail": detail}
    if qa is not None and qa.task != "qa_exact":  # what the model wrote, to read why
        meta["answer"] = qa.answer
    return Rejected(sample_id, "repo-qa", ctx.source.commit or "", reason, stage, meta)


SYSTEM = ("You answer questions about the {repo} repository: its flows, rules and states, "
          "naming the code (path and lines) each answer rests on.")  # fmt: skip

HOW = (
    "Made by `repomill build repo-qa`: the repository is indexed at one commit (tree-sitter), "
    "then analysed: a call graph through imports, injected fields, parameters and interface "
    "implementations; each definition's role (entry point, service, data access, entity…, "
    "and the rule that said so); MyBatis SQL statements linked to their mapper methods; "
    "guards, state transitions and transactions; flows from every entry point down to data "
    "access; and domains (Louvain over imports and calls). Each question's answer is "
    "computed from that analysis, so it is true of the commit; its evidence is the exact "
    "lines it rests on, checked against the commit's blobs, and every identifier it names "
    "exists there. Splits are by domain: no domain's questions are in two splits."
)

COLUMNS_DOC = """
- `task`: `qa_exact`; `meta` (JSON): `kind` (endpoints_reaching, flow, guards,
  state_transitions, implementations, impact, writes_insert / _update / _delete),
  `answer_items` (the answer as a list), `trace` (steps, each citing a chunk id), `domain`
- `messages`: system / user (the question) / assistant (prose and a list, with paths and
  lines)
- `evidence`: `{chunk_id, path, start_line, end_line}` of every definition the answer
  rests on; `snippets`: the same with `text`, exactly those lines of the commit
"""
