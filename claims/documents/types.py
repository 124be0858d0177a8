"""The kinds of document a claim file holds and who sees them, with their Dutch names for the screens."""

from __future__ import annotations

DOC_TYPES = {
    "melding": "Melding",
    "contract": "Contract",
    "invoice": "Factuur",
    "expert_report": "Expertiserapport",
    "correspondence_in": "Ontvangen correspondentie",
    "correspondence_out": "Verzonden correspondentie",
    "other": "Overig",
}
# what an expert may add: their report and the letters they exchange about the claim
EXPERT_DOC_TYPES = ("expert_report", "correspondence_in", "correspondence_out")
# the one kind that can answer an information request: what came in from outside
ANSWERING_DOC_TYPE = "correspondence_in"

VISIBILITIES = {
    "internal": "Intern",  # the insurer's own: never shown to an expert
    "shared": "Gedeeld met de expert",
}
MAX_TITLE = 200
