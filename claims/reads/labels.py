"""Dutch names for what the timeline and a claim's outcome hold, shared by the pages and the exports."""

from __future__ import annotations

OUTCOME_LABELS = {
    "settled": "Geregeld",
    "rejected": "Afgewezen",
    "withdrawn": "Ingetrokken",
    "duplicate": "Dubbele melding",
}
EVENT_LABELS = {
    "opened": "Melding geregistreerd",
    "transition": "Transitie",
    "note": "Notitie",
    "deadline_reminder": "Herinnering termijn",
    "deadline_overdue": "Termijn verlopen",
    "deadline_escalated": "Geëscaleerd naar de manager",
    "late_notice": "Late melding (art. 7:941 BW)",
    "migrated": "Overgezet naar een nieuwe workflowversie",
    "reopened": "Claim heropend",
    "followup_added": "Opvolging in de agenda",
    "followup_done": "Opvolging afgehandeld",
    "party_added": "Partij toegevoegd",
    "party_changed": "Partij gewijzigd",
    "document": "Document toegevoegd",
    "document_answer": "Antwoord op informatieverzoek ontvangen",
    "claims_made": "Buiten de claims-made-dekking (looptijd of terugwerkende kracht)",
    "proposal": "Voorgelegd aan een manager (boven bevoegdheid)",
    "proposal_rejected": "Voorstel afgewezen",
    "proposal_withdrawn": "Voorstel ingetrokken",
    "payment_paid": "Betaling uitgevoerd",
    "payment_cancelled": "Betaling geannuleerd",
    "complaint_registered": "Klacht geregistreerd",
    "complaint_acknowledged": "Ontvangst van de klacht bevestigd",
    "complaint_extended": "Antwoordtermijn van de klacht verlengd",
    "complaint_answered": "Klacht beantwoord",
}
PAYMENT_STATUS_LABELS = {
    "proposed": "voorgesteld",
    "approved": "goedgekeurd, te betalen",
    "paid": "betaald",
    "cancelled": "geannuleerd",
}
BOOKED_AS_LABELS = {
    "beredding": "beredding (buiten het verzekerd bedrag)",
    "voorschot": "voorschot op de schade",
}
