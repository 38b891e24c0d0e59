"""Store notes: what staff need to remember about a store, pinned ones on its dashboard."""
