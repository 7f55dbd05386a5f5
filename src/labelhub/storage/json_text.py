"""JSON text the database can store: orjson's encoding, refusing what PostgreSQL's JSON types cannot hold."""

from __future__ import annotations

import re

import orjson

from labelhub.errors import ValidationError

# A NUL in a JSON string, as orjson writes it: ``\u0000`` after an even number of backslashes. Neither
# PostgreSQL's text nor its JSON types can hold one.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def json_text(value: object, field: str) -> str:
    """Return ``value`` as JSON text the database can store, or raise ValidationError naming ``field``.

    The import encodes each record's geometry, attributes and metadata once, here, so checking them costs
    only a byte search on the encoded text (a NUL is rare; the regular expression runs only when it may hold one).
    """
    try:
        data = orjson.dumps(value)
    except orjson.JSONEncodeError as exc:
        raise ValidationError(f"{field} cannot be stored as JSON: {exc}", field=field) from None
    if b"\\u0000" in data and _JSON_NUL.search(data):
        raise ValidationError(f"{field} holds a NUL character", field=field)
    return data.decode()
