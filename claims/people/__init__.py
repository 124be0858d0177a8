"""People: users and API tokens, log-ins and sessions, permissions, account administration. May import
storage and claims.errors only."""
