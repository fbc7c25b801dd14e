"""The ASGI middleware of the web app, one job a module, and the order they wrap the routes in.

From the outside in: the access log (access_log), unexpected errors (errors), security headers
(headers), the Host names served (Starlette's TrustedHostMiddleware), the rate limit (limits),
HEAD as GET (head), the request body limit (limits), writes only from this server's own pages
(origin), and the access token (token_auth), closest to the routes. base holds what they share.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.trustedhost import TrustedHostMiddleware

from reportqa.settings import Settings
from web.middleware.access_log import AccessLogMiddleware
from web.middleware.errors import LoggedErrorsMiddleware
from web.middleware.head import HeadMiddleware
from web.middleware.headers import SecurityHeadersMiddleware
from web.middleware.limits import BodySizeLimitMiddleware, RateLimitMiddleware
from web.middleware.origin import SameOriginWritesMiddleware
from web.middleware.token_auth import TokenAuthMiddleware


def add_middleware(app: FastAPI, settings: Settings) -> None:
    """Wrap ``app``'s routes in the middleware, as ``settings`` configure them."""
    # Added innermost first: the access log wraps everything, the token check sits closest to the routes.
    app.add_middleware(TokenAuthMiddleware, token=settings.api_token.get_secret_value() if settings.api_token else None)
    # A write from another origin is refused before the token is looked at (a sign-in included).
    app.add_middleware(SameOriginWritesMiddleware, public_base_url=settings.public_base_url)
    app.add_middleware(BodySizeLimitMiddleware, limit=settings.max_request_bytes)
    app.add_middleware(HeadMiddleware)
    # Several workers count a client's requests together, in one small file in the data folder.
    app.add_middleware(RateLimitMiddleware, per_minute=settings.rate_limit_per_minute,
                       shared=settings.data_dir / f".reportqa-rate-{settings.port}.sqlite3" if settings.workers > 1
                       else None)
    # Only the Host names this server is reached by: a page on another site cannot point its own
    # name at 127.0.0.1 (DNS rebinding) and read the reports or the questions asked.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.served_hosts())
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(LoggedErrorsMiddleware)  # inside the access log, so a 500 is logged as one
    app.add_middleware(AccessLogMiddleware, log_queries=settings.log_queries)
