"""The rows each recipe builds from fixed fixture repositories, pinned by digest (see
digests.py): a refactor must leave them identical. A change meant to alter what samples
contain updates these digests in the same commit, and its note says why (the last, of the
commit rows: `withdraw`, new at the end of service.py, has `old_start_line` 7, the old line
it goes before, where it had 0; nothing else changed)."""

from __future__ import annotations

import pytest

from repomill.curate.settings import CurateConfig
from repomill.llm.factory import LLMConfig
from repomill.recipes.commits.settings import CommitsConfig
from repomill.recipes.self_align.settings import SelfAlignConfig
from repomill.verify import sandbox

from .builds import build_recipe
from .conftest import git, make_repo
from .digests import dataset_digest
from .openai_server import FakeOpenAI
from .test_commits import history  # noqa: F401 (a fixture)
from .test_self_align import PYTHON, TYPESCRIPT, script

COMMITS = {
    "rejected": "8:3c2ee9aa7826b740",
    "test": "1:42b9d2f9b1b486d6",
    "train": "2:7c432f1be21d0ff0",
    "validation": "1:796775139f05c949",
}
# rejected: a failed TypeScript run's stderr_tail now ends with its error, not stack frames
SELF_ALIGN = {"rejected": "13:763bfd28785e35f0", "train": "2:91a508b45ec16dd7"}


def test_commit_rows_are_unchanged(history, tmp_path):  # noqa: F811
    repo, _ = history
    out = tmp_path / "out"
    build_recipe("commits", repo, out, CommitsConfig(validation=0.2, test=0.2))
    assert dataset_digest(out) == COMMITS


@pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bubblewrap is missing")
def test_self_align_rows_are_unchanged(tmp_path):
    repo = make_repo(tmp_path / "repo", {"lib/nums.py": PYTHON, "web/larger.ts": TYPESCRIPT})
    git(repo, "commit", "-q", "--amend", "--no-edit", "--date", "1700000000 +0000",
        env_extra={"GIT_COMMITTER_DATE": "1700000000 +0000"})  # fmt: skip
    out = tmp_path / "out"
    with FakeOpenAI(script=script) as server:
        llm = LLMConfig(backend="openai", base_url=server.url, model="fake", max_retries=1)
        build_recipe(
            "self-align",
            repo,
            out,
            SelfAlignConfig(samples=5, keep="all-passing"),
            curate=CurateConfig(near_threshold=1.0),
            llm=llm,
        )
    assert dataset_digest(out) == SELF_ALIGN
