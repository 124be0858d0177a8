"""Storage, the only code of claims that touches SQL: tables and models, column types, the engine and its
transactions (db), migrations/, typed rows (records), who may see which claims as data (scopes), the
repositories (one module per table family) and the statement path they run on (statements). Imports
nothing of claims but claims.errors."""
