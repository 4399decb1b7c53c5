"""Private engine: running an evaluation."""
