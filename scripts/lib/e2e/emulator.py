"""moto in server mode on a free loopback port, patched, inside this process."""

from __future__ import annotations

import logging
import socket

from moto.moto_server.threaded_moto_server import ThreadedMotoServer

import moto_patches


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emulator:
    """The patched moto server; `endpoint` is its URL."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        moto_patches.apply(self.port)
        # A request moto fails on shows its traceback (werkzeug logs it) instead of a bare 500.
        logging.basicConfig(level=logging.ERROR, format="moto: %(message)s")
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def __enter__(self) -> "Emulator":
        self._server.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.stop()
        # moto's state lives in this process, not in the server: the next emulator
        # starts empty, as a fresh server would.
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        moto_patches.forget()
