"""Instructions a model writes for commits whose message says nothing (`--rewrite-
instructions`): 233 of macrozheng/mall's newest 300 commits are "Update XxxService.java".
The model sees the change (a unified diff of each unit, cut to a budget) and writes a
terse "lazy" instruction and a descriptive one, as OpenCodeEdit does; each example uses
one of the two (by its commit id, so the data holds both styles), and its `meta` keeps
the original message and both. An answer is hostile until checked: both sections
present, short, no code, and informative by the message filters' own test; otherwise
the commit stays rejected for its message, with why the instruction failed."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from repomill.llm.client import LLM
from repomill.llm.factory import make_llm
from repomill.llm.parse import sections, unusable_reason
from repomill.llm.prompts import render
from repomill.llm.types import Request
from repomill.recipes.base import RecipeContext
from repomill.recipes.commits.messages import message_reject_reason
from repomill.recipes.commits.mined import MinedCommit

STYLES = ("lazy", "descriptive")
MAX_CHARS = {"lazy": 200, "descriptive": 1200}
DIFF_CHARS = 6000  # of the change shown to the model; the rest is said to be left out
ANSWER_TOKENS = 320


@dataclass(frozen=True)
class Instructions:
    lazy: str
    descriptive: str

    def chosen(self, sha: str) -> tuple[str, str]:
        """(style, instruction) an example of commit `sha` uses: half of commits each."""
        style = STYLES[int(sha[-1], 16) % 2]
        return style, getattr(self, style)

    def meta(self, sha: str, original: str) -> dict[str, Any]:
        style, _ = self.chosen(sha)
        return {"instruction_source": "model", "instruction_style": style,
                "original_message": original,
                "instructions": {"lazy": self.lazy, "descriptive": self.descriptive}}  # fmt: skip


class InstructionWriter:
    """Writes the instructions of each mined batch's commits that need one (a commit
    with a `message_issue`), in one batch of model calls; without --rewrite-instructions
    there are none (mining rejected those commits)."""

    def __init__(self, ctx: RecipeContext, repo: str):
        wanted = ctx.settings.rewrite_instructions and ctx.llm is not None
        self.llm = make_llm(ctx.llm, ctx.out / ".cache" / "llm.sqlite") if wanted else None
        self.repo = repo
        self.asked = self.written = 0
        self._meta: dict[str, dict[str, Any]] = {}  # sha -> what an example's meta adds
        self._failed: dict[str, str] = {}  # sha -> why its instruction is unusable

    def write(self, batch: list[MinedCommit]) -> None:
        """Give each pending commit of `batch` its instruction, or reject it for its message."""
        pending = [m for m in batch if m.ok and m.message_issue]
        if not pending or self.llm is None:
            return
        self.asked += len(pending)
        for mined, written in zip(pending, write_instructions(self.llm, self.repo, pending),
                                  strict=True):  # fmt: skip
            if isinstance(written, str):
                self._failed[mined.sha] = written
                mined.reject(mined.message_issue)
                continue
            self.written += 1
            self._meta[mined.sha] = written.meta(mined.sha, mined.message)
            mined.message = written.chosen(mined.sha)[1]

    def meta(self, mined: MinedCommit) -> dict[str, Any]:
        return self._meta.get(mined.sha, {})

    def why(self, mined: MinedCommit) -> dict[str, Any] | None:
        """A rejected commit's detail: why its model-written instruction failed, if it did."""
        failed = self._failed.get(mined.sha)
        return {"instruction_error": failed} if failed else None

    def close(self) -> None:
        if self.llm is not None:
            self.llm.close()


def write_instructions(llm: LLM, repo: str, commits: list[MinedCommit]
                       ) -> list[Instructions | str]:  # fmt: skip
    """For each commit, its instructions or why the model's answer is unusable."""
    requests = [Request.chat([{"role": "user", "content": _prompt(repo, c)}], temperature=0.0,
                             max_tokens=ANSWER_TOKENS) for c in commits]  # fmt: skip
    return [_checked(result) for (result,) in llm.generate(requests)]


def _prompt(repo: str, commit: MinedCommit) -> str:
    return render("commits/instruction", repo=repo, message=commit.message[:200],
                  diff=change_text(commit))  # fmt: skip


def change_text(commit: MinedCommit) -> str:
    """Each unit's unified diff (its old path to its new one), within DIFF_CHARS."""
    parts, used = [], 0
    for unit in commit.units:
        old_path = unit.get("old_path") or unit["path"]
        old, new = unit["old_code"].splitlines(), unit["new_code"].splitlines()
        lines = difflib.unified_diff(old, new, f"a/{old_path}", f"b/{unit['path']}",
                                     lineterm="", n=2)  # fmt: skip
        text = f"{unit['path']} :: {unit['symbol']}\n```diff\n" + "\n".join(lines) + "\n```"
        if used + len(text) > DIFF_CHARS:
            parts.append(f"({len(commit.units) - len(parts)} more changed units left out)")
            break
        parts.append(text)
        used += len(text)
    return "\n\n".join(parts)


def _checked(result) -> Instructions | str:
    reason = unusable_reason(result, list(STYLES))
    if reason:
        return reason
    found = sections(result.text, list(STYLES))
    texts = {style: " ".join(found[style].split()) for style in STYLES}
    for style, text in texts.items():
        if len(text) > MAX_CHARS[style]:
            return f"{style}_too_long"
        if "```" in text or "</" in text:
            return f"{style}_has_markup"
        if message_reject_reason(text.split("\n", 1)[0]) is not None:
            return f"{style}_uninformative"
    return Instructions(texts["lazy"], texts["descriptive"])
