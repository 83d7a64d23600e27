"""A loopback HTTP proxy that adds Keystone-style identity headers.

The real clients authenticate here with a dummy token and send no identity
headers, which Glint accepts (it treats such a request as an admin of its
default project). A reference Glance that runs the Keystone pipeline without
authtoken refuses them with 401. To run the client suite against such a
Glance, set GLINT_IDENTITY_PROXY=1 together with GLINT_URL: the clients then
talk to this proxy, which forwards every request to GLINT_URL with the
headers of `IDENTITY` added. Bodies are buffered whole (the suite's images
are a few MiB at most).
"""

import http.client
import http.server
import threading
import urllib.parse

IDENTITY = {
    "X-Project-Id": "clients-project",
    "X-User-Id": "clients-user",
    "X-Roles": "admin,member,reader",
    "X-Identity-Status": "Confirmed",
}

# Hop-by-hop headers, and those the proxy recomputes.
_SKIP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
         "te", "trailer", "upgrade", "content-length"}


def _read_chunked(rfile):
    body = bytearray()
    while True:
        size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            # Trailers, up to the empty line.
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return bytes(body)
        body += rfile.read(size)
        rfile.readline()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None  # urllib.parse.SplitResult, set by start()

    def log_message(self, *args):
        pass

    def _forward(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = _read_chunked(self.rfile)
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _SKIP}
        headers.update(IDENTITY)
        if body or self.command in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        up = self.upstream
        conn = http.client.HTTPConnection(up.hostname, up.port or 80, timeout=120)
        try:
            # The client's Host header is kept, so that links the server
            # builds from it (e.g. /versions) point back at the proxy.
            conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in _SKIP:
                self.send_header(k, v)
        if self.command != "HEAD" and resp.status not in (204, 304):
            self.send_header("Content-Length", str(len(data)))
        elif self.command == "HEAD" and resp.getheader("Content-Length"):
            self.send_header("Content-Length", resp.getheader("Content-Length"))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward


def start(upstream_url):
    """Starts the proxy on a free loopback port; returns (url, stop)."""
    handler = type("Handler", (_Handler,), {"upstream": urllib.parse.urlsplit(upstream_url)})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()

    def stop():
        srv.shutdown()
        srv.server_close()

    return f"http://127.0.0.1:{srv.server_address[1]}", stop
