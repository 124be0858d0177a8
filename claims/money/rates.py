"""Reference data the application needs to work (not demo data): statutory interest rates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from sqlmodel import Session

from claims.storage.repositories import rates

RATES_FILE = Path(__file__).parent / "data" / "interest_rates.yaml"


def load_interest_rates(session: Session, path: Path = RATES_FILE) -> int:
    """Add the rates of the data file that the table lacks; a corrected row in the table is kept."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    added = 0
    conn = session.connection()
    for row in data["rates"]:
        for kind in ("wettelijk", "handels"):
            valid_from = row["from"] if isinstance(row["from"], date) else date.fromisoformat(row["from"])
            if rates.has_rate(conn, kind, valid_from):
                continue
            rates.add(
                conn,
                {
                    "kind": kind,
                    "valid_from": valid_from,
                    "rate": str(row[kind]),
                    "source": data["source_default"],
                    "checked": bool(row.get(f"{kind}_checked", True)),
                },
            )
            added += 1
    return added
