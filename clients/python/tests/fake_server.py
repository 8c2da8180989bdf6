"""A scripted, single-connection fake server for unit tests of the client's protocol handling."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from typing import Optional, Tuple

from interviews_client import frames
from interviews_pb.rpc.v1 import rpc_pb2


class FakeServer:
    """Listens on a temporary socket; `accept()` completes the handshake and returns the peer."""

    def __init__(self, settings: Optional[rpc_pb2.Settings] = None) -> None:
        self.dir = tempfile.mkdtemp(prefix="ivfake-", dir="/tmp")
        self.path = os.path.join(self.dir, "s.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(4)
        self.listener.settimeout(10)
        self.settings = settings or rpc_pb2.Settings(
            protocol_version=1, max_frame_size=4 << 20, max_concurrent_calls=100, initial_window=64, agent="fake/1"
        )
        self.conn: Optional[socket.socket] = None
        self.client_preface = b""
        self.client_settings: Optional[rpc_pb2.Settings] = None

    def accept(self) -> "FakeServer":
        conn, _ = self.listener.accept()
        conn.settimeout(10)
        self.conn = conn
        self.client_preface = self.read_exact(16)
        header, payload = self.read_frame()
        assert header.type == frames.FrameType.SETTINGS, header
        self.client_settings = rpc_pb2.Settings.FromString(payload)
        self.send(frames.FrameType.SETTINGS, 0, self.settings.SerializeToString())
        return self

    def read_exact(self, n: int) -> bytes:
        assert self.conn is not None
        data = b""
        while len(data) < n:
            chunk = self.conn.recv(n - len(data))
            if not chunk:
                raise EOFError("client closed")
            data += chunk
        return data

    def read_frame(self) -> Tuple[frames.FrameHeader, bytes]:
        header = frames.decode_header(self.read_exact(frames.HEADER_SIZE))
        payload = self.read_exact(header.length) if header.length else b""
        return header, payload

    def read_call(self) -> Tuple[int, rpc_pb2.CallHeaders, bytes]:
        """Read one call's HEADERS and request MESSAGE; return (call id, headers, request bytes)."""
        header, payload = self.read_frame()
        assert header.type == frames.FrameType.HEADERS, header
        call_headers = rpc_pb2.CallHeaders.FromString(payload)
        mheader, request = self.read_frame()
        assert mheader.type == frames.FrameType.MESSAGE and mheader.call_id == header.call_id, mheader
        assert mheader.flags & frames.FLAG_END_STREAM
        return header.call_id, call_headers, request

    def send(self, frame_type: int, call_id: int, payload: bytes = b"", flags: int = 0) -> None:
        assert self.conn is not None
        self.conn.sendall(frames.encode_frame(frame_type, call_id, payload, flags))

    def send_raw(self, data: bytes) -> None:
        assert self.conn is not None
        self.conn.sendall(data)

    def reply(self, call_id: int, message: bytes = b"", code: int = 0, text: str = "") -> None:
        """Answer a unary call: MESSAGE (when code is 0) then TRAILERS."""
        if code == 0:
            self.send(frames.FrameType.MESSAGE, call_id, message)
        self.send(frames.FrameType.TRAILERS, call_id, rpc_pb2.Status(code=code, message=text).SerializeToString())

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.conn.close()
            self.conn = None
        self.listener.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_in_thread(target, *args) -> threading.Thread:  # type: ignore[no-untyped-def]
    """Start `target(*args)` on a daemon thread; the result or exception is kept on the thread."""

    def body() -> None:
        try:
            thread.result = target(*args)  # type: ignore[attr-defined]
        except BaseException as error:  # noqa: BLE001
            thread.error = error  # type: ignore[attr-defined]

    thread = threading.Thread(target=body, daemon=True)
    thread.result = None  # type: ignore[attr-defined]
    thread.error = None  # type: ignore[attr-defined]
    thread.start()
    return thread
