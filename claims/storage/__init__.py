"""Storage: tables and models, column types, the engine and its transactions, the fast statement path and the
migrations. Imports nothing of claims but claims.errors."""
