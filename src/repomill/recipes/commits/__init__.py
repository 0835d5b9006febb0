"""The commit recipe: every useful commit becomes an edit example (message + cross-file
context + old code → new code)."""
