"""The code index: chunks, symbols, imports and cross-file context, built with tree-sitter."""
