"""The thin layer between Chalice and the domain: declared routes, JSON in and out, errors, caching, CORS.

* :class:`QingyiChalice` keeps ``current_request`` per thread (as ``chalice
  local`` does), so one process can serve concurrent requests safely.
  :meth:`QingyiChalice.endpoint` registers a view with its
  :class:`openapi.Operation`; before the view runs, a token route
  authenticates the caller and every declared header and query value is
  checked (:func:`check_parameters`); a raised :class:`errors.ApiError` becomes
  ``{"code", "message"}`` with its status (and ``Retry-After`` on 503); a
  public read gets the giving-day cache headers and an ETag (:func:`cached`).
* :func:`request_json` is the one way to read a body: content type, size,
  nesting depth and Unicode checked before a field is looked at.
* :func:`install` adds a middleware that rewrites Chalice's own error bodies
  (405, 415, ...) into the same shape, answers OPTIONS where a route declares
  it, and answers CORS only for the site origins in ``QINGYI_SITE_ORIGINS``
  (comma-separated) on public routes.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

from chalice import Chalice, Response

from . import auth, errors
from .caching import PRIVATE_CACHE, PUBLIC_CACHE
from .openapi import Operation, Param
from .pledges import MAX_BODY_BYTES

log = logging.getLogger("qingyi.api")

JSON = "application/json; charset=utf-8"

_CHALICE_CODES = {
    "UnsupportedMediaType": errors.UnsupportedMediaType,
    "MethodNotAllowedError": errors.MethodNotAllowed,
    "NotFoundError": errors.NotFound,
    "BadRequestError": errors.InvalidBody,
}
CORS_HEADERS = "Content-Type, Idempotency-Key"


def json_response(body: Any, status: int = 200, headers: Mapping[str, Any] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        headers={"Content-Type": JSON, "Cache-Control": PRIVATE_CACHE, **(headers or {})},
    )


def error_response(exc: errors.ApiError) -> Response:
    return json_response(exc.body(), exc.status, exc.headers)


def text_response(text: str, content_type: str, filename: str | None = None) -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": content_type, "Cache-Control": PRIVATE_CACHE}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(body=text, status_code=200, headers=headers)


class QingyiChalice(Chalice):
    """Chalice with a per-thread current request, declared operations, and domain errors as responses."""

    _local = threading.local()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: every route's description, in declaration order (the OpenAPI document is made from it)
        self.operations: list[Operation] = []

    @property
    def current_request(self) -> Any:
        return getattr(self._local, "request", None)

    @current_request.setter
    def current_request(self, value: Any) -> None:
        self._local.request = value

    def endpoint(
        self,
        method: str,
        path: str,
        summary: str,
        *,
        access: str,
        returns: str,
        status: int = 200,
        body: str | None = None,
        body_required: bool = False,
        params: tuple[Param, ...] = (),
        raises: tuple[type[errors.ApiError], ...] = (),
        cached: bool | None = None,
    ) -> Callable[..., Any]:
        """Register a view for one method on one path, with what the OpenAPI document says of it."""
        operation = Operation(method, path, summary, access, returns, status, body, body_required, params, raises, cached)
        self.operations.append(operation)
        return self._guarded_route(operation)

    def _guarded_route(self, operation: Operation) -> Callable[..., Any]:
        # Only a route with a JSON body checks the content type (request_json does, with our
        # error); a GET sent with any Content-Type is still a GET.
        register = super().route(
            operation.path, methods=[operation.method], content_types=["application/json" if operation.body else "*/*"]
        )

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(view)
            def guarded(*args: Any, **kw: Any) -> Any:
                try:
                    if operation.token:
                        auth.identify(self.current_request.headers)  # who asks comes before what is asked
                    check_parameters(operation, self.current_request)
                    result = view(*args, **kw)
                except errors.ApiError as exc:
                    return error_response(exc)
                except (errors.Throttled, errors.Contention):
                    return error_response(errors.ServiceBusy(retry_after=1))
                except Exception:  # noqa: BLE001 - last resort: never leak a trace to the public
                    log.exception("unhandled error on %s %s", operation.method, operation.path)
                    return error_response(errors.InternalError())
                response = result if isinstance(result, Response) else json_response(result)
                if operation.cacheable and response.status_code == 200:
                    return cached(response, self.current_request)
                return response

            return register(guarded)

        return decorator

    def public_paths(self) -> set[str]:
        return {op.path for op in self.operations if op.public}


def cached(response: Response, request: Any) -> Response:
    """A public read made cacheable: :data:`PUBLIC_CACHE`, a strong ETag of the body, 304 on a match.

    ``Vary: Origin`` because the CORS headers differ by origin: a shared cache must not hand
    one origin's answer to another.
    """
    body = response.body if isinstance(response.body, bytes) else str(response.body).encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers: dict[str, str | list[str]] = {"Cache-Control": PUBLIC_CACHE, "ETag": etag, "Vary": "Origin"}
    wanted = if_none_match(request.headers.get("if-none-match") if request is not None else None)
    if etag in wanted or "*" in wanted:
        return Response(body="", status_code=304, headers=headers)
    response.headers.update(headers)
    return response


def if_none_match(value: str | None) -> set[str]:
    """The entity tags an If-None-Match header names (weak ones compared as strong: RFC 9110 13.1.2)."""
    if not value:
        return set()
    return {tag.strip().removeprefix("W/") for tag in value.split(",")}


def check_parameters(operation: Operation, request: Any) -> None:
    """Refuse a missing or malformed declared header; hand the view only well-formed query values.

    A header that does not fit its schema raises the parameter's own error
    (a payment notification without a signature is 401 before any setting is
    read). An empty query value (``cursor=``) counts as absent. An integer
    must be ASCII digits within its bounds: ``str.isdigit`` also accepts "²",
    which ``int`` refuses.
    """
    for param in operation.params:
        if param.where == "header":
            value = request.headers.get(param.name)
            if (value is None and param.required) or (value is not None and not _fits(value.strip(), param.schema)):
                raise param.error()
    if request.query_params is None:
        return
    values = {name: request.query_params[name] for name in request.query_params}
    values = {name: value for name, value in values.items() if value != ""}
    for param in operation.params:
        if param.where == "query" and param.name in values and not _fits(values[param.name], param.schema):
            raise errors.InvalidQuery(f"查询参数 {param.name} 的值不对", f"the query parameter {param.name} is not valid")
    request.query_params = values or None


def _fits(value: str, schema: dict[str, Any]) -> bool:
    """Whether a header or query value fits the parts of its schema that parameters here use."""
    if schema.get("type") == "integer":
        if not re.fullmatch(r"[0-9]{1,12}", value, re.ASCII):
            return False
        number = int(value)
        return schema.get("minimum", number) <= number <= schema.get("maximum", number)
    if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
        return False
    return "pattern" not in schema or re.search(schema["pattern"], value) is not None


#: Deeper JSON than any body here needs; the parser recurses, so depth is checked before parsing.
MAX_JSON_DEPTH = 16
_SURROGATE = re.compile("[\ud800-\udfff]")


def request_json(request: Any) -> dict[str, Any]:
    """The JSON object body of a POST, after the content-type, size, depth and Unicode checks."""
    from .pledges import parse_json_object

    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise errors.BodyTooLarge()
    if content_type != "application/json":
        raise errors.UnsupportedMediaType()
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise errors.InvalidBody(
            f"请求体嵌套超过 {MAX_JSON_DEPTH} 层", f"the body is nested more than {MAX_JSON_DEPTH} levels deep"
        )
    data = parse_json_object(raw)
    if _has_surrogate(data):
        raise errors.InvalidJson(
            "请求体含有无效的 Unicode 字符（单独的代理项，如 \\ud800）",
            "the body has text that is not valid Unicode (a lone surrogate such as \\ud800)",
        )
    return data


def json_depth(raw: bytes) -> int:
    """How deep arrays and objects nest in ``raw`` (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def _has_surrogate(value: Any) -> bool:
    """Whether any key or text in parsed JSON holds a lone surrogate (JSON allows "\\ud800"; UTF-8 does not)."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


def optional_json(request: Any) -> dict[str, Any]:
    """Like :func:`request_json` but an empty body is an empty object (operator actions)."""
    if not (request.raw_body or b"").strip():
        return {}
    return request_json(request)


def allowed_origins() -> set[str]:
    return {o.strip().rstrip("/") for o in os.environ.get("QINGYI_SITE_ORIGINS", "").split(",") if o.strip()}


def source_address(request: Any) -> str | None:
    """The caller's address for the velocity check.

    API Gateway's ``sourceIp`` by default. Behind a proxy or CDN that sets a
    trusted header (or locally, where every caller is 127.0.0.1), name it in
    ``QINGYI_SOURCE_HEADER`` and its first value is used instead.
    """
    header = os.environ.get("QINGYI_SOURCE_HEADER", "").strip().lower()
    if header:
        value = (request.headers.get(header) or "").split(",")[0].strip()
        if value:
            return value[:64]
    identity = (request.context or {}).get("identity") or {}
    return identity.get("sourceIp")


def install(app: QingyiChalice) -> None:
    """Add the error-shape and CORS middleware to ``app``."""

    @app.middleware("http")
    def shape_and_cors(request: Any, get_response: Callable[[Any], Response]) -> Response:
        origin = (request.headers.get("origin") or "").rstrip("/") if request is not None else ""
        path = (request.context or {}).get("resourcePath", "") if request is not None else ""
        declared = app.routes.get(path, {}) if request is not None else {}
        if request is not None and request.method == "OPTIONS" and "OPTIONS" in declared:
            response = Response(body="", status_code=204, headers={})
        else:
            response = get_response(request)
        body = response.body
        if isinstance(body, dict) and "Code" in body and "Message" in body:
            cls = _CHALICE_CODES.get(
                body["Code"], errors.InternalError if response.status_code >= 500 else errors.ApiError
            )
            exc = cls()
            keep = {k: v for k, v in response.headers.items() if k.lower() == "allow"}
            response = json_response(exc.body(), response.status_code, keep)
        if origin and origin in allowed_origins() and path in app.public_paths():
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
            response.headers["Access-Control-Expose-Headers"] = "Retry-After, ETag"
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
                response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
                response.headers["Access-Control-Max-Age"] = "600"
        return response
