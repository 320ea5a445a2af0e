"""A signing reverse proxy for the schema-driven API fuzzer (schemathesis).

It listens on loopback, and signs each request it forwards to the real `perlinsos-server` as an
enrolled phone does (`perlinsos_protocol::signing::canonical_request`: context, method, path
with query, device id, Unix ms time, a fresh 16-byte hex nonce and the SHA-256 of the body as
sent, signed with the device's Ed25519 key), so the fuzzer's requests get past the signature
check and reach the parsers behind it.

A proxy rather than a schemathesis auth hook: it signs the exact bytes that go on the wire
(path as encoded, body as serialized), whatever schemathesis version builds them.

Only a request whose `x-perlinsos-signature` is the placeholder `sign` (what run.sh tells
schemathesis to send) is signed, its signature headers replaced; any other request goes on as
it came, so schemathesis's `ignored_auth` check (which drops the header or sends a made-up one)
sees the server refuse what is not validly signed.

Usage: sign_proxy.py LISTEN_PORT SERVER_PORT DEVICE_ID PRIVATE_KEY_HEX
"""
import hashlib
import http.client
import http.server
import os
import sys
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

HEADER_DEVICE = "x-perlinsos-device"
HEADER_TIMESTAMP = "x-perlinsos-timestamp"
HEADER_NONCE = "x-perlinsos-nonce"
HEADER_SIGNATURE = "x-perlinsos-signature"
SIGNED = {HEADER_DEVICE, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE}
PLACEHOLDER = "sign"
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
}


def canonical_request(method, path_and_query, device_id, timestamp_ms, nonce_hex, body_sha256_hex):
    """The bytes a device signs (perlinsos_protocol::signing::canonical_request)."""
    return (
        f"perlinsos/request/v1\n{method.upper()}\n{path_and_query}\n{device_id}\n"
        f"{timestamp_ms}\n{nonce_hex}\n{body_sha256_hex}\n"
    ).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_port = 0
    device_id = ""
    key = None

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass

    def read_body(self):
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def forward(self):
        body = self.read_body()
        headers = []
        sign = self.headers.get(HEADER_SIGNATURE) == PLACEHOLDER
        for name, value in self.headers.items():
            lower = name.lower()
            if lower in HOP_BY_HOP or lower == "host" or lower == "content-length":
                continue
            if lower in SIGNED:
                continue
            headers.append((name, value))
        if sign:
            timestamp = int(time.time() * 1000)
            nonce = os.urandom(16).hex()
            text = canonical_request(
                self.command,
                self.path,
                self.device_id,
                timestamp,
                nonce,
                hashlib.sha256(body).hexdigest(),
            )
            headers += [
                (HEADER_DEVICE, self.device_id),
                (HEADER_TIMESTAMP, str(timestamp)),
                (HEADER_NONCE, nonce),
                (HEADER_SIGNATURE, self.key.sign(text).hex()),
            ]
        else:
            # Unsigned, but the fuzzer's other header values go through as they were.
            headers += [(n, v) for n, v in self.headers.items() if n.lower() in SIGNED]
        conn = http.client.HTTPConnection("127.0.0.1", self.server_port, timeout=60)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("host", f"127.0.0.1:{self.server_port}")
            for name, value in headers:
                conn.putheader(name, value)
            if body or self.command not in ("GET", "HEAD", "DELETE", "OPTIONS"):
                conn.putheader("content-length", str(len(body)))
            conn.endheaders(body if body else None)
            response = conn.getresponse()
            data = response.read()
            self.send_response_only(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() in HOP_BY_HOP or name.lower() == "content-length":
                    continue
                self.send_header(name, value)
            if self.command == "HEAD":
                length = response.getheader("content-length")
                if length is not None:
                    self.send_header("content-length", length)
                self.end_headers()
            else:
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
        finally:
            conn.close()

    def __getattr__(self, name):
        # Every method, including ones http.server has never heard of (QUERY): the server
        # decides what it takes.
        if name.startswith("do_"):
            return self.forward
        raise AttributeError(name)


def main():
    listen, server, device_id, key_hex = sys.argv[1:5]
    Handler.server_port = int(server)
    Handler.device_id = device_id
    Handler.key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key_hex))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", int(listen)), Handler)
    httpd.daemon_threads = True
    httpd.serve_forever()


if __name__ == "__main__":
    main()
