"""The registry REST service: a FastAPI app over a :class:`~sqlingest.registry.store.RegistryStore`.

Endpoints (paths follow the Confluent Schema Registry where it makes sense)::

    GET  /subjects                                      subjects with at least one version
    GET  /subjects/{subject}/versions                   their version numbers
    GET  /subjects/{subject}/versions/{version}         one version (a number or "latest")
    POST /subjects/{subject}/versions                   publish a contract: 201 new version, 200 unchanged,
                                                        409 incompatible
    POST /compatibility/subjects/{subject}/versions/latest   check a contract without publishing

Every request needs ``Authorization: Bearer <token>``. Any known token may read (and check compatibility); a
token may publish only to subjects of the domains it owns (``"*"`` owns all). Errors are JSON
``{"detail": ..., "hint": ...}``: 401 unknown or missing token, 403 foreign domain, 404 unknown subject or version,
400 unparseable body, 409 incompatible change (with every incompatibility), 413 body larger than
``max_body_bytes`` (1 MiB by default), 422 invalid subject, version or contract, 503 store down.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from sqlingest import __version__
from sqlingest.errors import SqlingestError, TransientError, UserError
from sqlingest.registry.store import (
    IncompatibleSchemaChange,
    RegistryStore,
    SubjectNotFound,
    parse_subject,
    prepare_contract,
)

if TYPE_CHECKING:
    from sqlingest.project.domains import Domains

__all__ = ["create_app"]

ALL_DOMAINS = "*"
#: the largest request body accepted (a contract of a few thousand columns is far below it)
MAX_BODY_BYTES = 1024 * 1024
SUBJECT_PATTERN = r"^(source|bronze|silver|gold):[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$"
VERSION_PATTERN = r"^(latest|[1-9][0-9]{0,8})$"


class ErrorOut(BaseModel):
    """An error: what went wrong, and what to do about it."""

    detail: str
    hint: str | None = None
    errors: list[dict[str, Any]] | None = Field(default=None, description="field-level problems, when known")


class IncompatibilityOut(BaseModel):
    """One reason why a contract is not compatible with the registered history."""

    path: str = Field(description="field path, e.g. 'customer.address.zip'; '' is the record itself")
    message: str
    rule: str = Field(description="stable rule id, e.g. 'field-removed-without-default'")


class IncompatibleOut(ErrorOut):
    """409: the contract breaks its subject's compatibility mode; nothing was registered."""

    mode: str
    incompatibilities: list[IncompatibilityOut]


class SchemaVersionOut(BaseModel):
    """One registered version of a subject."""

    subject: str
    version: int
    contract: dict[str, Any]
    fingerprint: str = Field(description="SHA-256 of the canonical JSON of the contract's columns")
    created_at: str


class CompatibilityOut(BaseModel):
    """The result of a compatibility check."""

    is_compatible: bool
    mode: str
    incompatibilities: list[IncompatibilityOut]


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "the request body is not parseable JSON"},
    401: {"model": ErrorOut, "description": "missing or unknown bearer token"},
    413: {"model": ErrorOut, "description": "the request body is larger than the service accepts"},
    422: {"model": ErrorOut, "description": "invalid subject, version or contract"},
    503: {"model": ErrorOut, "description": "the registry store is unavailable"},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "no such subject or version"}}
_FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorOut, "description": "the token does not own the subject's domain"}
}
_CONTRACT_BODY = Body(
    description="the contract, as its YAML file describes it, in JSON",
    examples=[{
        "name": "retail.orders",
        "layer": "silver",
        "compatibility": "BACKWARD",
        "columns": [{"name": "order_id", "type": "bigint", "nullable": False},
                    {"name": "status", "type": "string"}],
    }],
)
SubjectParam = Annotated[str, Path(pattern=SUBJECT_PATTERN, description="'<layer>:<domain>.<dataset>'",
                                   examples=["silver:retail.orders"])]


class _Unauthorized(Exception):
    """401."""


class _Forbidden(Exception):
    """403."""


def _too_large(limit: int) -> dict[str, Any]:
    return {"detail": f"request body larger than {limit} bytes",
            "hint": "a contract is sent as JSON of its YAML file; split or trim it"}


class _BodyLimit:
    """ASGI middleware: 413 for a body over ``limit`` bytes, by its ``Content-Length`` before anything is read,
    else (chunked uploads) as soon as more than ``limit`` bytes arrived."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            await JSONResponse(_too_large(self.limit), status_code=413)(scope, receive, send)
            return
        received = 0

        async def limited() -> Any:
            nonlocal received
            message = await receive()
            if message.get("type") == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:  # FastAPI passes HTTPExceptions raised while reading the body through
                    raise HTTPException(status_code=413, detail=_too_large(self.limit))
            return message

        await self.app(scope, limited, send)


def create_app(store: RegistryStore, tokens: dict[str, list[str]], *,
               max_body_bytes: int = MAX_BODY_BYTES, domains: Domains | None = None) -> FastAPI:
    """Build the registry service.

    Args:
        store: Where subjects and versions live.
        tokens: Bearer token → domains it may publish to (``"*"`` = every domain), or owners of them (a domain's
            ``owners:``, e.g. ``sales-data@example.com``). Every listed token may read.
        max_body_bytes: larger request bodies get 413.
        domains: The project's declared domains (docs/domains.md): a subject belongs to the domain its contract
            name belongs to there (``datasets:`` globs included) and is owned by that domain's name and owners;
            without them, by its name's prefix.

    Returns:
        The ASGI application.
    """
    token_items = [(token.encode(), frozenset(domains)) for token, domains in tokens.items()]
    bearer = HTTPBearer(auto_error=False, description="a registry token; reads need any token, "
                        "publishing needs one owning the subject's domain")
    app = FastAPI(
        title="sqlingest schema registry",
        version=__version__,
        description="Versioned, compatibility-checked data contracts. Subjects are '<layer>:<domain>.<dataset>'.",
    )

    app.add_middleware(_BodyLimit, limit=max_body_bytes)
    bearer_credentials = Depends(bearer)

    def domains_of(credentials: HTTPAuthorizationCredentials | None = bearer_credentials) -> frozenset[str]:
        """The domains the caller's token owns; 401 for a missing or unknown token."""
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise _Unauthorized("missing bearer token")
        given = credentials.credentials.encode()
        owned: frozenset[str] | None = None
        for token, names in token_items:  # compare with every token, in constant time each
            if hmac.compare_digest(token, given):
                owned = names
        if owned is None:
            raise _Unauthorized("unknown bearer token")
        return owned

    caller_domains = Depends(domains_of)

    def authorize_write(subject: str, owned: frozenset[str]) -> None:
        _, prefix, dataset = parse_subject(subject)
        declared = domains.of(f"{prefix}.{dataset}") if domains is not None else None
        domain = declared.name if declared is not None else prefix
        owners = {domain, *(declared.config.owners if declared is not None else ())}
        if ALL_DOMAINS not in owned and not owners & owned:
            raise _Forbidden(f"this token may not publish to domain '{domain}'"
                             + (f" (owned by {', '.join(sorted(owners))})" if declared is not None else ""))

    def writer_domains(subject: SubjectParam, caller: frozenset[str] = caller_domains) -> frozenset[str]:
        """The caller's domains, after checking it owns the subject's domain (403 before the body is validated)."""
        authorize_write(subject, caller)
        return caller

    writer = Depends(writer_domains)

    @app.exception_handler(_Unauthorized)
    async def _unauthorized(request: Request, exc: _Unauthorized) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "hint": "send 'Authorization: Bearer <token>'"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(_Forbidden)
    async def _forbidden(request: Request, exc: _Forbidden) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "hint": "ask for a token owning this domain"}, status_code=403)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        body = exc.detail if isinstance(exc.detail, dict) else {"detail": str(exc.detail)}
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        malformed = [e for e in exc.errors() if e.get("type") == "json_invalid"]
        if malformed:  # the body is not JSON at all: 400, as documented (422 is for valid JSON that is wrong)
            where = (malformed[0].get("ctx") or {}).get("error", "")
            return JSONResponse({"detail": f"the request body is not valid JSON{': ' + where if where else ''}",
                                 "hint": "send the contract as JSON with Content-Type: application/json"},
                                status_code=400)
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors) or "invalid request"
        return JSONResponse({"detail": detail, "errors": errors}, status_code=422)

    @app.exception_handler(SqlingestError)
    async def _sqlingest_error(request: Request, exc: SqlingestError) -> JSONResponse:
        body: dict[str, Any] = {"detail": exc.message, "hint": exc.hint}
        if isinstance(exc, IncompatibleSchemaChange):
            body["detail"] = f"{exc.subject}: not {exc.mode.value} compatible with the registered versions"
            body.update(mode=exc.mode.value, incompatibilities=[_incompatibility(i) for i in exc.incompatibilities])
            return JSONResponse(body, status_code=409)
        if isinstance(exc, SubjectNotFound):
            return JSONResponse(body, status_code=404)
        if isinstance(exc, UserError):
            return JSONResponse(body, status_code=422)
        if isinstance(exc, TransientError):
            return JSONResponse(body, status_code=503)
        return JSONResponse({"detail": "internal error"}, status_code=500)

    @app.get("/subjects", response_model=list[str], responses=_ERRORS, summary="List subjects")
    def list_subjects(caller: frozenset[str] = caller_domains) -> list[str]:
        return store.subjects()

    @app.get("/subjects/{subject}/versions", response_model=list[int], responses={**_ERRORS, **_NOT_FOUND},
             summary="List the versions of a subject")
    def list_versions(subject: SubjectParam, caller: frozenset[str] = caller_domains) -> list[int]:
        return store.versions(subject)

    @app.get("/subjects/{subject}/versions/{version}", response_model=SchemaVersionOut,
             responses={**_ERRORS, **_NOT_FOUND}, summary="Get one version ('latest' or a number)")
    def get_version(
        subject: SubjectParam,
        version: Annotated[str, Path(pattern=VERSION_PATTERN, description="a version number or 'latest'")],
        caller: frozenset[str] = caller_domains,
    ) -> dict[str, Any]:
        return store.get(subject, None if version == "latest" else int(version)).to_dict()

    @app.post(
        "/subjects/{subject}/versions",
        response_model=SchemaVersionOut,
        status_code=201,
        responses={
            200: {"model": SchemaVersionOut, "description": "identical to the latest version, which is returned"},
            201: {"description": "registered as a new version"},
            409: {"model": IncompatibleOut, "description": "incompatible with the registered versions"},
            **_ERRORS,
            **_FORBIDDEN,
        },
        summary="Publish a contract as the next version of its subject",
    )
    def publish(
        subject: SubjectParam,
        contract: Annotated[dict[str, Any], _CONTRACT_BODY],
        caller: frozenset[str] = writer,
    ) -> JSONResponse:
        published, created = store.publish_with_status(
            subject, contract, domain_check=lambda domain: authorize_write(subject, caller))
        status = 201 if created else 200
        return JSONResponse(SchemaVersionOut(**published.to_dict()).model_dump(), status_code=status)

    @app.post("/compatibility/subjects/{subject}/versions/latest", response_model=CompatibilityOut,
              responses=_ERRORS, summary="Check a contract against the subject's history without publishing")
    def check_compatibility(
        subject: SubjectParam,
        contract: Annotated[dict[str, Any], _CONTRACT_BODY],
        caller: frozenset[str] = caller_domains,
    ) -> dict[str, Any]:
        mode = prepare_contract(subject, contract).mode
        found = store.check_compatibility(subject, contract, mode=mode)
        return {"is_compatible": not found, "mode": mode.value, "incompatibilities": [_incompatibility(i)
                                                                                      for i in found]}

    return app


def _incompatibility(found: Any) -> dict[str, str]:
    return {"path": found.path, "message": found.message, "rule": found.rule}

