"""The API's error contract: every error is `{"error", "code", "details"}` with a stable `code`.

`ErrorCode` is the complete, documented set of codes (UPPER_SNAKE, like upstream's
`SCHEDULE_NOT_FOUND`); the OpenAPI document lists them. `details` is null or a list of field problems
(`{"field", "code", "severity", "message", "help"}`) whose `code` is a `symbi check` diagnostic code
(`SYM103`, …), so a bad job body reads like the diagnostics of the equivalent `.symbi` file.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class ErrorCode(StrEnum):
    """Every `code` an error body may carry, with its HTTP status in `STATUS`."""

    INVALID_JSON = "INVALID_JSON"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    INVALID_JOB = "INVALID_JOB"
    VARIABLE_NOT_ALLOWED = "VARIABLE_NOT_ALLOWED"
    HOST_NOT_ALLOWED = "HOST_NOT_ALLOWED"
    UNSUPPORTED_FIELD = "UNSUPPORTED_FIELD"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    SCHEDULE_NOT_FOUND = "SCHEDULE_NOT_FOUND"
    RUN_NOT_FOUND = "RUN_NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    SCHEDULE_EXISTS = "SCHEDULE_EXISTS"
    DEFINED_IN_FILE = "DEFINED_IN_FILE"
    CONFLICT = "CONFLICT"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    STORE_UNAVAILABLE = "STORE_UNAVAILABLE"


STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_JSON: 400,
    ErrorCode.VALIDATION_ERROR: 400,
    ErrorCode.INVALID_JOB: 400,
    ErrorCode.VARIABLE_NOT_ALLOWED: 400,
    ErrorCode.HOST_NOT_ALLOWED: 400,
    ErrorCode.UNSUPPORTED_FIELD: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.SCHEDULE_NOT_FOUND: 404,
    ErrorCode.RUN_NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.SCHEDULE_EXISTS: 409,
    ErrorCode.DEFINED_IN_FILE: 409,
    ErrorCode.CONFLICT: 409,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.STORE_UNAVAILABLE: 503,
}

DESCRIPTIONS: dict[ErrorCode, str] = {
    ErrorCode.INVALID_JSON: "The body is not JSON (or nests deeper than the API reads).",
    ErrorCode.VALIDATION_ERROR: "A field has the wrong type, is unknown, or is missing; see `details`.",
    ErrorCode.INVALID_JOB: "The job fails `symbi check`; `details` carries the diagnostics (SYM codes).",
    ErrorCode.VARIABLE_NOT_ALLOWED: "A `${VAR}` outside `[api] allowed_variables` in symbi.toml.",
    ErrorCode.HOST_NOT_ALLOWED: "A delivery host outside `[scheduler.delivery] allowed_hosts`.",
    ErrorCode.UNSUPPORTED_FIELD: "An upstream field symbi does not implement (non-empty `policy_ids`).",
    ErrorCode.UNAUTHORIZED: "No bearer token, or one the server does not know.",
    ErrorCode.FORBIDDEN: "The token lacks the route's scope, or is not the job's approver.",
    ErrorCode.NOT_FOUND: "No such route.",
    ErrorCode.SCHEDULE_NOT_FOUND: "No job with that id or name.",
    ErrorCode.RUN_NOT_FOUND: "No run with that id.",
    ErrorCode.METHOD_NOT_ALLOWED: "The route exists, but not with this method.",
    ErrorCode.SCHEDULE_EXISTS: "A job with that name exists; PUT changes it.",
    ErrorCode.DEFINED_IN_FILE: "The job is defined by a .symbi file; change the file instead.",
    ErrorCode.CONFLICT: "The request does not fit the current state (e.g. the run awaits no approval).",
    ErrorCode.PAYLOAD_TOO_LARGE: "The body is larger than the API reads.",
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: "A body was sent without `Content-Type: application/json`.",
    ErrorCode.INTERNAL_ERROR: "A bug of ours, or a job store this symbi cannot use; see the server log.",
    ErrorCode.STORE_UNAVAILABLE: "The job store is busy or unreachable; nothing changed; retry later.",
}


class FieldProblemOut(BaseModel):
    """One problem with one field of the body (`field` is a dotted path; empty for the whole body)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "field": "max_concurrent",
                    "code": "SYM109",
                    "severity": "error",
                    "message": "`max_concurrent` must be at least 1, got 0",
                    "help": "for example `max_concurrent: 2`",
                }
            ]
        }
    )

    field: str
    code: str
    severity: str
    message: str
    help: str | None = None


class ErrorBody(BaseModel):
    """The body of every 4xx and 5xx answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"error": "no job 'nightly'", "code": "SCHEDULE_NOT_FOUND", "details": None}]
        }
    )

    error: str
    code: ErrorCode
    details: list[FieldProblemOut] | None = None


class ApiProblem(Exception):
    """Raised by handlers: becomes the error body with the code's status."""

    def __init__(self, code: ErrorCode, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def body(self) -> dict[str, Any]:
        return {"error": self.message, "code": self.code.value, "details": self.details}


def error_body(code: ErrorCode, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": message, "code": code.value, "details": details}
