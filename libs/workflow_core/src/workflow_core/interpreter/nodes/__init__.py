"""One module per built-in node type, plus compute-node dispatch."""
