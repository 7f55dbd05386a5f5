"""COCO's compressed RLE string: reading its run lengths, with every malformed input refused.

pycocotools reads these strings in C with no bounds checks and gives no access to the counts: a string that
ends inside a number is read past its end, and a string whose runs cover fewer pixels than ``h * w`` decodes
without complaint into a mask whose tail is whatever memory held (pycocotools 2.0.11). So
:func:`decode_counts` is a hand-written reader of that string (the inverse of ``rleToString`` in pycocotools'
``maskApi.c``) that refuses malformed input; callers check the sum against the mask's size.
"""

from __future__ import annotations

# A count needs at most 7 groups of 5 bits (35 bits); more is a malformed or hostile string.
_MAX_GROUPS = 7
# pycocotools keeps run lengths as uint32.
MAX_COUNT = 2**32 - 1


def decode_counts(text: str) -> list[int] | None:
    """Return the run lengths of a compressed COCO RLE string, or None when the string is malformed.

    Each count is a little-endian group of 5-bit digits (char - 48; bit 0x20 = more digits follow, bit 0x10
    of the last digit = negative), stored from the third count on as a difference to the count two before.
    """
    counts: list[int] = []
    value = shift = groups = 0
    for ch in text:
        c = ord(ch) - 48
        if c < 0 or c > 63:
            return None
        value |= (c & 0x1F) << shift
        shift += 5
        groups += 1
        if c & 0x20:
            if groups >= _MAX_GROUPS:
                return None
            continue
        if c & 0x10:
            value -= 1 << shift  # sign-extend the last digit
        if len(counts) > 2:
            value += counts[-2]
        if value < 0:
            return None
        counts.append(value)
        value = shift = groups = 0
    return counts if groups == 0 else None  # a string that ends inside a number is cut short
