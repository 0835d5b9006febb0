"""Commit metadata filters (CommitPackFT-style heuristics) and message cleaning. Each
predicate returns a rejection reason or None; the cheapest run first."""

from __future__ import annotations

import re

from repomill.sources.git_history import CommitMeta

BOT_PATTERN = re.compile(
    r"\[bot\]|dependabot|renovate|github-actions|greenkeeper|snyk-bot|pre-commit-ci|mergify"
    r"|imgbot|allcontributors|semantic-release-bot|bors\b|weblate|transifex",
    re.IGNORECASE,
)
TRAILER = re.compile(
    r"^(signed-off-by|co-authored-by|reviewed-by|acked-by|tested-by|reported-by|change-id"
    r"|cc|suggested-by|helped-by|fixes|closes|resolves|refs?)\s*:.*$",
    re.IGNORECASE,
)
SKIP_TAGS = re.compile(r"\[(skip ci|ci skip|no ci|skip actions)\]", re.IGNORECASE)
PR_SUFFIX = re.compile(r"\s*\(#\d+\)\s*$")
UNINFORMATIVE = re.compile(
    r"^(wip|tmp|temp|test|tests|testing|fix|fixes|fixed|bugfix|update|updates|updated|changes"
    r"|change|misc|minor|cleanup|clean up|typo|typos|stuff|commit|save|sync|done|more|lint"
    r"|format|formatting|refactor|initial commit|first commit|init|\.+|-+)[.!]*$",
    re.IGNORECASE,
)
UPDATE_FILE = re.compile(
    r"^(update|create|add|delete|remove|rename)\s+[\w./-]+\.\w{1,6}$", re.IGNORECASE
)
VERSION_BUMP = re.compile(
    r"^(v?\d+(\.\d+)+\S*|(bump|release|prepare|cut)\b.*\d+\.\d+|version\s+v?\d+(\.\d+)+"
    r"|(chore\W+)?(release|bump version))",
    re.IGNORECASE,
)
HASH_ONLY = re.compile(r"^[0-9a-f]{7,40}$", re.IGNORECASE)
# what a model may replace with an instruction it writes (--rewrite-instructions)
REWRITABLE = frozenset({"empty_message", "uninformative_message", "message_too_short"})
MIN_SUBJECT_CHARS = 10
MIN_SUBJECT_WORDS = 2
# Scripts written without spaces between words (Han, Hiragana, Katakana) and Hangul: one
# of their letters carries about half an English word and takes two columns. Ranges: CJK
# radicals to Yi (kana, bopomofo and Hangul jamo included), Hangul syllables, CJK
# compatibility ideographs, halfwidth kana and Hangul, the supplementary ideograph planes.
_CJK_RANGES = ((0x2E80, 0xA4CF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF66, 0xFFDC),
               (0x20000, 0x3134F))  # fmt: skip


def clean_message(message: str) -> str:
    """Subject and body without trailers, CI tags, a `(#123)` PR suffix and extra blank
    lines."""
    lines = [line.rstrip() for line in message.replace("\r\n", "\n").split("\n")]
    lines = [SKIP_TAGS.sub("", line).rstrip() for line in lines if not TRAILER.match(line)]
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return ""
    lines[0] = PR_SUFFIX.sub("", lines[0]).strip()
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def commit_reject_reason(meta: CommitMeta, message: str) -> str | None:
    """Why this commit cannot make an example, judged from metadata alone."""
    if len(meta.parents) > 1:
        return "merge"
    if meta.shallow:
        return "shallow_boundary"  # its diff would be the whole tree
    if BOT_PATTERN.search(meta.author_name) or BOT_PATTERN.search(meta.author_email):
        return "bot_author"
    subject = message.split("\n", 1)[0].strip()
    if subject.lower().startswith("revert") or "This reverts commit" in meta.message:
        return "revert"
    return message_reject_reason(subject)


def message_reject_reason(subject: str) -> str | None:
    if not subject:
        return "empty_message"
    if HASH_ONLY.match(subject):
        return "uninformative_message"
    if UNINFORMATIVE.match(subject) or UPDATE_FILE.match(subject):
        return "uninformative_message"
    if VERSION_BUMP.match(subject):
        return "version_bump"
    if subject_width(subject) < MIN_SUBJECT_CHARS or subject_words(subject) < MIN_SUBJECT_WORDS:
        return "message_too_short"
    return None


def _cjk_letter(char: str) -> bool:
    """A letter of a CJK script or Hangul (not its punctuation, not an emoji)."""
    code = ord(char)
    return char.isalnum() and any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def subject_width(subject: str) -> int:
    """Its length in columns: a CJK or Hangul letter counts two."""
    return len(subject) + sum(map(_cjk_letter, subject))


def subject_words(subject: str) -> float:
    """Words in any script: a CJK or Hangul letter is half a word (those scripts put few
    or no spaces between words); any other run of characters between spaces and CJK
    letters is one word if it holds a letter or digit. Emoji and punctuation count
    nothing."""
    cjk = sum(map(_cjk_letter, subject))
    rest = "".join(" " if _cjk_letter(char) else char for char in subject).split()
    return cjk / 2 + sum(any(char.isalnum() for char in run) for run in rest)
