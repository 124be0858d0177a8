"""Who is told of what: in-app notices, the inbox, the outbox rows, and their delivery (the claims side of
notifications.outbox). May import storage, letters, people and the runtime."""
