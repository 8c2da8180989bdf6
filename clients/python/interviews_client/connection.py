"""One multiplexed connection of the interviews RPC protocol (docs/PROTOCOL.md).

A `Connection` owns a Unix-domain stream socket and three threads:

* the reader, which decodes frames and dispatches them to calls by call id,
  answers PING, records GOAWAY and fails every open call when the connection
  is lost;
* the writer, which sends the frames callers queue (so a caller never blocks
  on a socket write and the reader never waits for one);
* a deadline timer, started with the first call that has a deadline, which
  ends calls locally with DEADLINE_EXCEEDED and sends CANCEL.

Calls are started from any thread. Call ids are odd and strictly increasing in
the order their HEADERS reach the socket (allocation and queuing happen under
one lock). At most the server's `max_concurrent_calls` calls are open at once;
further calls wait for a slot (as the Swift client does), bounded by their
deadline. A call keeps its slot until the server's TRAILERS arrive, even when
it was cancelled or timed out locally, because the server counts it until then.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import math
import os
import socket
import struct
import threading
import time
from concurrent.futures import Future
from typing import (
    Any,
    Callable,
    Deque,
    Dict,
    Generic,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Type,
    TypeVar,
    Union,
)

from google.protobuf.message import DecodeError, Message

from interviews_pb.rpc.v1 import rpc_pb2

from . import frames
from .errors import RpcError, StatusCode, code_name
from .frames import FrameType

__all__ = ["Connection", "ResponseStream", "Metadata", "DEFAULT_AGENT"]

DEFAULT_AGENT = "interviews-python/1.0"

#: Call metadata: a mapping or a sequence of (key, value) pairs. Keys are
#: lowercase ASCII, values UTF-8.
Metadata = Union[Mapping[str, str], Iterable[Tuple[str, str]]]

M = TypeVar("M", bound=Message)

_MAX_CALL_ID = 2**32 - 1
_WRITE_BATCH = 1 << 20


class _ProtocolError(Exception):
    """The server sent something this client cannot accept."""


class _Call:
    """The client side of one call: buffered response messages and its final status."""

    __slots__ = (
        "id",
        "method",
        "cond",
        "messages",
        "done",
        "error",
        "trailing_metadata",
        "callbacks",
        "deadline",
        "timeout",
        "__weakref__",
    )

    def __init__(self, method: str, deadline: Optional[float], timeout: Optional[float]) -> None:
        self.id = 0
        self.method = method
        self.cond = threading.Condition(threading.Lock())
        self.messages: Deque[bytes] = collections.deque()
        self.done = False
        self.error: Optional[RpcError] = None
        self.trailing_metadata: Tuple[Tuple[str, str], ...] = ()
        self.callbacks: List[Callable[["_Call"], None]] = []
        self.deadline = deadline
        self.timeout = timeout


class _PingWaiter:
    """A PING waiting for its ACK."""

    __slots__ = ("event", "acked")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.acked = False


class _DeadlineTimer:
    """One thread that expires calls whose deadline passed."""

    def __init__(self, expire: Callable[[_Call], None]) -> None:
        self._expire = expire
        self._cond = threading.Condition()
        self._heap: List[Tuple[float, int, _Call]] = []
        self._seq = itertools.count()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="interviews-deadlines", daemon=True)
        self._thread.start()

    def add(self, call: _Call) -> None:
        assert call.deadline is not None
        with self._cond:
            heapq.heappush(self._heap, (call.deadline, next(self._seq), call))
            if self._heap[0][2] is call:
                self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if not self._heap:
                        self._cond.wait()
                        continue
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _, _, call = heapq.heappop(self._heap)
            if not call.done:
                self._expire(call)


class Connection:
    """A connection to the server, carrying many concurrent calls.

    Most users want `interviews_client.Client`, which adds the typed methods.
    """

    def __init__(
        self,
        socket_path: str,
        *,
        connect_timeout: Optional[float] = 10.0,
        max_frame_size: int = frames.DEFAULT_MAX_FRAME_SIZE,
        agent: str = DEFAULT_AGENT,
        trusted_server_uids: Iterable[int] = (),
    ) -> None:
        """Connect to `socket_path`, send the preface and SETTINGS, and wait for the server's SETTINGS.

        Before anything is sent, the uid of the process listening on the socket
        (`SO_PEERCRED`) must be this process's own, root's (0) or one of
        `trusted_server_uids`: anyone may listen on a path in a shared
        directory before the real server does.

        Raises `RpcError` UNAVAILABLE when the socket cannot be reached or the
        connection closes during the handshake, PERMISSION_DENIED (naming the
        path and the uid; nothing was sent) when the server runs as another
        user, DEADLINE_EXCEEDED when the server's SETTINGS do not arrive
        within `connect_timeout` seconds, and the GOAWAY's code when the
        server refuses the connection.
        """
        self.socket_path = socket_path
        self.max_frame_size = max(int(max_frame_size), frames.MIN_MAX_FRAME_SIZE)
        self._lock = threading.Condition(threading.Lock())
        self._calls: Dict[int, _Call] = {}
        self._slot_waiters = 0
        self._next_id = 1
        self._last_id = 0
        self._closed = False
        self._failure: Optional[RpcError] = None
        self._goaway: Optional[rpc_pb2.GoAway] = None
        self._server_settings: Optional[rpc_pb2.Settings] = None
        self._handshake = threading.Event()
        self._pings: Dict[int, _PingWaiter] = {}
        self._timer: Optional[_DeadlineTimer] = None
        self._outbox: "collections.deque[Optional[bytes]]" = collections.deque()
        self._outbox_cond = threading.Condition(threading.Lock())
        self._writer_stopped = False

        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(connect_timeout)
            sock.connect(socket_path)
            sock.settimeout(None)
        except OSError as error:
            sock.close()
            raise RpcError(StatusCode.UNAVAILABLE, f"cannot connect to {socket_path}: {error}") from error
        refusal = server_uid_refusal(socket_path, peer_uid(sock), trusted_server_uids)
        if refusal is not None:
            sock.close()
            raise refusal
        self._sock = sock
        self._rfile = sock.makefile("rb", buffering=1 << 16)

        settings = rpc_pb2.Settings(protocol_version=1, max_frame_size=self.max_frame_size, agent=agent)
        self._enqueue(frames.PREFACE + frames.encode_frame(FrameType.SETTINGS, 0, settings.SerializeToString()))
        self._writer = threading.Thread(target=self._write_loop, name="interviews-writer", daemon=True)
        self._reader = threading.Thread(target=self._read_loop, name="interviews-reader", daemon=True)
        self._writer.start()
        self._reader.start()

        if not self._handshake.wait(connect_timeout):
            self.close()
            raise RpcError(
                StatusCode.DEADLINE_EXCEEDED,
                f"no SETTINGS from the server at {socket_path} within {connect_timeout} s",
            )
        with self._lock:
            failure = self._failure
            goaway = self._goaway
        if self._server_settings is None:
            self.close()
            if goaway is not None:
                raise RpcError(goaway.code or StatusCode.UNAVAILABLE, f"the server refused the connection: {goaway.message}")
            raise failure or RpcError(StatusCode.UNAVAILABLE, "the connection closed during the handshake")
        s = self._server_settings
        self.peer_max_frame_size: int = frames.effective_max_frame_size(s.max_frame_size)
        self.max_concurrent_calls: int = s.max_concurrent_calls or frames.DEFAULT_MAX_CONCURRENT_CALLS
        self.initial_window: int = s.initial_window or frames.DEFAULT_INITIAL_WINDOW

    # ------------------------------------------------------------------ state

    @property
    def server_settings(self) -> rpc_pb2.Settings:
        """The SETTINGS the server sent at the handshake."""
        assert self._server_settings is not None
        return self._server_settings

    @property
    def goaway(self) -> Optional[rpc_pb2.GoAway]:
        """The GOAWAY the server sent, or None."""
        with self._lock:
            return self._goaway

    @property
    def closed(self) -> bool:
        """True once the connection was closed by `close()` or was lost."""
        with self._lock:
            return self._closed or self._failure is not None

    @property
    def open_calls(self) -> int:
        """Calls the server has not yet ended with TRAILERS."""
        with self._lock:
            return len(self._calls)

    @property
    def calls_waiting_for_a_slot(self) -> int:
        """Calls waiting for one of the server's `max_concurrent_calls` slots to free."""
        with self._lock:
            return self._slot_waiters

    def _unusable(self) -> Optional[RpcError]:
        """Why no new call may start (call with `_lock` held), or None."""
        if self._closed:
            return RpcError(StatusCode.UNAVAILABLE, "the client was closed")
        if self._failure is not None:
            return RpcError(StatusCode.UNAVAILABLE, f"the connection is gone: {self._failure.message}")
        if self._goaway is not None:
            g = self._goaway
            return RpcError(
                StatusCode.UNAVAILABLE,
                f"the server sent GOAWAY ({code_name(g.code)}: {g.message}); start calls on a new connection",
            )
        return None

    # ------------------------------------------------------------------ calls

    def start_call(
        self,
        method: str,
        request: Union[Message, bytes],
        *,
        timeout: Optional[float] = None,
        metadata: Sequence[Tuple[str, str]] = (),
        initial_window: int = 0,
    ) -> _Call:
        """Open a call: HEADERS then the one request MESSAGE with END_STREAM.

        `timeout` is in seconds (None: no deadline). Waits for a free slot when
        `max_concurrent_calls` calls are open. Raises `RpcError` when the call
        cannot start (connection unusable, request too large, deadline passed).
        """
        payload = request if isinstance(request, (bytes, bytearray, memoryview)) else request.SerializeToString()
        payload = bytes(payload)
        if len(payload) > self.peer_max_frame_size:
            raise RpcError(
                StatusCode.RESOURCE_EXHAUSTED,
                f"the request of {method} is {len(payload)} bytes; the server's max_frame_size is {self.peer_max_frame_size}",
            )
        for key, _ in metadata:
            if not key or not key.isascii() or key != key.lower():
                raise ValueError(f"metadata key {key!r} must be non-empty lowercase ASCII")
        start = time.monotonic()
        deadline = None
        if timeout is not None and not math.isinf(timeout):
            deadline = start + timeout
        call = _Call(method, deadline, timeout)
        with self._lock:
            while True:
                error = self._unusable()
                if error is not None:
                    raise error
                if len(self._calls) < self.max_concurrent_calls:
                    break
                if deadline is not None and deadline - time.monotonic() <= 0:
                    raise _deadline_error(call)
                self._slot_waiters += 1
                try:
                    self._lock.wait(None if deadline is None else deadline - time.monotonic())
                finally:
                    self._slot_waiters -= 1
            timeout_micros = 0
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _deadline_error(call)
                timeout_micros = max(1, int(remaining * 1_000_000))
            headers = rpc_pb2.CallHeaders(
                method=method,
                metadata=[rpc_pb2.MetadataEntry(key=k, value=v) for k, v in metadata],
                timeout_micros=timeout_micros,
                initial_window=initial_window,
            ).SerializeToString()
            if len(headers) > self.peer_max_frame_size:
                raise RpcError(
                    StatusCode.RESOURCE_EXHAUSTED,
                    f"the HEADERS of {method} are {len(headers)} bytes; the server's max_frame_size is {self.peer_max_frame_size}",
                )
            if self._next_id > _MAX_CALL_ID:
                raise RpcError(StatusCode.UNAVAILABLE, "call ids are exhausted on this connection; open a new one")
            call.id = self._next_id
            self._next_id += 2
            self._last_id = call.id
            self._calls[call.id] = call
            self._enqueue(
                frames.encode_frame(FrameType.HEADERS, call.id, headers)
                + frames.encode_frame(FrameType.MESSAGE, call.id, payload, frames.FLAG_END_STREAM)
            )
            if deadline is not None and self._timer is None:
                self._timer = _DeadlineTimer(self._expire)
            timer = self._timer
        if deadline is not None and timer is not None:
            timer.add(call)
        return call

    def cancel_call(self, call: _Call, reason: str = "", code: int = StatusCode.CANCELLED, message: str = "") -> bool:
        """End `call` locally with `code` and send CANCEL; False when it had already ended."""
        error = RpcError(code, message or (f"cancelled by the client: {reason}" if reason else "cancelled by the client"))
        if not self._finish(call, error, drop_messages=True):
            return False
        with self._lock:
            still_open = self._calls.get(call.id) is call and self._failure is None and not self._closed
        if still_open:
            self._enqueue(frames.encode_frame(FrameType.CANCEL, call.id, rpc_pb2.Cancel(reason=reason).SerializeToString()))
        return True

    def grant(self, call: _Call, credit: int) -> None:
        """Send WINDOW_UPDATE granting `credit` more messages to a server stream."""
        if credit <= 0 or call.done:
            return
        credit = min(credit, frames.MAX_CREDIT)
        self._enqueue(
            frames.encode_frame(FrameType.WINDOW_UPDATE, call.id, rpc_pb2.WindowUpdate(credit=credit).SerializeToString())
        )

    def _expire(self, call: _Call) -> None:
        self.cancel_call(
            call,
            reason="deadline exceeded",
            code=StatusCode.DEADLINE_EXCEEDED,
            message=_deadline_error(call).message,
        )

    def _finish(self, call: _Call, error: Optional[RpcError], drop_messages: bool) -> bool:
        """Set `call`'s final status once; run its callbacks. False when it was already done."""
        with call.cond:
            if call.done:
                return False
            call.done = True
            call.error = error
            if drop_messages:
                call.messages.clear()
            call.cond.notify_all()
            callbacks, call.callbacks = call.callbacks, []
        for callback in callbacks:
            callback(call)
        return True

    def add_done_callback(self, call: _Call, callback: Callable[[_Call], None]) -> None:
        """Run `callback(call)` once the call has its final status (now, if it has)."""
        with call.cond:
            if not call.done:
                call.callbacks.append(callback)
                return
        callback(call)

    # ------------------------------------------------------------------ ping

    def ping(self, timeout: float = 5.0) -> float:
        """Send a PING and wait for its ACK; return the round trip in seconds.

        Raises `RpcError` DEADLINE_EXCEEDED without an ACK in `timeout` seconds,
        UNAVAILABLE when the connection is closed or lost.
        """
        opaque = int.from_bytes(os.urandom(8), "big")
        waiter = _PingWaiter()
        with self._lock:
            if self._closed or self._failure is not None:
                raise RpcError(StatusCode.UNAVAILABLE, "the connection is closed")
            self._pings[opaque] = waiter
        start = time.monotonic()
        self._enqueue(frames.encode_frame(FrameType.PING, 0, rpc_pb2.Ping(opaque=opaque).SerializeToString()))
        signalled = waiter.event.wait(timeout)
        with self._lock:
            self._pings.pop(opaque, None)
        if waiter.acked:
            return time.monotonic() - start
        if signalled:
            raise RpcError(StatusCode.UNAVAILABLE, "the connection closed before the PING ACK")
        raise RpcError(StatusCode.DEADLINE_EXCEEDED, f"no PING ACK within {timeout} s")

    # ------------------------------------------------------------------ close

    def close(self) -> None:
        """Close the connection now: send GOAWAY, close the socket, fail open calls with CANCELLED."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            calls = list(self._calls.values())
            self._calls.clear()
            failed = self._failure is not None
            timer, self._timer = self._timer, None
            self._lock.notify_all()
        if not failed:
            goaway = rpc_pb2.GoAway(code=0, message="the client is closing")
            self._enqueue(frames.encode_frame(FrameType.GOAWAY, 0, goaway.SerializeToString()))
        self._enqueue(None)
        if threading.current_thread() is not self._writer:
            self._writer.join(2.0)
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if threading.current_thread() is not self._reader:
            self._reader.join(2.0)
        try:
            self._rfile.close()
        except OSError:
            pass
        self._sock.close()
        if timer is not None:
            timer.stop()
        for call in calls:
            self._finish(call, RpcError(StatusCode.CANCELLED, "the client was closed"), drop_messages=False)
        self._handshake.set()

    def _fail(self, code: int, message: str) -> None:
        """The connection is lost or unusable: fail every open call with `code`."""
        with self._lock:
            if self._failure is not None or self._closed:
                closed_by_us = self._closed
                calls = []
            else:
                closed_by_us = False
                goaway = self._goaway
                if goaway is not None and code == StatusCode.UNAVAILABLE:
                    message += f" (after GOAWAY {code_name(goaway.code)}: {goaway.message})"
                self._failure = RpcError(code, message)
                calls = list(self._calls.values())
                self._calls.clear()
                for waiter in self._pings.values():
                    waiter.event.set()
                self._lock.notify_all()
        if closed_by_us:
            return
        for call in calls:
            self._finish(call, RpcError(code, message), drop_messages=False)
        self._handshake.set()
        self._enqueue(None)
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ------------------------------------------------------------------ writer

    def _enqueue(self, data: Optional[bytes]) -> None:
        with self._outbox_cond:
            if self._writer_stopped:
                return
            self._outbox.append(data)
            self._outbox_cond.notify()

    def _write_loop(self) -> None:
        try:
            while True:
                with self._outbox_cond:
                    while not self._outbox:
                        self._outbox_cond.wait()
                    chunks: List[bytes] = []
                    size = 0
                    stop = False
                    while self._outbox and size < _WRITE_BATCH:
                        item = self._outbox.popleft()
                        if item is None:
                            stop = True
                            break
                        chunks.append(item)
                        size += len(item)
                    if stop:
                        self._writer_stopped = True
                        self._outbox.clear()
                if chunks:
                    self._sock.sendall(b"".join(chunks))
                if stop:
                    return
        except OSError as error:
            with self._outbox_cond:
                self._writer_stopped = True
                self._outbox.clear()
            self._fail(StatusCode.UNAVAILABLE, f"cannot write to {self.socket_path}: {error}")

    # ------------------------------------------------------------------ reader

    def _read_exact(self, n: int) -> bytes:
        data = self._rfile.read(n)
        if data is None or len(data) < n:
            raise EOFError
        return data

    def _read_loop(self) -> None:
        try:
            while True:
                head = self._rfile.read(frames.HEADER_SIZE)
                if not head:
                    raise EOFError
                if len(head) < frames.HEADER_SIZE:
                    raise EOFError
                header = frames.decode_header(head)
                if header.length > self.max_frame_size:
                    raise _ProtocolError(
                        f"{frames.type_name(header.type)} frame of {header.length} bytes exceeds "
                        f"this client's max_frame_size {self.max_frame_size}"
                    )
                payload = self._read_exact(header.length) if header.length else b""
                self._dispatch(header, payload)
        except _ProtocolError as error:
            self._fail(StatusCode.INTERNAL, f"protocol error from the server: {error}")
        except (EOFError, OSError, ValueError):
            self._fail(StatusCode.UNAVAILABLE, f"the connection to {self.socket_path} closed")
        except Exception as error:  # a bug here must not leave calls hanging
            self._fail(StatusCode.INTERNAL, f"the client's reader failed: {error!r}")
            raise

    def _dispatch(self, header: frames.FrameHeader, payload: bytes) -> None:
        ftype, call_id = header.type, header.call_id
        if header.reserved != 0:
            raise _ProtocolError(f"{frames.type_name(ftype)} frame has reserved bits 0x{header.reserved:x}")
        if self._server_settings is None and ftype not in (FrameType.SETTINGS, FrameType.GOAWAY):
            raise _ProtocolError(f"expected SETTINGS first, got {frames.type_name(ftype)}")
        if ftype in (FrameType.SETTINGS, FrameType.PING, FrameType.GOAWAY):
            if call_id != 0:
                raise _ProtocolError(f"{frames.type_name(ftype)} frame has call id {call_id}; it must be 0")
        elif ftype in (FrameType.MESSAGE, FrameType.TRAILERS) and call_id == 0:
            raise _ProtocolError(f"{frames.type_name(ftype)} frame has call id 0")

        if ftype == FrameType.MESSAGE:
            with self._lock:
                call = self._calls.get(call_id)
            if call is None:
                return  # a call that ended (cancelled, timed out): normal races
            with call.cond:
                if not call.done:
                    call.messages.append(payload)
                    call.cond.notify_all()
        elif ftype == FrameType.TRAILERS:
            status = _decode(rpc_pb2.Status, payload, "TRAILERS")
            with self._lock:
                call = self._calls.pop(call_id, None)
                if call is not None:
                    self._lock.notify_all()
            if call is None:
                return
            call.trailing_metadata = tuple((e.key, e.value) for e in status.metadata)
            error = None
            if status.code != 0:
                error = RpcError(status.code, status.message, call.trailing_metadata)
            self._finish(call, error, drop_messages=False)
        elif ftype == FrameType.SETTINGS:
            if self._server_settings is None:
                self._server_settings = _decode(rpc_pb2.Settings, payload, "SETTINGS")
                self._handshake.set()
        elif ftype == FrameType.PING:
            ping = _decode(rpc_pb2.Ping, payload, "PING")
            if header.flags & frames.FLAG_ACK:
                with self._lock:
                    event = self._pings.get(ping.opaque)
                if event is not None:
                    event.acked = True
                    event.event.set()
            else:
                self._enqueue(frames.encode_frame(FrameType.PING, 0, payload, frames.FLAG_ACK))
        elif ftype == FrameType.GOAWAY:
            goaway = _decode(rpc_pb2.GoAway, payload, "GOAWAY")
            with self._lock:
                if self._goaway is None:
                    self._goaway = goaway
                self._lock.notify_all()
            if self._server_settings is None:
                self._handshake.set()
        elif ftype in (FrameType.HEADERS, FrameType.CANCEL, FrameType.WINDOW_UPDATE):
            raise _ProtocolError(f"the server sent {frames.type_name(ftype)}, which only clients send")
        else:
            raise _ProtocolError(f"unknown frame type 0x{ftype:x}")


def peer_uid(sock: socket.socket) -> Optional[int]:
    """The uid of the process at the other end of a connected Unix socket
    (`SO_PEERCRED`: a `struct ucred` of pid, uid, gid), or None when the
    platform cannot tell."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    try:
        credentials = sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    except OSError:
        return None
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return uid & 0xFFFFFFFF


def server_uid_refusal(socket_path: str, uid: Optional[int], trusted: Iterable[int] = ()) -> Optional[RpcError]:
    """Why a server running as `uid` must not be talked to, or None when it may:
    it runs as this process's (effective or real) uid, as root, or as one of
    `trusted`."""
    own = os.geteuid()
    if uid is None:
        return RpcError(
            StatusCode.PERMISSION_DENIED,
            f"cannot tell which user runs the server at {socket_path} (SO_PEERCRED is unavailable); nothing was sent",
        )
    if uid in (own, os.getuid(), 0) or uid in set(trusted):
        return None
    return RpcError(
        StatusCode.PERMISSION_DENIED,
        f"the server at {socket_path} runs as uid {uid}, not as you (uid {own}) or root, so nothing was sent "
        f"to it (no API key either); another user may be listening on that path. If you trust uid {uid}, "
        f"allow it: Client(..., trusted_server_uids=[{uid}])",
    )


def _decode(message_type: Type[M], payload: bytes, what: str) -> M:
    try:
        return message_type.FromString(payload)
    except DecodeError as error:
        raise _ProtocolError(f"malformed {what} payload: {error}") from error


def _deadline_error(call: _Call) -> RpcError:
    return RpcError(StatusCode.DEADLINE_EXCEEDED, f"deadline of {call.timeout} s exceeded (client) for {call.method}")


def parse_response(method: str, payload: bytes, response_type: Optional[Type[M]]) -> Any:
    """Decode one response MESSAGE payload as `response_type` (None: return the bytes)."""
    if response_type is None:
        return payload
    try:
        return response_type.FromString(payload)
    except DecodeError as error:
        raise RpcError(
            StatusCode.INTERNAL,
            f"cannot decode the {response_type.DESCRIPTOR.full_name} response of {method}: {error}",
        ) from error


class ResponseStream(Generic[M]):
    """The responses of a server-streaming call, as an iterator.

    Iterating yields each response message; when the call ends with an error
    the iterator raises `RpcError` after the messages received before it.
    Credit is returned to the server (WINDOW_UPDATE) as messages are consumed,
    half a window at a time, so the server never sends more than `window`
    messages ahead of the consumer. `close()` (or leaving a ``with`` block)
    before the end sends CANCEL. Use one stream from one consumer thread.
    """

    def __init__(self, connection: Connection, call: _Call, response_type: Optional[Type[M]], window: int) -> None:
        self._conn = connection
        self._call = call
        self._type = response_type
        self.window = window
        self._threshold = max(1, window // 2)
        self._consumed = 0

    @property
    def call_id(self) -> int:
        """The call id this stream was opened with."""
        return self._call.id

    @property
    def done(self) -> bool:
        """True once the call has its final status (messages may still be buffered)."""
        return self._call.done

    @property
    def code(self) -> Optional[int]:
        """The final status code once the call ended (0 for OK), else None."""
        if not self._call.done:
            return None
        return self._call.error.code if self._call.error else StatusCode.OK

    @property
    def trailing_metadata(self) -> Tuple[Tuple[str, str], ...]:
        """The TRAILERS metadata (empty until the call ended)."""
        return self._call.trailing_metadata

    def __iter__(self) -> Iterator[M]:
        return self

    def __next__(self) -> M:
        message = self.read()
        if message is None:
            raise StopIteration
        return message

    def read(self, timeout: Optional[float] = None) -> Optional[M]:
        """Return the next message, or None at the end of a successful stream.

        Raises `RpcError` when the call ended with an error, and `TimeoutError`
        when no message arrived within `timeout` seconds (the call goes on).
        """
        call = self._call
        with call.cond:
            if timeout is None:
                while not call.messages and not call.done:
                    call.cond.wait()
            else:
                end = time.monotonic() + timeout
                while not call.messages and not call.done:
                    remaining = end - time.monotonic()
                    if remaining <= 0:
                        raise TimeoutError(f"no message on {call.method} within {timeout} s")
                    call.cond.wait(remaining)
            if call.messages:
                payload = call.messages.popleft()
                done = call.done
            else:
                if call.error is not None:
                    raise call.error
                return None
        if not done:
            self._consumed += 1
            if self._consumed >= self._threshold:
                self._conn.grant(call, self._consumed)
                self._consumed = 0
        return parse_response(call.method, payload, self._type)

    def cancel(self, reason: str = "") -> bool:
        """Abandon the call: send CANCEL; False when it had already ended."""
        return self._conn.cancel_call(self._call, reason)

    def close(self) -> None:
        """Cancel the call if it is still running and drop buffered messages."""
        if not self._call.done:
            self._conn.cancel_call(self._call, "the stream was closed")
        with self._call.cond:
            self._call.messages.clear()

    def __enter__(self) -> "ResponseStream[M]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if not self._call.done:
                self._conn.cancel_call(self._call, "the stream was garbage-collected")
        except Exception:
            pass


def unary_future(
    connection: Connection,
    method: str,
    request: Union[Message, bytes],
    response_type: Optional[Type[M]],
    *,
    timeout: Optional[float] = None,
    metadata: Sequence[Tuple[str, str]] = (),
) -> "Future[M]":
    """Start a unary call; return a Future of its response (or of its `RpcError`)."""
    call = connection.start_call(method, request, timeout=timeout, metadata=metadata)
    future: "Future[M]" = Future()
    future.set_running_or_notify_cancel()

    def complete(c: _Call) -> None:
        if c.error is not None:
            future.set_exception(c.error)
            return
        with c.cond:
            messages = list(c.messages)
            c.messages.clear()
        if len(messages) != 1:
            future.set_exception(
                RpcError(
                    StatusCode.INTERNAL,
                    f"unary call {c.id} ({method}) ended OK with {len(messages)} response messages; expected 1",
                )
            )
            return
        try:
            future.set_result(parse_response(method, messages[0], response_type))
        except RpcError as error:
            future.set_exception(error)

    connection.add_done_callback(call, complete)
    return future
