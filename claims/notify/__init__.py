"""Who is told of what: in-app notices, the inbox, the outbox rows and their delivery. May import storage,
letters and people."""
