"""The mixed workload's HTTP client. wrk cannot tell the mix's operations apart, and httpx costs
~0.8 ms of client CPU per request, against ~0.05 ms for this one."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping


class Connection:
    """One keep-alive HTTP/1.1 connection: a request at a time, no redirects, no TLS. A fraction of
    httpx's client CPU per request, which matters when the load generator shares 2 cores with Flock."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        """The status and body of one request; reconnects if the last answer closed the connection."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body or method in {"POST", "PUT", "PATCH"}:
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        try:
            status, answer, close = await read_response(reader)
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status, answer

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server closes the connection, of one HTTP/1.1 response."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    fields: dict[str, str] = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name:
            fields[name.strip().lower()] = value.strip().lower()
    if fields.get("transfer-encoding") == "chunked":
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append((await reader.readexactly(size + 2))[:-2])
        while await reader.readuntil(b"\r\n") != b"\r\n":  # trailer fields, if any
            pass
        body = b"".join(chunks)
    else:
        body = await reader.readexactly(int(fields.get("content-length", "0")))
    return status, body, fields.get("connection") == "close"
