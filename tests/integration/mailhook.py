"""Loopback peers for alerts: an SMTP server (aiosmtpd, from Debian's
python3-aiosmtpd) that keeps what it receives, and an HTTP receiver for
webhooks that can fail on demand and checks DingTalk and Feishu
signatures."""
import base64
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import socket
import threading
import urllib.parse

from aiosmtpd.controller import Controller


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class SMTPServer:
    """Messages land in self.messages as (envelope, raw bytes, parsed)."""

    def __init__(self, port=None):
        self.messages = []
        self.refuse = None          # an SMTP reply to give DATA instead of 250
        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                if outer.refuse:
                    return outer.refuse
                raw = envelope.original_content or envelope.content
                outer.messages.append((envelope, raw, email.message_from_bytes(
                    raw, policy=email.policy.default)))
                return "250 OK"

        self.port = port or free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def close(self):
        self.controller.stop()


class HookServer:
    """POSTs land in self.posts as (path, query dict, parsed JSON body), and
    in self.raw as (path, body bytes).  self.status and self.reply decide
    the answer."""

    def __init__(self):
        self.posts = []
        self.raw = []
        self.arrived = 0
        self.hold_after = None      # posts answered before the next is held
        self.gate = threading.Event()   # set: a held post is dropped
        self.status = 200
        self.reply = b'{"errcode":0,"errmsg":"ok"}'
        self.bad_signatures = []
        self.secrets = {}           # path -> (kind, secret) to check
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(n)
                outer.arrived += 1
                if outer.hold_after is not None and outer.arrived > outer.hold_after:
                    outer.gate.wait()
                    self.close_connection = True
                    return
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                outer.check_signature(url.path, query, body)
                outer.posts.append((url.path, query, body))
                outer.raw.append((url.path, raw))
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(outer.reply)))
                self.end_headers()
                self.wfile.write(outer.reply)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def check_signature(self, path, query, body):
        if path not in self.secrets:
            return
        kind, secret = self.secrets[path]
        if kind == "dingtalk":
            ts = query.get("timestamp", "")
            want = base64.b64encode(hmac.new(secret.encode(), ("%s\n%s" % (ts, secret)).encode(),
                                             hashlib.sha256).digest()).decode()
            if query.get("sign") != want:
                self.bad_signatures.append(path)
        elif kind == "feishu":
            ts = (body or {}).get("timestamp", "")
            key = ("%s\n%s" % (ts, secret)).encode()
            want = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if (body or {}).get("sign") != want:
                self.bad_signatures.append(path)

    def close(self):
        self.gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()
