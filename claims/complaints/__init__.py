"""Klachtbehandeling: the complaint track's service terms (kept as data in terms.yaml), the clocks they
give, and the words a complaint is shown in (status, outcome, the policy's turnover band for Kifid).
Knows no database; claims.service.complaints writes complaints and their clocks."""
