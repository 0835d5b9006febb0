"""The model's part: seed → concepts (temperature 0) → instruction → `samples` responses,
each parsed into reasoning / implementation / explanation / tests. All calls go through
the LLM layer, so they are cached and a re-run resumes; when every call failed, the run
stops with the cause."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from repomill.engine.keys import stable_hash
from repomill.errors import UserError
from repomill.llm.client import LLM
from repomill.llm.parse import code_blocks, sections, unusable_reason
from repomill.llm.prompts import few_shot
from repomill.llm.types import Request, Result
from repomill.recipes.self_align import examples
from repomill.recipes.self_align.grounded import Api
from repomill.recipes.self_align.seeds import Seed

CATEGORIES = ("function implementation", "data transformation", "algorithm",
              "string processing", "validation and edge cases")  # fmt: skip
DIFFICULTIES = ("easy", "medium", "hard")


@dataclass
class Task:
    seed: Seed
    language: str
    concepts: str = ""
    category: str = ""
    difficulty: str = ""
    instruction: str = ""
    rejected: str = ""  # why the seed produced no task
    error: str = ""  # the model's error, when that was why
    responses: list[Result] = field(default_factory=list)
    api: Api | None = None  # grounded: the repository function the task uses

    @property
    def prompt(self) -> str:
        """The task as the sample's user turn: the instruction, and a grounded task's API."""
        if self.api is None:
            return self.instruction
        return (f"{self.instruction}\n\nThe repository provides:\n```{self.language}\n"
                f"{self.api.text}\n```")  # fmt: skip


def _ask(llm: LLM, phase: str, chats: list[list[dict[str, str]]], **settings
         ) -> list[list[Result]]:  # fmt: skip
    return llm.generate([Request.chat(chat, **settings) for chat in chats], phase)


def _chat(template: str, shots: list[tuple[dict, str]], **variables) -> list[dict[str, str]]:
    return few_shot(f"self_align/{template}", shots, "self_align/system", **variables)


MAX_FREE_TEXT = 600


def _section(result: Result, name: str) -> tuple[str, str]:
    """(the section's text, or "" and why it is unusable). Concepts and instructions are
    free text feeding the next prompt: when a (small) model leaves out the tags, or runs
    out of tokens, its leading text is used; only failed or empty outputs are rejected.
    Responses get no such leniency: their code must run."""
    reason = unusable_reason(result, [name])
    if not result.ok or reason == "empty":
        return "", reason
    found = sections(result.text, [name]).get(name, "").strip()
    if not found:
        found = result.text.strip().split("\n\n")[0][:MAX_FREE_TEXT].strip()
    return (found, "") if found else ("", "empty")


MAX_CONCEPTS = 8


def distinct_concepts(listed: str) -> str:
    """A comma-separated list without repeats (case-insensitive), at most MAX_CONCEPTS long:
    small models repeat items until their tokens run out."""
    seen: dict[str, str] = {}
    for item in (part.strip() for part in listed.split(",")):
        if item and item.lower() not in seen:
            seen[item.lower()] = item
    return ", ".join(list(seen.values())[:MAX_CONCEPTS])


def generate(llm: LLM, seeds: list[Seed], samples: int, target_language: str | None,
             max_tokens: int = 1024, apis: dict[str, Api] | None = None) -> list[Task]:  # fmt: skip
    """`apis`: grounded tasks, one per seed that has an API there (see `grounded`)."""
    apis = apis or {}
    tasks = [Task(seed, target_language or seed.language, api=apis.get(seed.seed_id))
             for seed in seeds]  # fmt: skip
    chats = [_chat("concepts", examples.CONCEPTS, language=t.seed.language, code=t.seed.code)
               for t in tasks]  # fmt: skip
    concepts = _ask(llm, "concepts", chats, temperature=0.0, max_tokens=160)
    for task, (result,) in zip(tasks, concepts, strict=True):
        task.concepts, why = _section(result, "concepts")
        task.concepts = distinct_concepts(task.concepts)
        task.rejected, task.error = f"concepts_{why}" if why else "", result.error or ""
        pick = int(stable_hash(task.seed.seed_id)[:8], 16)
        task.category = CATEGORIES[pick % len(CATEGORIES)]
        task.difficulty = DIFFICULTIES[(pick // len(CATEGORIES)) % len(DIFFICULTIES)]
    live = [t for t in tasks if not t.rejected]
    chats = [_instruction_chat(t) for t in live]
    instructions = _ask(llm, "instructions", chats, temperature=0.7, max_tokens=300, seed=1)
    for task, (result,) in zip(live, instructions, strict=True):
        task.instruction, why = _section(result, "instruction")
        why = why or instruction_reason(task.instruction, task.api)
        if why:
            task.instruction = ""
        task.rejected, task.error = f"instruction_{why}" if why else "", result.error or ""
    live = [t for t in live if not t.rejected]
    chats = [_chat("response", examples.grounded_responses() if t.api
                   else examples.responses(t.language), language=t.language,
                   instruction=t.instruction, api=t.api and t.api.text)
             for t in live]  # fmt: skip
    answers = _ask(llm, "responses", chats, n=samples, temperature=0.7, max_tokens=max_tokens,
                   seed=2)  # fmt: skip
    for task, results in zip(live, answers, strict=True):
        task.responses = results
    if llm.stats.samples and llm.stats.failures == llm.stats.samples:
        raise UserError(llm.failure_summary())  # nothing was made: say why, not "0 examples"
    return tasks


def _instruction_chat(task: Task) -> list[dict[str, str]]:
    shown = {"language": task.language, "concepts": task.concepts, "category": task.category,
             "difficulty": task.difficulty}  # fmt: skip
    if task.api is None:
        return _chat("instruction", examples.INSTRUCTIONS, **shown)
    return _chat("instruction_grounded", examples.GROUNDED_INSTRUCTIONS, **shown,
                 api=task.api.text, function=task.api.name)  # fmt: skip


def instruction_reason(instruction: str, api: Api | None) -> str:
    """Why an instruction is unusable, or "": it holds code (a small model solving the task,
    not stating it), asks for an example's function, or (grounded) never names its API."""
    if "```" in instruction:
        return "is_code"
    if examples.copies_example(instruction):
        return "copies_example"
    if api is not None and not re.search(rf"\b{re.escape(api.name)}\b", instruction):
        return "ignores_api"
    return ""


def api_reason(code: str, api: Api | None) -> str:
    """Why a grounded response's implementation does not build on its API, or ""."""
    if api is None:
        return ""
    if re.search(rf"^\s*(async\s+)?def\s+{re.escape(api.name)}\s*\(", code, re.M):
        return "api_redefined"
    if not re.search(rf"\b{re.escape(api.name)}\s*\(", code):
        return "api_unused"
    return ""


_TEST_MARKERS = ("assert", "throw", "expect(", "Error(")


def parse_response(result: Result, language: str) -> tuple[str, str, str]:
    """(implementation code, test code, rejection reason or ""). The tagged sections are
    asked for; a response without them still counts when it has an implementation block
    and a later block that asserts (small models drop tags). The sandbox decides the rest."""
    reason = unusable_reason(result)
    if reason:
        return "", "", reason
    found = sections(result.text, ["implementation", "tests"])
    if "implementation" in found and "tests" in found:
        code = code_blocks(found["implementation"], language) or code_blocks(
            found["implementation"]
        )
        tests = code_blocks(found["tests"], language) or code_blocks(found["tests"])
    else:
        blocks = code_blocks(result.text, language)
        code = blocks[:1]
        tests = [b for b in blocks[1:] if any(m in b.code for m in _TEST_MARKERS)][-1:]
    if not code:
        return "", "", "no_code_block"
    if not tests or not tests[0].code.strip():
        return "", "", "no_tests"
    return code[0].code, tests[0].code, ""
