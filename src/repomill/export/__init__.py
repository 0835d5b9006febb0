"""Export: the sample schema, leakage-free splits, and the Hugging Face datasets layout
(Parquet or JSONL shards, rejected records, a dataset card, the manifest)."""
