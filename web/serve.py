"""Run the web app with uvicorn (`reportqa serve`)."""

from __future__ import annotations

import logging
import os
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

from reportqa.settings import Settings, is_loopback

ENV_PREFIX = "REPORTQA_"


def app_factory():
    """Builds the app from the environment (used by uvicorn workers, which start fresh processes)."""
    from web.app import create_app

    return create_app(Settings())


def tcp_listener(host: str, port: int) -> socket.socket:
    """A listening socket created as IPPROTO_TCP, for the worker processes to share.

    uvicorn's own pre-bound socket leaves the protocol at 0, so asyncio never sets TCP_NODELAY
    on accepted connections and every keep-alive response waits ~40 ms on a delayed ACK
    (uvicorn issue #3149). Creating the socket ourselves avoids that.
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                        proto=socket.IPPROTO_TCP)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.set_inheritable(True)
    return sock


def check_exposure(settings: Settings) -> None:
    """Refuse to bind to the network without a token (a mistake a real deployment will make),
    unless ``insecure`` says so on purpose. Raises ValueError with what to do."""
    if not is_loopback(settings.host) and settings.api_token is None and not settings.insecure:
        raise ValueError(f"refusing to serve on {settings.host} without an API token: anyone on the network "
                         "could read the reports and the questions asked. Set REPORTQA_API_TOKEN, or pass "
                         "--insecure if this network is trusted.")


def serve(settings: Settings) -> int:
    """Serve until interrupted. Several workers each load the model and index once.
    Raises ValueError when the settings would expose the server without a token."""
    check_exposure(settings)
    logging.getLogger("reportqa.access").setLevel(logging.INFO)
    if settings.workers > 1:
        # Workers are separate processes: hand them the settings through the environment.
        for name, value in settings.model_dump().items():
            if value is not None and name != "api_token":
                os.environ[ENV_PREFIX + name.upper()] = str(value)
        if settings.api_token:
            os.environ[ENV_PREFIX + "API_TOKEN"] = settings.api_token.get_secret_value()
        config = uvicorn.Config("web.serve:app_factory", factory=True, host=settings.host, port=settings.port,
                                workers=settings.workers, access_log=False, log_level="warning")
        print(f"ReportQA: serving on http://{settings.host}:{settings.port}/ with {settings.workers} workers",
              flush=True)
        Multiprocess(config, sockets=[tcp_listener(settings.host, settings.port)]).run()
        return 0
    from web.app import create_app

    print(f"ReportQA: serving on http://{settings.host}:{settings.port}/ (Ctrl+C to stop)", flush=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, access_log=False,
                log_level="warning")
    return 0
