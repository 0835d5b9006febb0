"""repomill: turn a code repository and its git history into verified training data."""

__version__ = "0.1.0"
