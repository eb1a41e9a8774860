"""Accent- and case-insensitive text search without a database extension.

``fold`` turns a text into lowercase without accents ("Candélabre" -> "candelabre"); the request's
``search_text`` column holds its description and address folded this way (written by the
action layer when a request is filed, and by a data migration for older rows), so one plain
``LIKE '%...%'`` finds "candélabre" when "candelabre" is typed, on SQLite and PostgreSQL alike.
"""

import unicodedata

# Letters that Unicode does not decompose into a base letter and an accent.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d", "’": "'"})


def fold(text):
    """``text`` in lowercase, without accents or ligatures, its spaces squeezed."""
    text = unicodedata.normalize("NFKD", str(text or "").casefold()).translate(_LIGATURES)
    return " ".join("".join(char for char in text if not unicodedata.combining(char)).split())


def search_text_of(description="", address=""):
    """The folded text a request is found by (its reference is searched as it is)."""
    return fold(" ".join(part for part in (description, address) if part))
