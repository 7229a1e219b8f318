"""The edges: one module per platform or audience."""
