"""Platform services every provider shares: time, ids, journal, limits, webhooks, storage, keys."""
