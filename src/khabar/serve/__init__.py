"""``khabar serve``: the HTTP API and the Arabic web UI over a story index."""
