"""A minimal HTTP/1.1 client on asyncio streams for the live bench: keep-alive connections, one per simulated
screen, costing the load generator little CPU on the machine it shares with the server. It reconnects and
retries once when the server closed an idle keep-alive connection, as browsers do."""
import asyncio
import time
from dataclasses import dataclass


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes
    seconds: float


class ConnectionLost(Exception):
    """The server closed the connection before answering (or did not answer at all)."""


class Client:
    """One keep-alive connection to host:port, used by one simulated screen or editor at a time."""

    def __init__(self, host: str, port: int, cookie: str = ""):
        self.host, self.port, self.cookie = host, port, cookie
        self.reader = self.writer = None

    async def _connect(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, OSError):
                pass
            self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict | None = None, body: bytes = b"",
                      timeout: float = 30.0) -> Response:
        for attempt in (1, 2):
            fresh = self.writer is None
            if fresh:
                await self._connect()
            start = time.perf_counter()
            try:
                return await asyncio.wait_for(self._exchange(method, path, headers or {}, body, start), timeout)
            except (ConnectionLost, ConnectionError, asyncio.IncompleteReadError) as exc:
                await self.close()
                if fresh or attempt == 2:  # a new connection that fails is a real failure
                    raise ConnectionLost(str(exc)) from exc

    async def _exchange(self, method, path, headers, body, start) -> Response:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: keep-alive"]
        if self.cookie:
            lines.append(f"Cookie: {self.cookie}")
        for name, value in headers.items():
            lines.append(f"{name}: {value}")
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        if not head:
            raise ConnectionLost("empty")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        found = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                found[name.strip().lower()] = value.strip()
        if "chunked" in found.get("transfer-encoding", ""):
            data = bytearray()
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                data += await self.reader.readexactly(size)
                await self.reader.readexactly(2)
            payload = bytes(data)
        else:
            length = int(found.get("content-length", "0"))
            payload = await self.reader.readexactly(length) if length else b""
        if found.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, found, payload, time.perf_counter() - start)
