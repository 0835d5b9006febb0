"""Recipes: what turns a repository into training samples. `commits/` (edit examples from
the history) and `self_align/` (instruction data verified in the sandbox), each a folder
with its settings and steps."""
