"""Verification: run generated code and its tests in a sandbox, and say why it failed."""
