"""Time: the deadline sweep (warn, flag, escalate) and the scheduler that ticks it and the outbox. May import
storage, letters, notify, config and the runtime."""
