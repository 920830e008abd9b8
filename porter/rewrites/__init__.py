"""One module per rewrite. Each transformer records a Change for every node it replaces."""
