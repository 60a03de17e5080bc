"""Errors as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from kubeopt_common.telemetry.logging import get_logger

log = get_logger(__name__)
PROBLEM_MEDIA_TYPE = "application/problem+json"


class InvalidParam(BaseModel):
    name: str
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details; ``invalid_params`` names each offending input."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    invalid_params: list[InvalidParam] = Field(default_factory=list, alias="invalid-params")

    model_config = {"populate_by_name": True}


class ProblemError(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        invalid_params: list[InvalidParam] | None = None,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.headers = headers
        self.problem = Problem(
            type=type_,
            title=title,
            status=status,
            detail=detail,
            invalid_params=invalid_params or [],
        )


def bad_param(name: str, reason: str) -> ProblemError:
    return ProblemError(
        400,
        "Invalid parameter",
        f"{name}: {reason}",
        invalid_params=[InvalidParam(name=name, reason=reason)],
    )


def _response(
    problem: Problem, request: Request, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = problem.model_copy(update={"instance": problem.instance or request.url.path})
    return JSONResponse(
        body.model_dump(by_alias=True, exclude_defaults=False),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)  # noqa: S101 - registered for this type only
        return _response(exc.problem, request, exc.headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)  # noqa: S101
        params = [
            InvalidParam(
                name=".".join(str(p) for p in err["loc"] if p not in ("query", "body", "path"))
                or "body",
                reason=str(err["msg"]),
            )
            for err in exc.errors()
        ]
        detail = "; ".join(f"{p.name}: {p.reason}" for p in params)
        problem = Problem(title="Invalid request", status=422, detail=detail, invalid_params=params)
        return _response(problem, request)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101
        headers: dict[str, Any] | None = getattr(exc, "headers", None)
        problem = Problem(
            title=_title(exc.status_code), status=exc.status_code, detail=str(exc.detail)
        )
        return _response(problem, request, headers)

    async def on_unhandled(request: Request, exc: Exception) -> JSONResponse:
        # The details stay in the log; the client gets a problem document, not a stack trace.
        log.error("api.unhandled_error", path=request.url.path, error=repr(exc), exc_info=exc)
        problem = Problem(
            title="Internal Server Error",
            status=500,
            detail="the request failed unexpectedly; the service log has the details",
        )
        return _response(problem, request)

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unhandled)


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
