"""Metrics of a model's answers on a dataset's test split, one module per task, each a pure
function of (the dataset row, the generated text) and a `summarise` of many results:

- `commit_edits`: commit rows (`recipe == "commits"`): the answer read back in the row's
  target format (`answers`), scored against the reference units; `change_nothing_baseline`
  scores the old code as the answer.
- `self_align`: pass@1 of the generated implementation against the row's own tests, run
  in the sandbox.
- `repo_qa`: exact-QA answer accuracy (`qa_exact` rows).
- `free_answers`: citation, evidence, quote and identifier checks of free answers (`qa`,
  `design`), each failure a reason code.

None of them raises on what a model wrote: garbage scores 0 (or a reason code)."""
