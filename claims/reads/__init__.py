"""Read-side queries: the claim list, a claim's view and timeline, the dashboard and the audit trail. Writes
nothing but audit entries; may import the domain packages, never service, cli or web."""
