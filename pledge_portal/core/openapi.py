"""Make the API's description truthful about refusals: every operation documents the errors it can answer.

DRF answers these for any endpoint (a body it cannot read, no or a bad token, a role that may not, an object
that is not the caller's, a body too large, a media type it does not read, too many requests), always as JSON
with a ``detail`` message; drf-spectacular documents only the successful answer unless told. This hook adds
them once, to every operation, with one shared ``Error`` schema, so clients (and the fuzzing test) can rely on
the description.
"""

ERROR_SCHEMA = {
    "type": "object",
    "description": "A refusal: ``detail`` says why, in words for a person; field errors name their field.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}

ERRORS = {
    "400": "The request could not be read or is invalid; the body names each field at fault.",
    "401": "No credentials, or credentials that are wrong, expired or revoked.",
    "403": "The caller's role does not allow this here.",
    "404": "No such object for this caller (another organisation's objects are not found).",
    "405": "This method is not allowed here.",
    "409": "The object changed since the revision the request names.",
    "413": "The request body is too large.",
    "415": "The body's media type is not one this endpoint reads.",
    "429": "Too many requests: wait and try again.",
}


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``)."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    ref = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": ref}}}
                )
    return result
