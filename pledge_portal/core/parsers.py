"""The API's one JSON parser: it reads a body only up to ``API_BODY_MAX_BYTES`` and ``MAX_DEPTH`` levels deep.

DRF's ``JSONParser`` reads a body through Django's form-sized limit (``DATA_UPLOAD_MAX_MEMORY_SIZE``, 2.5 MB,
refused with an HTML page: too small for the 20,000 rows the spreadsheet allows), and a deeply nested body
exhausts Python's recursion (a 500). Here a body over the limit is refused with 413 before any of it is
parsed, and one nested deeper than ``MAX_DEPTH`` with 400 before the JSON parser recurses into it. Django's
own limit stays as it is for the pages' forms. Set as ``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``.
"""

import re
from itertools import accumulate

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from rest_framework import renderers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser, get_encoding
from rest_framework.settings import api_settings
from rest_framework.utils import json

from .text import quote

MAX_DEPTH = 20

# A JSON string (its brackets are text, not nesting); and the brackets as steps down (+1) and up (-1).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"

    def __init__(self):
        super().__init__(
            f"The request body is larger than {filesizeformat(settings.API_BODY_MAX_BYTES)}. Send less at once."
        )


class LimitedJSONParser(BaseParser):
    """JSON, read only up to ``API_BODY_MAX_BYTES`` and ``MAX_DEPTH`` levels deep (DRF's ``JSONParser`` reads
    whatever is sent through Django's form-sized limit, and a deep body exhausts Python's recursion)."""

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = settings.API_BODY_MAX_BYTES
        request = parser_context.get("request")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            declared = 0
        if declared > limit:
            raise BodyTooLarge()
        data = stream.read(limit + 1)
        if len(data) > limit:
            raise BodyTooLarge()
        try:
            text = data.decode(get_encoding(parser_context))
        except UnicodeDecodeError as exc:
            raise ParseError("The body is not text in the character set it names (UTF-8 by default).") from exc
        if _deeper_than(text.encode("utf-8", "surrogatepass"), MAX_DEPTH):
            raise ParseError(f"The JSON is nested more than {MAX_DEPTH} levels deep. Send it flatter.")
        try:
            return json.loads(text, parse_constant=json.strict_constant if api_settings.STRICT_JSON else None)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {quote(exc, 200)}") from exc


def _deeper_than(data: bytes, limit: int) -> bool:
    """Whether the JSON's arrays and objects nest more than ``limit`` deep, found without parsing it (every
    loop here runs in C): strings out, then each bracket as a step down or up, summed a chunk at a time."""
    steps = _JSON_STRING.sub(b"", data).translate(_STEPS, _NOT_BRACKETS)
    depth = 0
    for start in range(0, len(steps), 1 << 16):
        running = list(accumulate(memoryview(steps)[start : start + (1 << 16)].cast("b"), initial=depth))
        if max(running) > limit:
            return True
        depth = running[-1]
    return False
