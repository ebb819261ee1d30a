"""Local stand-ins for the outside world notifications go to: an SMTP server (aiosmtpd) and the Telegram Bot API
(an HTTP server on 127.0.0.1 answering sendMessage and getUpdates), so no test reaches the internet."""
import json
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An SMTP server on 127.0.0.1 keeping every message it is handed."""

    def __init__(self):
        self.messages = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def texts(self, to: str | None = None) -> list[str]:
        return [m["Subject"] + "\n" + m.get_content() for rcpt, m in self.messages if to is None or to in rcpt]

    def close(self):
        self.controller.stop()


class TelegramStandIn:
    """The Bot API's two methods the app calls, on 127.0.0.1: sendMessage (kept, or failing as told) and
    getUpdates (what the test queued, after the offset asked for)."""

    TOKEN = "123456:TEST-token"

    def __init__(self):
        self.sent: list[dict] = []
        self.updates: list[dict] = []
        self.offsets: list[int] = []
        self.fail_next = 0  # answer this many sendMessage calls with an error
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                prefix = f"/bot{stand_in.TOKEN}/"
                if not self.path.startswith(prefix):
                    return self.answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                method = self.path[len(prefix):]
                if method == "sendMessage":
                    if stand_in.fail_next:
                        stand_in.fail_next -= 1
                        return self.answer(500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
                    stand_in.sent.append(body)
                    return self.answer(200, {"ok": True, "result": {"message_id": len(stand_in.sent)}})
                if method == "getUpdates":
                    offset = int(body.get("offset") or 0)
                    stand_in.offsets.append(offset)
                    return self.answer(200, {"ok": True, "result": [u for u in stand_in.updates
                                                                    if u["update_id"] >= offset]})
                return self.answer(404, {"ok": False, "description": "Not Found"})

            def answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"

    def texts(self, chat_id: str | None = None) -> list[str]:
        return [m["text"] for m in self.sent if chat_id is None or str(m["chat_id"]) == chat_id]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
