"""One multiplexed connection of the interviews RPC protocol (docs/PROTOCOL.md).

A blocking call crosses no other thread on its way: the calling thread
encodes its frames and writes them itself, and then reads its own response
(when other callers are reading, whichever reads first dispatches it).

* **Sending.** A caller encodes a call's HEADERS and request MESSAGE into one
  buffer and writes it with one ``sendall`` under the send lock; CANCEL,
  WINDOW_UPDATE, PING and GOAWAY go the same way. Call ids are odd and
  strictly increasing in the order their HEADERS reach the socket: an id is
  allocated under the send lock, by the thread that then writes its HEADERS.
  A thread that must not block on the socket (the one reading frames, the
  deadline timer, a garbage-collected stream) never takes the send lock: it
  queues its frame (a PING ACK, a CANCEL), and the next thread to write sends
  the queue first; a small helper thread, started on first use, takes the
  send lock for the queue when nobody else does. So a ``sendall`` blocked on
  a server that is not reading (the server stops reading while its own
  writes to us are unread) never keeps the frames from being read.
* **Reading.** Frames are read by whichever thread holds the read role, one
  at a time; it dispatches every frame by call id (other calls' frames go to
  their calls and wake their waiters), answers PING and records GOAWAY. A
  caller waiting for its own response (a unary call, a stream's ``read``,
  a future's ``result``) takes the role when it is free and reads until its
  call has what it waits for (or its deadline or timeout passes); then it
  hands the role to the next caller still waiting, if any. A caller with no
  deadline or timeout waits in ``recv``, others in ``poll`` (with a wake
  pipe). The thread holding the role never waits for the send lock, and
  nobody waits for the read role while holding it. When no caller waits, a background reader thread takes the
  role: at once when calls are open that no caller waits for (futures,
  streams between reads, pings, calls waiting for a slot), or after
  50 ms of an idle connection; it answers PING, records GOAWAY and fails
  every open call when the connection is lost, and it gives the role up
  (woken through a pipe) as soon as a caller asks for it. Done callbacks
  (a future's result) run after the reading thread gave the role up. When
  a write fails (the server went away), what the server sent before is
  still read, then every open call fails with "cannot write to ...".
* **Deadlines.** A caller waiting for its own call ends it when its deadline
  passes; calls nobody waits for (futures, streams) are ended by a deadline
  timer thread, started with the first such call that has a deadline. Both
  end the call locally with DEADLINE_EXCEEDED and send CANCEL.

At most the server's `max_concurrent_calls` calls are open at once; further
calls wait for a slot (as the Swift client does), bounded by their deadline.
A call keeps its slot until the server's TRAILERS arrive, even when it was
cancelled or timed out locally, because the server counts it until then.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import math
import os
import select
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
#: How long an idle connection (no call open, nobody waiting) goes unread
#: before the background reader takes over, so that back-to-back calls of
#: one thread never find it holding the read role.
_IDLE_GRACE = 0.05
_RECV_SIZE = 1 << 16
_HEADER = struct.Struct(">IBBHI")

_Callbacks = List[Tuple[Callable[["_Call"], None], "_Call"]]

#: Encoded CallHeaders fields 1 and 2 (method, metadata) by (method, metadata).
_HEADERS_PREFIXES: Dict[Tuple[str, Tuple[Tuple[str, str], ...]], bytes] = {}
_HEADERS_PREFIXES_MAX = 256


def _headers_prefix(method: str, metadata: Sequence[Tuple[str, str]]) -> bytes:
    """CallHeaders `method` and `metadata` encoded (fields 1 and 2), validating the keys; cached."""
    try:
        key: Any = (method, tuple(metadata))
        prefix = _HEADERS_PREFIXES.get(key)
    except TypeError:  # pairs that are not hashable (lists): encoded every time
        key, prefix = None, None
    if prefix is None:
        for k, _ in metadata:
            if not k or not k.isascii() or k != k.lower():
                raise ValueError(f"metadata key {k!r} must be non-empty lowercase ASCII")
        prefix = rpc_pb2.CallHeaders(
            method=method, metadata=[rpc_pb2.MetadataEntry(key=k, value=v) for k, v in metadata]
        ).SerializeToString()
        if key is not None:
            if len(_HEADERS_PREFIXES) >= _HEADERS_PREFIXES_MAX:
                _HEADERS_PREFIXES.clear()
            _HEADERS_PREFIXES[key] = prefix
    return prefix


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def encode_call_headers(prefix: bytes, timeout_micros: int, initial_window: int) -> bytes:
    """The CallHeaders payload: the encoded method and metadata, then fields 3 and 4 when not 0.

    Byte for byte what `CallHeaders(...).SerializeToString()` gives (fields in number order).
    """
    if timeout_micros:
        prefix += b"\x18" + _varint(timeout_micros)
    if initial_window:
        prefix += b"\x20" + _varint(initial_window)
    return prefix


class _ProtocolError(Exception):
    """The server sent something this client cannot accept."""


class _Call:
    """The client side of one call: buffered response messages and its final status."""

    __slots__ = (
        "id",
        "method",
        "cond",
        "lock",
        "messages",
        "done",
        "error",
        "trailing_metadata",
        "callbacks",
        "deadline",
        "timeout",
        "attended",
        "__weakref__",
    )

    def __init__(self, method: str, deadline: Optional[float], timeout: Optional[float]) -> None:
        self.id = 0
        self.method = method
        self.lock = threading.RLock()
        #: Made (under `lock`) by the first thread that waits; notified under `lock`.
        self.cond: Optional[threading.Condition] = None
        self.messages: Deque[bytes] = collections.deque()
        self.done = False
        self.error: Optional[RpcError] = None
        self.trailing_metadata: Tuple[Tuple[str, str], ...] = ()
        self.callbacks: List[Callable[["_Call"], None]] = []
        self.deadline = deadline
        self.timeout = timeout
        #: A caller waits for this call (a blocking unary call): no need for
        #: the background reader while it is open.
        self.attended = False


def _is_done(call: _Call) -> bool:
    return call.done


def _has_message(call: _Call) -> bool:
    return call.done or bool(call.messages)


class _Waiter:
    """A caller waiting for the read role (`handed` once it is given to it)."""

    __slots__ = ("call", "want", "handed")

    def __init__(self, call: _Call, want: Callable[[_Call], bool]) -> None:
        self.call = call
        self.want = want
        self.handed = False


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
        #: Guards the connection's state (``with self._mutex``: a Condition's
        #: own ``with`` costs a Python call).
        self._mutex = threading.Lock()
        #: Notified when a slot frees, on GOAWAY, and when the read role is
        #: given up after close or loss.
        self._lock = threading.Condition(self._mutex)
        #: The background reader waits on it (same lock) for the read role.
        self._bg_cond = threading.Condition(self._mutex)
        self._calls: Dict[int, _Call] = {}
        self._unattended = 0  # open calls with attended False
        self._slot_waiters = 0
        self._next_id = 1
        self._last_id = 0
        self._closed = False
        self._failure: Optional[RpcError] = None
        #: A write failed (the server went away): the connection fails once
        #: what the server sent before has been read.
        self._write_error: Optional[OSError] = None
        self._goaway: Optional[rpc_pb2.GoAway] = None
        self._server_settings: Optional[rpc_pb2.Settings] = None
        self._handshake = threading.Event()
        self._pings: Dict[int, _PingWaiter] = {}
        self._timer: Optional[_DeadlineTimer] = None

        # Sending: the send lock, and frames queued by threads that must not block on it.
        self._send_lock = threading.Lock()
        self._sock_closed = False  # under the send lock: the descriptor was closed
        self._deferred: Deque[bytes] = collections.deque()
        self._post_cond = threading.Condition(threading.RLock())
        self._poster: Optional[threading.Thread] = None
        self._post_stopped = False

        # Reading: the read role (under _lock) and the state only its holder touches.
        self._reading = False  # someone holds the read role
        self._bg_reading = False  # ... and it is the background reader
        self._reader_ident: Optional[int] = None  # the thread holding it, once running
        self._leading_call: Optional[_Call] = None  # the call a caller holding it waits for
        self._waiters: Dict[_Waiter, None] = {}  # callers waiting for the role, in order
        self._role_freed_at = time.monotonic()
        self._wake_sent = False
        self._pipe_closed = False
        self._rbuf = bytearray()  # an incomplete frame
        self._need = frames.HEADER_SIZE  # len(_rbuf) that lets parsing go on

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
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._poller = select.poll()
        self._poller.register(sock.fileno(), select.POLLIN)
        self._poller.register(self._wake_r, select.POLLIN)

        settings = rpc_pb2.Settings(protocol_version=1, max_frame_size=self.max_frame_size, agent=agent)
        self._send(frames.PREFACE + frames.encode_frame(FrameType.SETTINGS, 0, settings.SerializeToString()))
        self._reader = threading.Thread(target=self._background_read, name="interviews-reader", daemon=True)
        self._reader.start()

        if not self._handshake.wait(connect_timeout):
            self.close()
            raise RpcError(
                StatusCode.DEADLINE_EXCEEDED,
                f"no SETTINGS from the server at {socket_path} within {connect_timeout} s",
            )
        with self._mutex:
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
        with self._mutex:
            return self._goaway

    @property
    def closed(self) -> bool:
        """True once the connection was closed by `close()` or was lost."""
        with self._mutex:
            return self._closed or self._failure is not None

    @property
    def open_calls(self) -> int:
        """Calls the server has not yet ended with TRAILERS."""
        with self._mutex:
            return len(self._calls)

    @property
    def calls_waiting_for_a_slot(self) -> int:
        """Calls waiting for one of the server's `max_concurrent_calls` slots to free."""
        with self._mutex:
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

    def _needs_reader(self) -> bool:
        """Whether the background reader should read now rather than after the idle grace (`_lock` held)."""
        return bool(
            self._server_settings is None
            or self._unattended
            or self._pings
            or self._slot_waiters
            or self._write_error is not None
        )

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
        return self._start(method, request, timeout, metadata, initial_window, False)

    def unary(
        self,
        method: str,
        request: Union[Message, bytes],
        response_type: Optional[Type[M]],
        *,
        timeout: Optional[float] = None,
        metadata: Sequence[Tuple[str, str]] = (),
    ) -> Any:
        """Make a unary call and wait for its response (decoded as `response_type`; None: the bytes).

        Raises `RpcError` when the call cannot start or ends with a status
        other than OK, as `unary_future(...).result()` does.
        """
        call = self._start(method, request, timeout, metadata, 0, True)
        if not call.done:
            self._await(call, None, _is_done)
        return _unary_result(call, method, response_type)

    def _start(
        self,
        method: str,
        request: Union[Message, bytes],
        timeout: Optional[float],
        metadata: Sequence[Tuple[str, str]],
        initial_window: int,
        attended: bool,
    ) -> _Call:
        payload = request if isinstance(request, (bytes, bytearray, memoryview)) else request.SerializeToString()
        payload = bytes(payload)
        if len(payload) > self.peer_max_frame_size:
            raise RpcError(
                StatusCode.RESOURCE_EXHAUSTED,
                f"the request of {method} is {len(payload)} bytes; the server's max_frame_size is {self.peer_max_frame_size}",
            )
        prefix = _headers_prefix(method, metadata)
        deadline = None
        if timeout is not None and not math.isinf(timeout):
            deadline = time.monotonic() + timeout
        call = _Call(method, deadline, timeout)
        call.attended = attended
        send_error: Optional[OSError] = None
        timer: Optional[_DeadlineTimer] = None
        while True:
            # The send lock, then the id: ids reach the socket in the order they are allocated.
            if deadline is None:
                self._send_lock.acquire()
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._send_lock.acquire(timeout=remaining):
                    with self._mutex:
                        error = self._unusable()
                    raise error or _deadline_error(call)
            full = False
            try:
                with self._mutex:
                    error = self._unusable()
                    if error is not None:
                        raise error
                    if len(self._calls) >= self.max_concurrent_calls:
                        full = True
                    else:
                        timeout_micros = 0
                        if deadline is not None:
                            remaining = deadline - time.monotonic()
                            if remaining <= 0:
                                raise _deadline_error(call)
                            timeout_micros = max(1, int(remaining * 1_000_000))
                        headers = encode_call_headers(prefix, timeout_micros, initial_window)
                        if len(headers) > self.peer_max_frame_size:
                            raise RpcError(
                                StatusCode.RESOURCE_EXHAUSTED,
                                f"the HEADERS of {method} are {len(headers)} bytes; the server's max_frame_size is {self.peer_max_frame_size}",
                            )
                        if self._next_id > _MAX_CALL_ID:
                            raise RpcError(StatusCode.UNAVAILABLE, "call ids are exhausted on this connection; open a new one")
                        call.id = call_id = self._next_id
                        self._next_id += 2
                        self._last_id = call_id
                        self._calls[call_id] = call
                        if not attended:
                            self._unattended += 1
                            if not self._reading:
                                self._bg_cond.notify()
                            if deadline is not None:
                                if self._timer is None:
                                    self._timer = _DeadlineTimer(self._expire)
                                timer = self._timer
                if not full:
                    send_error = self._sendall_locked(
                        _HEADER.pack(len(headers), _HEADERS_TYPE, 0, 0, call_id)
                        + headers
                        + _HEADER.pack(len(payload), _MESSAGE, frames.FLAG_END_STREAM, 0, call_id)
                        + payload
                    )
                    break
            finally:
                self._send_lock.release()
            # Every slot is taken: wait (without the send lock) until the server ends a call.
            with self._mutex:
                while True:
                    error = self._unusable()
                    if error is not None:
                        raise error
                    if len(self._calls) < self.max_concurrent_calls:
                        break
                    if deadline is not None and deadline - time.monotonic() <= 0:
                        raise _deadline_error(call)
                    self._slot_waiters += 1
                    if not self._reading:
                        self._bg_cond.notify()  # somebody must read the TRAILERS that free a slot
                    try:
                        self._lock.wait(None if deadline is None else deadline - time.monotonic())
                    finally:
                        self._slot_waiters -= 1
        if send_error is not None:
            self._write_failed(send_error)
        if timer is not None:
            timer.add(call)
        return call

    def cancel_call(self, call: _Call, reason: str = "", code: int = StatusCode.CANCELLED, message: str = "") -> bool:
        """End `call` locally with `code` and send CANCEL; False when it had already ended."""
        return self._cancel(call, reason, code, message, True)

    def _cancel(self, call: _Call, reason: str, code: int, message: str, wait: bool) -> bool:
        """`cancel_call`; with `wait` False the CANCEL is queued, never waiting for the send lock."""
        error = RpcError(code, message or (f"cancelled by the client: {reason}" if reason else "cancelled by the client"))
        if not self._finish(call, error, drop_messages=True):
            return False
        wake = False
        with self._mutex:
            still_open = self._calls.get(call.id) is call and self._failure is None and not self._closed
            if still_open and call.attended:
                # Nobody waits for it any more; its TRAILERS (which free its slot) must still be read.
                call.attended = False
                self._unattended += 1
                if not self._reading:
                    self._bg_cond.notify()
            if self._leading_call is call and self._reader_ident != threading.get_ident():
                wake = True  # its caller is reading for it: let it see the end
        if wake:
            self._wake()
        if still_open:
            self._send(frames.encode_frame(FrameType.CANCEL, call.id, rpc_pb2.Cancel(reason=reason).SerializeToString()), wait)
        return True

    def grant(self, call: _Call, credit: int) -> None:
        """Send WINDOW_UPDATE granting `credit` more messages to a server stream."""
        if credit <= 0 or call.done:
            return
        credit = min(credit, frames.MAX_CREDIT)
        self._send(
            frames.encode_frame(FrameType.WINDOW_UPDATE, call.id, rpc_pb2.WindowUpdate(credit=credit).SerializeToString())
        )

    def _expire(self, call: _Call, wait: bool = False) -> None:
        self._cancel(call, "deadline exceeded", StatusCode.DEADLINE_EXCEEDED, _deadline_error(call).message, wait)

    def _finish(
        self, call: _Call, error: Optional[RpcError], drop_messages: bool, callbacks: Optional[_Callbacks] = None
    ) -> bool:
        """Set `call`'s final status once; run its callbacks (or add them to `callbacks`). False when it was already done."""
        with call.lock:
            if call.done:
                return False
            call.done = True
            call.error = error
            if drop_messages:
                call.messages.clear()
            if call.cond is not None:
                call.cond.notify_all()
            done_callbacks, call.callbacks = call.callbacks, []
        if not done_callbacks:
            return True
        if callbacks is not None:
            callbacks.extend((callback, call) for callback in done_callbacks)
        else:
            for callback in done_callbacks:
                callback(call)
        return True

    def add_done_callback(self, call: _Call, callback: Callable[[_Call], None]) -> None:
        """Run `callback(call)` once the call has its final status (now, if it has)."""
        with call.lock:
            if not call.done:
                call.callbacks.append(callback)
                return
        callback(call)

    def _run_callbacks(self, callbacks: _Callbacks) -> None:
        for callback, call in callbacks:
            try:
                callback(call)
            except Exception as error:  # a bug here must not leave calls hanging
                self._fail(StatusCode.INTERNAL, f"the client's reader failed: {error!r}")
        callbacks.clear()

    # ------------------------------------------------------------------ waiting and the read role

    def _await(self, call: _Call, end: Optional[float], want: Callable[[_Call], bool]) -> None:
        """Return once `want(call)` holds, or at `end` (monotonic; None: no limit).

        Reads frames itself when nobody else does (see the module docstring),
        and ends the call with DEADLINE_EXCEEDED when its deadline passes.
        """
        me = threading.get_ident()
        while True:
            if want(call):
                return
            deadline = call.deadline
            limit = end
            if deadline is not None:
                now = time.monotonic()
                if now >= deadline:
                    self._expire(call, wait=True)
                    continue
                if limit is None or deadline < limit:
                    limit = deadline
            if end is not None and time.monotonic() >= end:
                return
            waiter: Optional[_Waiter] = None
            wake = False
            with self._mutex:
                if want(call):
                    return
                if self._closed or self._failure is not None:
                    lead = False  # every open call is being ended: wait for it
                elif not self._reading:
                    self._reading = True
                    self._reader_ident = me
                    self._leading_call = call
                    lead = True
                else:
                    lead = False
                    waiter = _Waiter(call, want)
                    self._waiters[waiter] = None
                    if self._bg_reading and not self._wake_sent:
                        self._wake_sent = wake = True
            if lead:
                self._lead(call, limit, want)
                continue
            if wake:
                self._wake()
            with call.lock:
                cond = call.cond
                if cond is None:
                    cond = call.cond = threading.Condition(call.lock)
                while not want(call) and (waiter is None or not waiter.handed):
                    if limit is None:
                        cond.wait()
                    else:
                        remaining = limit - time.monotonic()
                        if remaining <= 0:
                            break
                        cond.wait(remaining)
            if waiter is not None:
                with self._mutex:
                    handed = waiter.handed
                    if handed:
                        self._reader_ident = me
                        self._leading_call = call
                    else:
                        del self._waiters[waiter]
                if handed:
                    self._lead(call, limit, want)

    def _lead(self, call: _Call, limit: Optional[float], want: Callable[[_Call], bool]) -> None:
        """Read frames (holding the read role) until `want(call)` or `limit`; then give the role up."""
        callbacks: _Callbacks = []
        try:
            while not want(call):
                if self._closed or self._failure is not None:
                    break
                if limit is None:
                    # Blocking in recv saves the poll: nobody needs to wake this
                    # thread but its own response, close() (the shutdown) or the server.
                    self._read_frames(None, callbacks, poll=False)
                else:
                    remaining = limit - time.monotonic()
                    if remaining <= 0:
                        break
                    self._read_frames(remaining, callbacks)
        finally:
            self._release_role()
            if callbacks:
                self._run_callbacks(callbacks)

    def _release_role(self) -> None:
        """Give the read role to the first waiting caller, or free it."""
        handed: Optional[_Waiter] = None
        with self._mutex:
            self._reader_ident = None
            self._leading_call = None
            self._bg_reading = False
            over = self._closed or self._failure is not None
            if self._waiters and not over:
                # The first waiter that still waits: one whose call has what it
                # waits for is awake already and leaves by itself.
                for waiter in self._waiters:
                    if not waiter.want(waiter.call):
                        handed = waiter
                        break
            if handed is not None:
                del self._waiters[handed]
                handed.handed = True
            else:
                self._reading = False
                self._role_freed_at = time.monotonic()
                if over:
                    self._lock.notify_all()  # close() waits for the role to be free
                    self._bg_cond.notify()
                elif self._unattended or self._pings or self._slot_waiters or self._write_error is not None:
                    self._bg_cond.notify()  # what _needs_reader says, the handshake being over
        if handed is not None:
            with handed.call.lock:
                if handed.call.cond is not None:
                    handed.call.cond.notify_all()

    def _someone_waits(self) -> bool:
        """A caller waits for the read role and for something still to be read."""
        for waiter in list(self._waiters):
            if not waiter.want(waiter.call):
                return True
        return False

    def _wake(self) -> None:
        """Make the thread holding the read role return from poll."""
        with self._mutex:
            if self._pipe_closed:
                return  # its descriptor number may be another file's by now
            try:
                os.write(self._wake_w, b"!")
            except OSError:
                pass

    def _background_read(self) -> None:
        """The background reader: reads when no caller does (see the module docstring)."""
        me = threading.get_ident()
        callbacks: _Callbacks = []
        while True:
            with self._mutex:
                while True:
                    if self._closed or self._failure is not None:
                        return
                    if not self._reading:
                        if self._needs_reader():
                            break
                        idle = time.monotonic() - self._role_freed_at
                        if idle >= _IDLE_GRACE:
                            break
                        self._bg_cond.wait(_IDLE_GRACE - idle)
                    else:
                        self._bg_cond.wait(_IDLE_GRACE)
                self._reading = True
                self._bg_reading = True
                self._reader_ident = me
                # Reading an idle connection goes on until a caller asks; reading for
                # a reason (the handshake, a future, a stream...) ends with the reason.
                idle = not self._needs_reader()
            try:
                while not (callbacks or self._someone_waits() or self._closed or self._failure is not None):
                    self._read_frames(None, callbacks)
                    if not idle and not self._needs_reader():
                        break
            finally:
                self._release_role()
            self._run_callbacks(callbacks)

    def _read_frames(self, timeout: Optional[float], callbacks: _Callbacks, poll: bool = True) -> None:
        """Wait up to `timeout` seconds (None: no limit) for bytes; read and dispatch every whole frame.

        Called by the holder of the read role only; with `poll` False (and
        no timeout) it waits in recv, where the wake pipe cannot reach it. A
        lost connection or a protocol error fails the connection here.
        """
        try:
            write_error = self._write_error
            if write_error is not None:
                timeout = 0  # read what the server sent before it went away, then fail
                poll = True
            if poll:
                events = self._poller.poll(None if timeout is None else math.ceil(timeout * 1000))
                readable = False
                for fd, _ in events:
                    if fd == self._wake_r:
                        with self._mutex:
                            self._wake_sent = False
                        try:
                            while os.read(self._wake_r, 512):
                                pass
                        except BlockingIOError:
                            pass
                    else:
                        readable = True
                if not readable:
                    if write_error is not None:
                        self._fail(StatusCode.UNAVAILABLE, f"cannot write to {self.socket_path}: {write_error}")
                    return
            buf = self._rbuf
            data = self._sock.recv(max(_RECV_SIZE, self._need - len(buf)))
            if not data:
                raise EOFError
            if buf:
                buf += data
                if len(buf) < self._need:
                    return
                data = bytes(buf)
                buf.clear()
            n = len(data)
            off = 0
            max_frame_size = self.max_frame_size
            while n - off >= 12:
                length, ftype, flags, reserved, call_id = _HEADER.unpack_from(data, off)
                if length > max_frame_size:
                    raise _ProtocolError(
                        f"{frames.type_name(ftype)} frame of {length} bytes exceeds "
                        f"this client's max_frame_size {max_frame_size}"
                    )
                end = off + 12 + length
                if end > n:
                    break
                self._dispatch(ftype, flags, reserved, call_id, data[off + 12 : end], callbacks)
                off = end
            if off < n:
                self._rbuf += data[off:] if off else data
                rest = n - off
                if rest >= 12:
                    self._need = 12 + _HEADER.unpack_from(self._rbuf, 0)[0]
                else:
                    self._need = 12
            else:
                self._need = 12
        except _ProtocolError as error:
            self._fail(StatusCode.INTERNAL, f"protocol error from the server: {error}")
        except (EOFError, OSError, ValueError):
            if self._write_error is not None:
                self._fail(StatusCode.UNAVAILABLE, f"cannot write to {self.socket_path}: {self._write_error}")
            else:
                self._fail(StatusCode.UNAVAILABLE, f"the connection to {self.socket_path} closed")
        except Exception as error:  # a bug here must not leave calls hanging
            self._fail(StatusCode.INTERNAL, f"the client's reader failed: {error!r}")

    # ------------------------------------------------------------------ ping

    def ping(self, timeout: float = 5.0) -> float:
        """Send a PING and wait for its ACK; return the round trip in seconds.

        Raises `RpcError` DEADLINE_EXCEEDED without an ACK in `timeout` seconds,
        UNAVAILABLE when the connection is closed or lost.
        """
        opaque = int.from_bytes(os.urandom(8), "big")
        waiter = _PingWaiter()
        with self._mutex:
            if self._closed or self._failure is not None:
                raise RpcError(StatusCode.UNAVAILABLE, "the connection is closed")
            self._pings[opaque] = waiter
            if not self._reading:
                self._bg_cond.notify()
        start = time.monotonic()
        self._send(frames.encode_frame(FrameType.PING, 0, rpc_pb2.Ping(opaque=opaque).SerializeToString()))
        signalled = waiter.event.wait(timeout)
        with self._mutex:
            self._pings.pop(opaque, None)
        if waiter.acked:
            return time.monotonic() - start
        if signalled:
            raise RpcError(StatusCode.UNAVAILABLE, "the connection closed before the PING ACK")
        raise RpcError(StatusCode.DEADLINE_EXCEEDED, f"no PING ACK within {timeout} s")

    # ------------------------------------------------------------------ close

    def close(self) -> None:
        """Close the connection now: send GOAWAY, close the socket, fail open calls with CANCELLED."""
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            calls = list(self._calls.values())
            self._calls.clear()
            self._unattended = 0
            failed = self._failure is not None
            timer, self._timer = self._timer, None
            self._lock.notify_all()
            self._bg_cond.notify_all()
            reading_here = self._reader_ident == threading.get_ident()
        if not failed:
            goaway = rpc_pb2.GoAway(code=0, message="the client is closing")
            # A sendall blocked on a server that is not reading holds the lock: then no GOAWAY.
            if self._send_lock.acquire(timeout=2.0):
                try:
                    self._sendall_locked(frames.encode_frame(FrameType.GOAWAY, 0, goaway.SerializeToString()))
                finally:
                    self._send_lock.release()
        self._stop_poster()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if not reading_here:
            # The shutdown wakes whoever reads; it gives the role up on seeing the connection closed.
            with self._mutex:
                give_up = time.monotonic() + 2.0
                while self._reading:
                    remaining = give_up - time.monotonic()
                    if remaining <= 0:
                        break
                    self._lock.wait(remaining)
        if threading.current_thread() is not self._reader:
            self._reader.join(2.0)
        with self._send_lock:  # the shutdown ended any blocked sendall
            self._sock_closed = True
            self._sock.close()
        if not reading_here:
            with self._mutex:
                self._pipe_closed = True
            for fd in (self._wake_r, self._wake_w):
                try:
                    os.close(fd)
                except OSError:
                    pass
        if timer is not None:
            timer.stop()
        callbacks: _Callbacks = []
        for call in calls:
            self._finish(call, RpcError(StatusCode.CANCELLED, "the client was closed"), False, callbacks)
        self._handshake.set()
        self._run_callbacks(callbacks)  # once every call has its status: a callback may wait for another

    def _fail(self, code: int, message: str) -> None:
        """The connection is lost or unusable: fail every open call with `code`."""
        with self._mutex:
            if self._failure is not None or self._closed:
                return
            goaway = self._goaway
            if goaway is not None and code == StatusCode.UNAVAILABLE:
                message += f" (after GOAWAY {code_name(goaway.code)}: {goaway.message})"
            self._failure = RpcError(code, message)
            calls = list(self._calls.values())
            self._calls.clear()
            self._unattended = 0
            for waiter in self._pings.values():
                waiter.event.set()
            self._lock.notify_all()
            self._bg_cond.notify_all()
        callbacks: _Callbacks = []
        for call in calls:
            self._finish(call, RpcError(code, message), False, callbacks)
        self._handshake.set()
        self._stop_poster()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._run_callbacks(callbacks)  # once every call has its status: a callback may wait for another

    # ------------------------------------------------------------------ sending

    def _send(self, data: bytes, wait: bool = True) -> None:
        """Send `data` now under the send lock; queue it instead when the caller must not block.

        Never blocks the thread holding the read role: it queues.
        """
        if not wait or self._reader_ident == threading.get_ident():
            self._post(data)
            return
        with self._send_lock:
            error = self._sendall_locked(data)
        if error is not None:
            self._write_failed(error)

    def _write_failed(self, error: OSError) -> None:
        """A write failed: fail the connection once the frames already received are read.

        The server may have written its last frames (a stream's end, TRAILERS)
        and closed; they are still to be read here. So the reader reads what
        is there without waiting, then fails every open call with "cannot write".
        """
        wake = False
        with self._mutex:
            if self._write_error is not None or self._failure is not None or self._closed:
                return
            self._write_error = error
            if self._reading:
                wake = self._reader_ident != threading.get_ident()
            else:
                self._bg_cond.notify()
        if wake:
            self._wake()

    def _sendall_locked(self, data: bytes) -> Optional[OSError]:
        """Write the queued frames then `data` (the send lock held); return the error, if any."""
        if self._sock_closed:
            return None
        if self._deferred:
            queued: List[bytes] = []
            while True:
                try:
                    queued.append(self._deferred.popleft())
                except IndexError:
                    break
            data = b"".join(queued) + data
        if not data:
            return None
        try:
            self._sock.sendall(data)
        except OSError as error:
            return error
        return None

    def _post(self, data: bytes) -> None:
        """Queue `data` for the next writer; wake the helper thread to write it if nobody else does."""
        with self._post_cond:
            if self._post_stopped:
                return
            self._deferred.append(data)
            if self._poster is None:
                self._poster = threading.Thread(target=self._post_loop, name="interviews-queued-writes", daemon=True)
                self._poster.start()
            self._post_cond.notify()

    def _post_loop(self) -> None:
        while True:
            with self._post_cond:
                while not self._deferred and not self._post_stopped:
                    self._post_cond.wait()
                if self._post_stopped:
                    return
            with self._send_lock:
                error = self._sendall_locked(b"")
            if error is not None:
                self._write_failed(error)

    def _stop_poster(self) -> None:
        with self._post_cond:
            self._post_stopped = True
            self._post_cond.notify_all()

    # ------------------------------------------------------------------ dispatch

    def _dispatch(
        self, ftype: int, flags: int, reserved: int, call_id: int, payload: bytes, callbacks: _Callbacks
    ) -> None:
        if reserved != 0:
            raise _ProtocolError(f"{frames.type_name(ftype)} frame has reserved bits 0x{reserved:x}")
        if self._server_settings is None and ftype != FrameType.SETTINGS and ftype != FrameType.GOAWAY:
            raise _ProtocolError(f"expected SETTINGS first, got {frames.type_name(ftype)}")
        if ftype == _MESSAGE:
            if call_id == 0:
                raise _ProtocolError("MESSAGE frame has call id 0")
            call = self._calls.get(call_id)
            if call is None:
                return  # a call that ended (cancelled, timed out): normal races
            with call.lock:
                if not call.done:
                    call.messages.append(payload)
                    if call.cond is not None:
                        call.cond.notify_all()
        elif ftype == _TRAILERS:
            if call_id == 0:
                raise _ProtocolError("TRAILERS frame has call id 0")
            status = _decode(rpc_pb2.Status, payload, "TRAILERS") if payload else None  # None: OK, nothing else
            with self._mutex:
                call = self._calls.pop(call_id, None)
                if call is not None:
                    if not call.attended:
                        self._unattended -= 1
                    if self._slot_waiters:
                        self._lock.notify_all()
            if call is None:
                return
            error = None
            if status is not None:
                if status.metadata:
                    call.trailing_metadata = tuple((e.key, e.value) for e in status.metadata)
                if status.code != 0:
                    error = RpcError(status.code, status.message, call.trailing_metadata)
            self._finish(call, error, False, callbacks)
        elif ftype in (FrameType.SETTINGS, FrameType.PING, FrameType.GOAWAY):
            if call_id != 0:
                raise _ProtocolError(f"{frames.type_name(ftype)} frame has call id {call_id}; it must be 0")
            if ftype == FrameType.SETTINGS:
                if self._server_settings is None:
                    self._server_settings = _decode(rpc_pb2.Settings, payload, "SETTINGS")
                    self._handshake.set()
            elif ftype == FrameType.PING:
                ping = _decode(rpc_pb2.Ping, payload, "PING")
                if flags & frames.FLAG_ACK:
                    with self._mutex:
                        event = self._pings.get(ping.opaque)
                    if event is not None:
                        event.acked = True
                        event.event.set()
                else:
                    # The reader never waits for the send lock: the ACK is queued.
                    self._post(frames.encode_frame(FrameType.PING, 0, payload, frames.FLAG_ACK))
            else:
                goaway = _decode(rpc_pb2.GoAway, payload, "GOAWAY")
                with self._mutex:
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


_MESSAGE = int(FrameType.MESSAGE)
_HEADERS_TYPE = int(FrameType.HEADERS)
_TRAILERS = int(FrameType.TRAILERS)


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
        if not call.messages and not call.done:
            end = None if timeout is None else time.monotonic() + timeout
            self._conn._await(call, end, _has_message)
        with call.lock:
            if call.messages:
                payload = call.messages.popleft()
                done = call.done
            elif call.done:
                if call.error is not None:
                    raise call.error
                return None
            else:
                raise TimeoutError(f"no message on {call.method} within {timeout} s")
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
        with self._call.lock:
            self._call.messages.clear()

    def __enter__(self) -> "ResponseStream[M]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if not self._call.done:
                # Any thread may run this (the reader too): queue the CANCEL, never wait to send it.
                self._conn._cancel(self._call, "the stream was garbage-collected", StatusCode.CANCELLED, "", False)
        except Exception:
            pass


def _unary_result(call: _Call, method: str, response_type: Optional[Type[M]]) -> Any:
    """The response of a finished unary call; raises its `RpcError`."""
    if call.error is not None:
        raise call.error
    messages = call.messages  # the call is done: nothing is added any more
    if len(messages) == 1:
        return parse_response(method, messages[0], response_type)
    with call.lock:
        messages = collections.deque(call.messages)
    if len(messages) != 1:
        raise RpcError(
            StatusCode.INTERNAL,
            f"unary call {call.id} ({method}) ended OK with {len(messages)} response messages; expected 1",
        )
    return parse_response(method, messages[0], response_type)


class _CallFuture(Future):  # type: ignore[type-arg]
    """The Future of a unary call: `result()` and `exception()` read the response themselves when nobody else does."""

    def __init__(self, connection: Connection, call: _Call) -> None:
        super().__init__()
        self._connection = connection
        self._call = call

    def _wait(self, timeout: Optional[float]) -> Optional[float]:
        if self.done() or self._call.done:
            return timeout
        start = time.monotonic()
        self._connection._await(self._call, None if timeout is None else start + timeout, _is_done)
        if timeout is None:
            return None
        return max(0.0, timeout - (time.monotonic() - start))

    def result(self, timeout: Optional[float] = None) -> Any:
        return super().result(self._wait(timeout))

    def exception(self, timeout: Optional[float] = None) -> Optional[BaseException]:
        return super().exception(self._wait(timeout))


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
    future: "Future[M]" = _CallFuture(connection, call)
    future.set_running_or_notify_cancel()

    def complete(c: _Call) -> None:
        try:
            future.set_result(_unary_result(c, method, response_type))
        except RpcError as error:
            future.set_exception(error)

    connection.add_done_callback(call, complete)
    return future
