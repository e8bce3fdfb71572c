"""hello: the smallest web app the stack's tests build, push, run and deploy.

GET /health -> 200 "ok"; GET / -> 200 "hello from <GREETING_NAME>". Listens on $PORT
(default 8080) on all interfaces. Reads the secret API_TOKEN from the environment only to
say whether it is set (its value is never printed).
"""

from __future__ import annotations

import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    server_version = "hello/1"

    def do_GET(self) -> None:
        if self.path == "/health":
            self._send(200, "ok\n")
        elif self.path == "/":
            name = os.environ.get("GREETING_NAME", "compose-ecs-deploy")
            token = "set" if os.environ.get("API_TOKEN") else "unset"
            self._send(200, f"hello from {name} (API_TOKEN {token})\n")
        else:
            self._send(404, "not found\n")

    def _send(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def main() -> None:
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("", port), Handler)
    print(f"hello listening on :{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
