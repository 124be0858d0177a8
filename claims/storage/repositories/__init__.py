"""Repositories: the only code of claims that builds and runs SQL, one module per table family. A
repository reads and writes inside the caller's transaction and never commits; the service opens the one
transaction (claims.storage.db.in_write) and commits once."""
