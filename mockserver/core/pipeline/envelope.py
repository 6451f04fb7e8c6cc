"""Every error, raised anywhere below, leaves in the provider's own envelope; never a traceback."""

from __future__ import annotations

import logging

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline.call import Call, Next

errlog = logging.getLogger("mockserver.errors")


async def envelope(call: Call, next: Next) -> web.StreamResponse:
    request = call.request
    render = call.provider.provider.errors.render
    try:
        response = await next(call)
    except MockError as error:
        call.error_code = error.code
        response = render(error, call)
    except web.HTTPNotFound:
        response = render(MockError(Kind.NOT_FOUND, "No such resource"), call)
    except web.HTTPMethodNotAllowed:
        response = render(MockError(Kind.METHOD_NOT_ALLOWED, f"Method {request.method} not allowed"), call)
    except web.HTTPRequestEntityTooLarge:
        response = render(MockError(Kind.PAYLOAD_TOO_LARGE, "Request body too large"), call)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = render(MockError(Kind.VALIDATION, exc.reason, status=exc.status), call)
    except Exception:
        errlog.exception("unhandled error in %s %s", request.method, request.path)
        response = render(MockError(Kind.INTERNAL, "Internal error"), call)
    for name, value in call.extra_headers.items():
        response.headers.setdefault(name, value)
    return response
