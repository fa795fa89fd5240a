"""Refusals under /api/ as JSON with a message, whatever raised them.

``exception_handler`` (DRF's ``EXCEPTION_HANDLER``) answers errors inside a view: DRF's own, plus Django's
body limit as 413 and other unreadable requests as 400 (Django would answer those with HTML pages), always
with a ``detail`` message. ``json_error`` answers the errors Django handles itself under ``/api/`` (an
address that does not exist, a failure), for ``core.views``' error handlers. No message repeats more than
``MAX_MESSAGE`` characters of what was sent. The body's own limits are in ``core.parsers``.
"""

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import JsonResponse
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from .parsers import BodyTooLarge
from .text import quote

MAX_MESSAGE = 500
API_PREFIX = "/api/"


def exception_handler(exc, context):
    """DRF's handler, plus: Django's body limit answered as 413 and other suspicious requests as 400 (not
    HTML error pages), a ``detail`` message on every refusal, and no message longer than ``MAX_MESSAGE``."""
    if isinstance(exc, RequestDataTooBig):
        exc = BodyTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = ParseError("The request could not be read.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a failure: Django answers 500, as JSON under /api/ (``json_error``)
    data = _bounded(response.data)
    if isinstance(data, dict) and "detail" not in data:
        errors = data.get("non_field_errors")
        only = errors[0] if len(data) == 1 and isinstance(errors, list) and errors else None
        data = {"detail": only or "The request was not accepted: each field named here says why.", **data}
    elif isinstance(exc, ValidationError) and isinstance(data, list):
        data = {"detail": "The request was not accepted.", "errors": data}
    response.data = data
    return response


def _bounded(data):
    if isinstance(data, str):
        return quote(data, MAX_MESSAGE) if len(data) > MAX_MESSAGE else data
    if isinstance(data, dict):
        return {key: _bounded(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_bounded(value) for value in data]
    return data


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


MESSAGES = {
    400: "The request could not be read.",
    403: "You may not do this.",
    404: "No such address in the API.",
    413: "The request body is too large.",
    500: "Something went wrong on our side; the request was not completed. Try again later.",
}


def json_error(status_code: int, detail: str = "") -> JsonResponse:
    """A refusal Django answers itself (outside a DRF view), as the API's other refusals are."""
    return JsonResponse({"detail": quote(detail, MAX_MESSAGE) or MESSAGES[status_code]}, status=status_code)
