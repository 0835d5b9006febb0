"""The self-align recipe (SelfCodeAlign style): seed functions from the repository →
concepts → instruction → responses with tests → tests run in the sandbox → passing
responses kept."""
