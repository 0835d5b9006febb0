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
from repomill.recipes.base import RecipeContext
from repomill.recipes.repo_qa.evidence import EvidenceBook
from repomill.recipes.repo_qa.exact import QA, exact_qa
from repomill.recipes.repo_qa.facts import Facts
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
    needs_llm = False
    no_input = "no code the analysis understands (no functions or methods)"
    preload = (IndexFilesStage.__module__,)

    def samples(self, ctx: RecipeContext) -> Iterator[Sample | Rejected]:
        if ctx.source.commit is None and ctx.source.is_git:
            raise UserError(f"{ctx.source.root}: the repository has no commits")
        analysis = _analysed(ctx)
        book = EvidenceBook(analysis.index, analysis.read, analysis.nodes, analysis.statements)
        facts = Facts(analysis.nodes, analysis.graph, analysis.roles, analysis.statements,
                      analysis.rules, analysis.flows, analysis.implementations)  # fmt: skip
        qa_run = StageRun("exact_qa", 1)
        ctx.manifest.add(qa_run)
        counter = load_tokenizer(ctx.settings.tokenizer)
        per_kind: Counter[str] = Counter()
        limit = ctx.settings.max_per_kind
        for qa in exact_qa(facts):
            if limit is not None and per_kind[qa.kind] >= limit:
                continue
            per_kind[qa.kind] += 1
            qa_run.items_in += 1
            with qa_run.timed():
                problem = book.problem(qa)
            if problem is not None:
                qa_run.skipped[problem.reason] += 1
                yield _rejected(ctx, qa, problem.reason, {"detail": problem.detail})
                continue
            qa_run.records_out += 1
            yield _sample(ctx, analysis, book, qa, counter)
        ctx.counts["questions"] = dict(sorted(per_kind.items()))
        ctx.funnel.append(["questions computed", qa_run.items_in])
        ctx.funnel.append(["evidence and identifiers checked", qa_run.records_out])

    def card(self, ctx: RecipeContext) -> dict[str, str]:
        counts = ctx.manifest.counts
        return {"How it was made": HOW, "Analysis": bullet_counts(counts["analysis"]),
                "Questions (kind: computed)": bullet_counts(counts["questions"]),
                "Rejected": bullet_counts(counts["rejected"]), "Columns": COLUMNS_DOC}  # fmt: skip


def _analysed(ctx: RecipeContext) -> Analysis:
    built = build_index(ctx.source, ctx.index, ctx.out, "build", ctx.show_progress, ctx.executor)
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
    (ctx.out / "domains.json").write_text(json.dumps(analysis.domain_json(), indent=2,
                                                     ensure_ascii=False) + "\n")  # fmt: skip
    return analysis


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
    return Sample(sample_id, "repo-qa", "qa_exact", messages, language, repo,
                  ctx.source.commit or "", evidence, meta, time=int(stable_hash(domain)[:8], 16),
                  group=domain, columns={"snippets": snippets,
                                         "num_tokens": count_chat(messages, counter)})  # fmt: skip


def _rejected(ctx: RecipeContext, qa: QA, reason: str, detail: dict) -> Rejected:
    sample_id = stable_hash("repo-qa", source_name(ctx.source), qa.kind, qa.question, qa.subject)
    meta = {"kind": qa.kind, "question": qa.question, "subject": qa.subject, **detail}
    return Rejected(sample_id, "repo-qa", ctx.source.commit or "", reason, "validate", meta)


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
