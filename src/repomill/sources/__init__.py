"""Where code comes from: a git repository at a revision, or a plain directory."""

from repomill.sources.files import FileEntry, SourceSpec, open_source, read_entry

__all__ = ["FileEntry", "SourceSpec", "open_source", "read_entry"]
