"""Reading git objects without hanging. libgit2 loops forever reading a loose object whose
compressed stream is cut short, while reading its header fails at once: so every blob and
tree read goes through a header read first. A corrupt object is then a KeyError, like a
missing one, for the callers' `missing_object` skips."""

from __future__ import annotations

import pygit2


class CorruptObject(pygit2.GitError, KeyError):
    """An object whose header cannot be read (a KeyError like pygit2's NotFoundError)."""


def object_size(repo: pygit2.Repository, oid: pygit2.Oid | str) -> int:
    """The object's size from its header; KeyError when it is missing or corrupt."""
    key = oid if isinstance(oid, pygit2.Oid) else pygit2.Oid(hex=oid)
    try:
        return repo.odb.read_header(key)[1]
    except KeyError:
        raise
    except pygit2.GitError as exc:
        raise CorruptObject(f"{key}: {exc}") from None


def read_object(repo: pygit2.Repository, oid: pygit2.Oid | str) -> pygit2.Object:
    object_size(repo, oid)
    return repo[oid]
