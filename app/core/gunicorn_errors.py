"""JSON bodies for the errors gunicorn answers itself (request line or headers too large...).

gunicorn refuses malformed or oversized requests before the app sees them and writes
an HTML page through ``gunicorn.util.write_error``, echoing part of the request (which
may carry a credential). ``install()`` replaces that one function for the process: the
status and reason stay gunicorn's, the body becomes JSON without any request text.
"""

from __future__ import annotations

import json
import socket

from gunicorn import util


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    body = json.dumps({"detail": reason}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


def install() -> None:
    util.write_error = write_json_error
