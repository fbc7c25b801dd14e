"""Run the web app with uvicorn (`reportqa serve`).

The listening socket is bound first, before the index is built or loaded: a port in use is said at
once, with how to pick another, and "serving on" is printed only when the server answers.
"""

from __future__ import annotations

import errno
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


class PortUnavailable(ValueError):
    """The port cannot be bound; the message says why and how to pick another."""


def _free_port_near(host: str, port: int, tries: int = 20) -> int | None:
    for candidate in range(port + 1, min(port + 1 + tries, 65536)):
        try:
            with socket.socket(socket.getaddrinfo(host, candidate, type=socket.SOCK_STREAM)[0][0]) as probe:
                probe.bind((host, candidate))
                return candidate
        except OSError:
            continue
    return None


def bind_listener(host: str, port: int) -> socket.socket:
    """The server's socket, bound to ``host:port``. Raises PortUnavailable, saying what to do, when the
    port is taken (another ReportQA, say) or needs privileges."""
    try:
        return tcp_listener(host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            other = _free_port_near(host, port)
            example = other or port + 1
            raise PortUnavailable(
                f"port {port} on {host} is already in use (is ReportQA already running?). Stop the program using "
                f"it, or pick another port: `reportqa serve --port {example}`, or REPORTQA_PORT={example} "
                f"(also with `make serve`)" + (f"; port {other} is free" if other else "") + ".") from exc
        if exc.errno == errno.EACCES:
            raise PortUnavailable(f"not allowed to use port {port} on {host} (ports below 1024 need administrator "
                                  "rights): pick another, e.g. `reportqa serve --port 8000`.") from exc
        raise PortUnavailable(f"cannot listen on {host}:{port}: {exc.strerror or exc}.") from exc


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that prints "serving on" once the app has started and the socket listens."""

    def __init__(self, config: uvicorn.Config, announcement: str) -> None:
        super().__init__(config)
        self.announcement = announcement

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            print(self.announcement, flush=True)


def check_exposure(settings: Settings) -> None:
    """Refuse to bind to the network without a token (a mistake a real deployment will make),
    unless ``insecure`` says so on purpose. Raises ValueError with what to do."""
    if not is_loopback(settings.host) and settings.api_token is None and not settings.insecure:
        raise ValueError(f"refusing to serve on {settings.host} without an API token: anyone on the network "
                         "could read the reports and the questions asked. Set REPORTQA_API_TOKEN, or pass "
                         "--insecure if this network is trusted.")


def serve(settings: Settings, listener: socket.socket | None = None) -> int:
    """Serve until interrupted on ``listener`` (else a socket bound here). Several workers each load the
    model and index once. Raises ValueError when the settings would expose the server without a token,
    PortUnavailable when the port cannot be bound."""
    check_exposure(settings)
    listener = listener or bind_listener(settings.host, settings.port)
    address = f"http://{settings.host}:{settings.port}/"
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
        print(f"ReportQA: serving on {address} with {settings.workers} workers (each loads the index first; "
              "Ctrl+C to stop)", flush=True)  # the socket is bound; the workers share it
        Multiprocess(config, sockets=[listener]).run()
        return 0
    from web.app import create_app

    config = uvicorn.Config(create_app(settings), host=settings.host, port=settings.port, access_log=False,
                            log_level="warning")
    _AnnouncingServer(config, f"ReportQA: serving on {address} (Ctrl+C to stop)").run(sockets=[listener])
    return 0
