"""Cases: the shared case rules, the local case store with its outbox, listing, reports."""
