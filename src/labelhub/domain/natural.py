"""``natural_key``: the text an item name sorts by in the grid's name order, as a file manager sorts.

``img1, img2, img10`` (digits compare as numbers) and ``a.jpg, B.jpg, c.jpg`` (case does not count), computed
once in Python and stored beside the name (``items.sort_key``), so that either database orders the keys by
plain code-point comparison, which SQLite's BINARY and PostgreSQL's ``COLLATE "C"`` both do: the order is the
same on both databases, whatever collation a PostgreSQL database was created with.

How a key is built:

- NFKC, then ``casefold``: full-width and compatibility forms read as their plain letters and digits (full-width
  ``A`` is ``a``, ``²`` is ``2``), and case is gone, the full Unicode way (``ß`` and ``SS`` fold to ``ss``, ``É`` to
  ``é``).
- Every run of ASCII digits becomes a form that sorts numerically as text: the run without its leading zeros,
  preceded by its digit count, and that count by the count's own digit count (``7`` -> ``117``, ``10`` ->
  ``1210``, ``0`` -> ``10``, a 120-digit run -> ``3120...``). A longer number has a longer count, so it sorts
  after a shorter one; numbers of one length compare digit by digit; and the form is self-delimiting, so what
  follows a number is compared only when the numbers are equal. No bound on a run's length.
- At most :data:`KEY_CHARS` characters are kept. The key shares PostgreSQL's index row with the name, whose
  size is bounded (2,704 bytes); names whose keys agree on that many characters fall back to the tie-break.

Keys tie for names that differ only in case, width or leading zeros (``img01`` and ``img1``, ``a`` and ``A``):
the list breaks ties by the exact name, compared the same way, which is unique in a project.

Hand-written because the order must be computed identically here and compared by the database: natsort and its
kind sort Python lists with Python comparisons, and give no text key a database can index and compare.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["KEY_CHARS", "natural_key"]

# Long enough for the folders and file name of any realistic item name, short enough that key + name fit one
# PostgreSQL index row wherever the name alone fit before (names of up to ~800 three-byte characters).
KEY_CHARS = 128

_DIGITS = re.compile(r"[0-9]+")


def _number(match: re.Match[str]) -> str:
    digits = match[0].lstrip("0")
    count = str(len(digits))
    return f"{len(count)}{count}{digits}"


def natural_key(name: str) -> str:
    """Return the key ``name`` sorts by in natural, case-insensitive order (compare keys by code point)."""
    # ASCII is its own NFKC form and its casefold is lower(): the fast path for most file names.
    folded = name.lower() if name.isascii() else unicodedata.normalize("NFKC", name).casefold()
    return _DIGITS.sub(_number, folded)[:KEY_CHARS]
