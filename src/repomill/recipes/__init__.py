"""Recipes: short compositions of stages that turn a repository into training samples."""
