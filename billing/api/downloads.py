"""``Content-Disposition`` for a download whose name a user chose (RFC 6266 / RFC 8187).

``filename=`` carries a plain-ASCII fallback (accents dropped, quotes and controls
replaced) for old clients; ``filename*=UTF-8''…`` carries the real name, percent-encoded,
so no byte of the name can end the header or start another.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

_FALLBACK = "download"


def ascii_fallback(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    kept = "".join(
        char if 0x20 <= ord(char) < 0x7F and char not in '"\\%' else "_"
        for char in decomposed
        if not unicodedata.combining(char)
    )
    # a name that was all accents or symbols still needs something to save as
    return kept.strip() if kept.strip(" _") else _FALLBACK


def content_disposition(name: str) -> str:
    """``attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded name>``."""
    encoded = quote(name, safe="")
    return f"attachment; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{encoded}"
