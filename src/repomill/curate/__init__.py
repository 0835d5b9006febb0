"""Curation, applied to every recipe's samples before export: secrets and personal data,
quality filters, benchmark decontamination, exact and near-duplicate removal."""
