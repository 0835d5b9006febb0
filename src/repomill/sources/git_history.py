"""Walk a branch's history with pygit2 (one process, no `git` subprocesses): the commits to
mine, newest first, with what the filters need to know about each."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from itertools import count

import pygit2
from pygit2.enums import SortMode

from repomill.errors import UserError
from repomill.sources.files import git_repository


@dataclass(frozen=True)
class CommitMeta:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    time: int  # committer time, seconds since the epoch (UTC)
    message: str
    shallow: bool = False  # the cut edge of a shallow clone: its parents are not here

    @property
    def parent(self) -> str | None:
        return self.parents[0] if self.parents else None

    def to_json(self) -> dict:
        return {**asdict(self), "parents": list(self.parents)}

    @classmethod
    def from_json(cls, data: dict) -> CommitMeta:
        return cls(**{**data, "parents": tuple(data["parents"])})


def parse_date(text: str | None, flag: str) -> int | None:
    """An ISO date or datetime (naive means UTC) as epoch seconds; UserError if malformed."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"{flag} {text!r}: expected a date like 2024-01-31") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def list_commits(
    root: str,
    head: str,
    max_commits: int | None = None,
    since: int | None = None,
    until: int | None = None,
    first_parent: bool = False,
) -> tuple[list[CommitMeta], list[str]]:
    """Commits reachable from `head`, newest first (by committer time, like `git log`);
    with `first_parent`, only the branch's own line. `max_commits` counts non-merge
    commits (as `git log --no-merges -n` does); the merges among them are listed too, so
    the caller can count them as rejected. Also the ids of parents the history names but
    the repository does not have: the walk goes on around them (their children list
    them as parents, and mining rejects those)."""
    repo = git_repository(root)
    shallow = _shallow_commits(repo)
    missing: list[str] = []
    found: list[CommitMeta] = []
    candidates = 0
    for commit in _walk(repo, pygit2.Oid(hex=head), first_parent, missing):
        when = commit.commit_time
        if until is not None and when > until:
            continue
        if since is not None and when < since:
            # Time order is only roughly topological; a first-parent line is strictly older.
            if first_parent:
                break
            continue
        found.append(_meta(commit, str(commit.id) in shallow))
        if len(commit.parent_ids) <= 1:
            candidates += 1
            if max_commits is not None and candidates >= max_commits:
                break
    return found, missing


def _walk(repo: pygit2.Repository, head: pygit2.Oid, first_parent: bool,
          missing: list[str]) -> Iterator[pygit2.Commit]:  # fmt: skip
    """libgit2's time-sorted walk. Where it meets a missing object it fails, often before
    yielding anything; then the rest comes, newest first too, from a walk of our own that
    steps around missing parents and appends their ids to `missing`."""
    walker = repo.walk(head, SortMode.TIME)
    if first_parent:
        walker.simplify_first_parent()
    seen: set[pygit2.Oid] = set()
    try:
        for commit in walker:
            seen.add(commit.id)
            yield commit
        return
    except KeyError:
        pass
    for commit in _tolerant_walk(repo, head, first_parent, missing):
        if commit.id not in seen:
            yield commit


def _tolerant_walk(repo: pygit2.Repository, head: pygit2.Oid, first_parent: bool,
                   missing: list[str]) -> Iterator[pygit2.Commit]:  # fmt: skip
    queued = {head}
    order = count()  # ties: first queued first
    heap = [(-repo[head].commit_time, next(order), repo[head])]
    while heap:
        commit = heapq.heappop(heap)[2]
        yield commit
        for parent_id in commit.parent_ids[:1] if first_parent else commit.parent_ids:
            if parent_id in queued:
                continue
            queued.add(parent_id)
            try:
                parent = repo[parent_id]
            except KeyError:
                missing.append(str(parent_id))
                continue
            heapq.heappush(heap, (-parent.commit_time, next(order), parent))


def _shallow_commits(repo: pygit2.Repository) -> set[str]:
    """Commits at the edge of a shallow clone (git lists them in $GIT_DIR/shallow and
    shows them without parents)."""
    if not repo.is_shallow:
        return set()
    with open(f"{repo.path.rstrip('/')}/shallow", encoding="ascii") as fh:
        return {line.strip() for line in fh if line.strip()}


def _meta(commit: pygit2.Commit, shallow: bool) -> CommitMeta:
    author = commit.author
    return CommitMeta(
        sha=str(commit.id),
        parents=tuple(str(p) for p in commit.parent_ids),
        author_name=_text(author.raw_name),
        author_email=_text(author.raw_email),
        time=commit.commit_time,
        message=_text(commit.raw_message),
        shallow=shallow,
    )


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")
