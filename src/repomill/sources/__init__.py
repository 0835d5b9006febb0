"""Where code comes from: a git repository at a revision, or a plain directory."""

from repomill.sources.entries import FileEntry, SourceSpec
from repomill.sources.files import open_source, read_entry

__all__ = ["FileEntry", "SourceSpec", "open_source", "read_entry"]
