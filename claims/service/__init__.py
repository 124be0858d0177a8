"""The only writers of claim state: a melding opened, a trigger fired, letters previewed, a note added.
May import every domain package below it, never reads, exports, cli or web. The functions every
interface calls are here:"""

from claims.service.documents import add_document, mark_answer
from claims.service.melding import open_claim
from claims.service.notes import MAX_NOTE, add_note
from claims.service.outcome import Outcome
from claims.service.payments import (
    approve_proposal,
    cancel_payment,
    mark_paid,
    reject_proposal,
    withdraw_proposal,
)
from claims.service.reopen import reopen_claim
from claims.service.transition import Preview, advance, preview, preview_letters

__all__ = [
    "MAX_NOTE",
    "Outcome",
    "Preview",
    "add_document",
    "add_note",
    "advance",
    "approve_proposal",
    "cancel_payment",
    "mark_answer",
    "mark_paid",
    "open_claim",
    "preview",
    "preview_letters",
    "reject_proposal",
    "reopen_claim",
    "withdraw_proposal",
]
