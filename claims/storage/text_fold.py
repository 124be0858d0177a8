"""Case folding exactly as SQLite's FTS5 trigram tokenizer folds, for text the search compares outside
the index (claims.storage.text_lookup): a candidate the index found by part of a term, and a claim the
list walks past when a term is in too many texts to list.

Python's str.lower() is not FTS5's folding: over 400 code points differ (µ, ſ and final ς fold to μ, s
and σ there; letters newer than FTS5's Unicode tables are not folded at all). So the non-ASCII
characters are folded by FTS5 itself, once per character a process meets, in a table in memory.
"""

from __future__ import annotations

import sqlite3
import threading

_lock = threading.Lock()
_folded: dict[str, str] = {}  # a non-ASCII character -> what FTS5 folds it to
_probe: sqlite3.Connection | None = None


def fold(text: str) -> str:
    """`text` with each character folded as FTS5's trigram tokenizer folds it (one for one: the
    folded text is as long as `text`)."""
    if text.isascii():
        return text.lower()
    unknown = {ch for ch in text if not ch.isascii() and ch not in _folded}
    if unknown:
        _learn(unknown)
    return "".join(_folded[ch] if not ch.isascii() else ch.lower() for ch in text)


def contains(text: str | None, folded_term: str) -> bool:
    """Whether `text` contains the term (already folded), in any case: SQLite's function
    claim_search_contains, registered on each connection."""
    return text is not None and folded_term in fold(text)


def _learn(chars: set[str]) -> None:
    global _probe
    with _lock:
        if _probe is None:
            _probe = sqlite3.connect(":memory:", check_same_thread=False)
            _probe.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'trigram')")
            _probe.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
        todo = sorted(ch for ch in chars if ch not in _folded)
        # a lone surrogate cannot reach SQLite (it is not UTF-8) and FTS5 would not fold it anyway
        probed = [ch for ch in todo if not 0xD800 <= ord(ch) <= 0xDFFF]
        # each character between two ASCII letters: the index holds one trigram per row, its middle
        # character the folded one
        rows = [(i, f"a{ch}b") for i, ch in enumerate(probed)]
        try:
            _probe.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", rows)
            for term, row in _probe.execute("SELECT term, doc FROM v"):
                _folded[probed[row]] = term[1:-1] if len(term) == 3 else probed[row]
        finally:
            # emptied even when a probe failed, so the next one does not meet its rowids
            _probe.execute("DELETE FROM t")
        for ch in todo:
            _folded.setdefault(ch, ch)
