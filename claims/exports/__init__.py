"""Timeline exports for managers: one claim's timeline (PDF, CSV, XLSX, JSON) and portfolios of
many (CSV, XLSX), streamed a chunk of claims at a time and recorded in the audit trail. `timelines`
is what the web and the CLI call; it reads through `query`, builds rows in `rows` and writes them with
`files` and `pdf`. `sepa` writes payments to payees as a SEPA credit-transfer file and a CSV. It may
import claims' storage, reads and catalog, never the web."""
