"""The client's protocol handling, checked frame by frame against a scripted fake server.

These tests need no server binary: they pin down what the client puts on the
wire (preface, SETTINGS, HEADERS, call ids, CANCEL, WINDOW_UPDATE, PING ACK)
and how it reacts to what a server may send (GOAWAY, connection loss,
oversized frames, unknown status codes).
"""

from __future__ import annotations

import select
import threading
import time
import unittest

from interviews_client import Client, RpcError, frames
from interviews_client.frames import FrameType
from interviews_pb.rpc.v1 import rpc_pb2
from interviews_pb.v1 import interviews_pb2

from .fake_server import FakeServer, run_in_thread

HEALTH = "/interviews.v1.Interviews/Health"


def wait_until(condition, what: str, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting until {what}")
        time.sleep(0.005)


class FakeServerTests(unittest.TestCase):
    def connect(self, settings: rpc_pb2.Settings | None = None, **kwargs) -> tuple[FakeServer, Client]:
        server = FakeServer(settings)
        self.addCleanup(server.close)
        accepting = run_in_thread(server.accept)
        client = Client(server.path, **kwargs)
        self.addCleanup(client.close)
        accepting.join(10)
        self.assertIsNone(accepting.error)
        return server, client

    def test_handshake_bytes(self) -> None:
        server, client = self.connect(api_key="k", max_frame_size=65536)
        self.assertEqual(server.client_preface, b"interviews-rpc/1")
        self.assertEqual(server.client_settings.protocol_version, 1)
        self.assertEqual(server.client_settings.max_frame_size, 65536)
        self.assertEqual(client.server_settings.agent, "fake/1")

    def test_unary_headers_metadata_deadline_and_odd_increasing_ids(self) -> None:
        server, client = self.connect(api_key="secret", timeout=5.0)
        ids = []
        for n in range(3):
            call = run_in_thread(client.health)
            call_id, headers, request = server.read_call()
            ids.append(call_id)
            self.assertEqual(headers.method, HEALTH)
            self.assertEqual([(e.key, e.value) for e in headers.metadata], [("authorization", "Bearer secret")])
            self.assertGreater(headers.timeout_micros, 4_000_000)
            self.assertLessEqual(headers.timeout_micros, 5_000_000)
            self.assertEqual(request, b"")
            server.reply(call_id, interviews_pb2.HealthResponse(status=1).SerializeToString())
            call.join(5)
            self.assertIsNone(call.error)
            self.assertEqual(call.result.status, 1)
        self.assertEqual(ids, [1, 3, 5])

    def test_server_ping_is_answered_with_ack_and_same_payload(self) -> None:
        server, client = self.connect()
        payload = rpc_pb2.Ping(opaque=0x0123456789ABCDEF).SerializeToString()
        server.send(FrameType.PING, 0, payload)
        header, echoed = server.read_frame()
        self.assertEqual((header.type, header.flags, header.call_id), (FrameType.PING, frames.FLAG_ACK, 0))
        self.assertEqual(echoed, payload)

    def test_client_ping_waits_for_ack(self) -> None:
        server, client = self.connect()
        pinging = run_in_thread(client.ping, 5.0)
        header, payload = server.read_frame()
        self.assertEqual((header.type, header.flags), (FrameType.PING, 0))
        held = 0.2
        pinging.join(held)
        self.assertTrue(pinging.is_alive(), "ping() returned before its ACK")
        # An ACK with another payload answers some other PING, not this one.
        other = rpc_pb2.Ping(opaque=rpc_pb2.Ping.FromString(payload).opaque ^ 1).SerializeToString()
        server.send(FrameType.PING, 0, other, frames.FLAG_ACK)
        # The client reads frames in order: once it answers this PING, it has read the other ACK.
        probe = rpc_pb2.Ping(opaque=7).SerializeToString()
        server.send(FrameType.PING, 0, probe)
        self.assertEqual(server.read_frame()[1], probe)
        self.assertTrue(pinging.is_alive(), "an ACK of another PING ended ping()")
        server.send(FrameType.PING, 0, payload, frames.FLAG_ACK)
        pinging.join(5)
        self.assertFalse(pinging.is_alive())
        self.assertIsNone(pinging.error)
        # The round trip covers at least the time the ACK was held back.
        self.assertGreaterEqual(pinging.result, held)
        self.assertLess(pinging.result, 5.0)

    def test_error_status_and_unknown_code(self) -> None:
        server, client = self.connect()
        call = run_in_thread(client.health)
        call_id, _, _ = server.read_call()
        server.reply(call_id, code=42, text="from the future")
        call.join(5)
        self.assertIsInstance(call.error, RpcError)
        self.assertEqual(call.error.code, 42)
        self.assertEqual(call.error.code_name, "CODE_42")
        self.assertEqual(call.error.message, "from the future")

    def test_local_deadline_sends_cancel(self) -> None:
        server, client = self.connect()
        start = time.monotonic()
        call = run_in_thread(lambda: client.health(timeout=0.2))
        call_id, headers, _ = server.read_call()
        self.assertLessEqual(headers.timeout_micros, 200_000)
        call.join(5)
        self.assertEqual(call.error.code_name, "DEADLINE_EXCEEDED")
        self.assertLess(time.monotonic() - start, 2.0)
        header, payload = server.read_frame()
        self.assertEqual((header.type, header.call_id), (FrameType.CANCEL, call_id))
        # The call keeps its slot until TRAILERS; a late MESSAGE is ignored.
        self.assertEqual(client.connection.open_calls, 1)
        server.reply(call_id, b"\x08\x01")
        wait_until(lambda: client.connection.open_calls == 0, "the call's slot is freed by its TRAILERS", timeout=5)

    def test_stream_returns_credit_half_a_window_at_a_time_and_cancel_on_close(self) -> None:
        server, client = self.connect()
        stream = client.stream(
            "/interviews.v1.Interviews/StreamInterviews",
            interviews_pb2.ListRequest(),
            interviews_pb2.Interview,
            window=4,
        )
        call_id, headers, _ = server.read_call()
        self.assertEqual(headers.initial_window, 4)
        for n in range(4):
            server.send(FrameType.MESSAGE, call_id, interviews_pb2.Interview(id=f"iv-{n}").SerializeToString())
        self.assertEqual(next(stream).id, "iv-0")
        self.assertEqual(next(stream).id, "iv-1")
        header, payload = server.read_frame()
        self.assertEqual((header.type, header.call_id), (FrameType.WINDOW_UPDATE, call_id))
        self.assertEqual(rpc_pb2.WindowUpdate.FromString(payload).credit, 2)
        self.assertEqual(next(stream).id, "iv-2")
        stream.close()
        header, payload = server.read_frame()
        self.assertEqual((header.type, header.call_id), (FrameType.CANCEL, call_id))
        self.assertIn("closed", rpc_pb2.Cancel.FromString(payload).reason)
        with self.assertRaises(RpcError) as caught:
            next(stream)
        self.assertEqual(caught.exception.code_name, "CANCELLED")

    def test_stream_messages_then_error(self) -> None:
        server, client = self.connect()
        stream = client.stream(
            "/interviews.v1.Interviews/StreamInterviews", interviews_pb2.ListRequest(), interviews_pb2.Interview
        )
        call_id, _, _ = server.read_call()
        server.send(FrameType.MESSAGE, call_id, interviews_pb2.Interview(id="a").SerializeToString())
        server.reply(call_id, code=13, text="boom")
        self.assertEqual(next(stream).id, "a")
        with self.assertRaises(RpcError) as caught:
            next(stream)
        self.assertEqual((caught.exception.code_name, caught.exception.message), ("INTERNAL", "boom"))

    def test_connection_loss_fails_pending_calls_unavailable(self) -> None:
        server, client = self.connect()
        calls = [run_in_thread(client.health) for _ in range(3)]
        for _ in calls:
            server.read_call()
        server.close()
        for call in calls:
            call.join(5)
            self.assertEqual(call.error.code_name, "UNAVAILABLE")
        with self.assertRaises(RpcError) as caught:
            client.health()
        self.assertEqual(caught.exception.code_name, "UNAVAILABLE")

    def test_goaway_fails_new_calls_and_lets_in_flight_finish(self) -> None:
        server, client = self.connect()
        call = run_in_thread(client.health)
        call_id, _, _ = server.read_call()
        goaway = rpc_pb2.GoAway(last_call_id=call_id, code=0, message="the server is shutting down")
        server.send(FrameType.GOAWAY, 0, goaway.SerializeToString())
        wait_until(lambda: client.goaway is not None, "the GOAWAY is read", timeout=5)
        with self.assertRaises(RpcError) as caught:
            client.health()
        self.assertEqual(caught.exception.code_name, "UNAVAILABLE")
        self.assertIn("shutting down", caught.exception.message)
        server.reply(call_id, interviews_pb2.HealthResponse(status=1).SerializeToString())
        call.join(5)
        self.assertIsNone(call.error)
        self.assertEqual(call.result.status, 1)

    def test_oversized_frame_from_server_is_a_protocol_error(self) -> None:
        server, client = self.connect(max_frame_size=16384)
        call = run_in_thread(client.health)
        call_id, _, _ = server.read_call()
        server.send_raw(frames.encode_frame(FrameType.MESSAGE, call_id, b"x" * 16385))
        call.join(5)
        self.assertEqual(call.error.code_name, "INTERNAL")
        self.assertIn("exceeds this client's max_frame_size 16384", call.error.message)

    def test_request_larger_than_server_max_frame_size_is_refused_locally(self) -> None:
        settings = rpc_pb2.Settings(protocol_version=1, max_frame_size=16384)
        server, client = self.connect(settings)
        with self.assertRaises(RpcError) as caught:
            client.create_interview(interviews_pb2.Interview(remote_data=b"x" * 20000))
        self.assertEqual(caught.exception.code_name, "RESOURCE_EXHAUSTED")
        self.assertIn("max_frame_size is 16384", caught.exception.message)

    def test_calls_wait_for_a_slot_beyond_max_concurrent_calls(self) -> None:
        settings = rpc_pb2.Settings(protocol_version=1, max_concurrent_calls=2)
        server, client = self.connect(settings)
        calls = [run_in_thread(client.health) for _ in range(3)]
        first, _, _ = server.read_call()
        second, _, _ = server.read_call()
        wait_until(lambda: client.connection.calls_waiting_for_a_slot == 1, "the third call waits for a slot")
        self.assertEqual(client.connection.open_calls, 2)
        readable, _, _ = select.select([server.conn], [], [], 0)
        self.assertEqual(readable, [], "the third call sent a frame before a slot was free")
        server.reply(first, b"")
        third, _, _ = server.read_call()
        self.assertGreater(third, second)
        server.reply(second, b"")
        server.reply(third, b"")
        for call in calls:
            call.join(5)
            self.assertIsNone(call.error)

    def test_goaway_during_handshake_is_raised(self) -> None:
        server = FakeServer()
        self.addCleanup(server.close)

        def refuse() -> None:
            conn, _ = server.listener.accept()
            server.conn = conn
            server.read_exact(16)
            server.read_frame()
            server.send(
                FrameType.GOAWAY,
                0,
                rpc_pb2.GoAway(code=8, message="too many connections; the limit is 1").SerializeToString(),
            )

        refusing = run_in_thread(refuse)
        with self.assertRaises(RpcError) as caught:
            Client(server.path)
        refusing.join(5)
        self.assertEqual(caught.exception.code_name, "RESOURCE_EXHAUSTED")
        self.assertIn("too many connections", caught.exception.message)

    # ---------------------------------------------------------- callers reading for themselves

    def test_many_threads_unary_calls_while_a_stream_is_open(self) -> None:
        """Callers read for each other: every answer reaches its own caller, the stream loses nothing."""
        server, client = self.connect()
        threads_n, calls_n, stream_n = 8, 60, 200
        stream_method = "/interviews.v1.Interviews/StreamInterviews"
        stop = threading.Event()
        served: list = []

        def serve() -> None:
            # Answers unary calls out of order (a few held back each time) and
            # interleaves stream messages as credit allows.
            import random

            rng = random.Random(7)
            pending: list = []
            stream_id = None
            credit = 0
            sent = 0
            last_id = 0
            methods = {}
            server.conn.settimeout(0.05)
            while not stop.is_set() or pending:
                try:
                    header, payload = server.read_frame()
                except (TimeoutError, OSError):
                    header = None
                if header is not None:
                    if header.type == FrameType.HEADERS:
                        assert header.call_id > last_id, (header.call_id, last_id)
                        last_id = header.call_id
                        call_headers = rpc_pb2.CallHeaders.FromString(payload)
                        methods[header.call_id] = call_headers.method
                        if call_headers.method == stream_method:
                            stream_id, credit = header.call_id, call_headers.initial_window
                    elif header.type == FrameType.MESSAGE and methods.get(header.call_id) == HEALTH:
                        pending.append((header.call_id, payload))
                    elif header.type == FrameType.WINDOW_UPDATE:
                        credit += rpc_pb2.WindowUpdate.FromString(payload).credit
                out = b""
                while pending and (len(pending) > 3 or header is None):
                    call_id, request = pending.pop(rng.randrange(len(pending)))
                    out += frames.encode_frame(FrameType.MESSAGE, call_id, request)
                    out += frames.encode_frame(FrameType.TRAILERS, call_id, b"")
                    served.append(call_id)
                while stream_id is not None and credit > 0 and sent < stream_n:
                    out += frames.encode_frame(
                        FrameType.MESSAGE, stream_id, interviews_pb2.Interview(id=f"s-{sent}").SerializeToString()
                    )
                    credit -= 1
                    sent += 1
                    if sent == stream_n:
                        out += frames.encode_frame(FrameType.TRAILERS, stream_id, b"")
                    if sent % 7 == 0:
                        break
                if out:
                    server.send_raw(out)

        serving = run_in_thread(serve)
        stream = client.stream(stream_method, interviews_pb2.ListRequest(), interviews_pb2.Interview, window=8)
        got_stream: list = []

        def consume() -> int:
            for message in stream:
                got_stream.append(message.id)
                time.sleep(0.0005)  # between reads nobody waits for the stream
            return len(got_stream)

        consuming = run_in_thread(consume)
        failures: list = []

        def caller(t: int) -> int:
            ok = 0
            for i in range(calls_n):
                request = f"{t}:{i}".encode()
                if i % 3 == 2:
                    answer = client.unary_future(HEALTH, request, None).result(10)
                else:
                    answer = client.unary(HEALTH, request, None, timeout=10)
                if answer != request:
                    failures.append((t, i, answer))
                ok += 1
            return ok

        callers = [run_in_thread(caller, t) for t in range(threads_n)]
        for thread in callers:
            thread.join(60)
            self.assertIsNone(thread.error)
            self.assertEqual(thread.result, calls_n)
        consuming.join(60)
        stop.set()
        serving.join(10)
        self.assertIsNone(serving.error)
        self.assertIsNone(consuming.error)
        self.assertEqual(failures, [])
        self.assertEqual(got_stream, [f"s-{n}" for n in range(stream_n)])
        self.assertEqual(len(served), threads_n * calls_n)
        self.assertEqual(client.connection.open_calls, 0)

    def test_server_ping_answered_after_calls_while_nobody_waits(self) -> None:
        server, client = self.connect()
        for _ in range(3):  # the connection goes idle right after a call the caller read itself
            call = run_in_thread(client.health)
            call_id, _, _ = server.read_call()
            server.reply(call_id, b"")
            call.join(5)
            self.assertIsNone(call.error)
            start = time.monotonic()
            payload = rpc_pb2.Ping(opaque=call_id).SerializeToString()
            server.send(FrameType.PING, 0, payload)
            header, echoed = server.read_frame()
            self.assertEqual((header.type, header.flags, echoed), (FrameType.PING, frames.FLAG_ACK, payload))
            self.assertLess(time.monotonic() - start, 2.0)

    def test_server_ping_answered_while_a_caller_reads(self) -> None:
        server, client = self.connect()
        call = run_in_thread(client.health)
        call_id, _, _ = server.read_call()
        time.sleep(0.1)  # the caller is waiting in its read
        self.assertEqual(client.connection._reader_ident, call.ident)
        payload = rpc_pb2.Ping(opaque=99).SerializeToString()
        server.send(FrameType.PING, 0, payload)
        header, echoed = server.read_frame()
        self.assertEqual((header.type, header.flags, echoed), (FrameType.PING, frames.FLAG_ACK, payload))
        self.assertTrue(call.is_alive())
        server.reply(call_id, b"")
        call.join(5)
        self.assertIsNone(call.error)

    def test_connection_loss_while_a_caller_reads_fails_every_open_call(self) -> None:
        server, client = self.connect()
        blocking = [run_in_thread(client.health) for _ in range(3)]
        for _ in blocking:
            server.read_call()
        future = client.unary_future(HEALTH, interviews_pb2.HealthRequest(), interviews_pb2.HealthResponse)
        server.read_call()
        stream = client.stream(
            "/interviews.v1.Interviews/StreamInterviews", interviews_pb2.ListRequest(), interviews_pb2.Interview
        )
        server.read_call()
        time.sleep(0.1)  # one of the blocking callers holds the read role, the others wait
        self.assertIn(client.connection._reader_ident, {call.ident for call in blocking})
        server.close()
        expected = f"the connection to {server.path} closed"
        for call in blocking:
            call.join(5)
            self.assertFalse(call.is_alive())
            self.assertEqual((call.error.code_name, call.error.message), ("UNAVAILABLE", expected))
        with self.assertRaises(RpcError) as caught:
            future.result(5)
        self.assertEqual((caught.exception.code_name, caught.exception.message), ("UNAVAILABLE", expected))
        with self.assertRaises(RpcError) as caught:
            stream.read(timeout=5)
        self.assertEqual((caught.exception.code_name, caught.exception.message), ("UNAVAILABLE", expected))
        self.assertTrue(client.closed)

    def test_deadline_of_a_caller_that_reads_then_the_next_caller_reads(self) -> None:
        server, client = self.connect()
        start = time.monotonic()
        short = run_in_thread(lambda: client.health(timeout=0.3))
        short_id, _, _ = server.read_call()
        time.sleep(0.05)
        patient = run_in_thread(client.health)  # waits while the short call's caller reads
        patient_id, _, _ = server.read_call()
        short.join(5)
        self.assertEqual(short.error.code_name, "DEADLINE_EXCEEDED")
        self.assertIn("deadline of 0.3 s exceeded (client)", short.error.message)
        self.assertLess(time.monotonic() - start, 2.0)
        header, _ = server.read_frame()
        self.assertEqual((header.type, header.call_id), (FrameType.CANCEL, short_id))
        self.assertTrue(patient.is_alive())
        server.reply(patient_id, interviews_pb2.HealthResponse(status=1).SerializeToString())
        patient.join(5)
        self.assertIsNone(patient.error)
        self.assertEqual(patient.result.status, 1)
        server.reply(short_id, code=4, text="late")
        wait_until(lambda: client.connection.open_calls == 0, "the expired call's TRAILERS are read")

    def test_stream_deadline_while_its_consumer_reads(self) -> None:
        server, client = self.connect()
        stream = client.stream(
            "/interviews.v1.Interviews/StreamInterviews",
            interviews_pb2.ListRequest(),
            interviews_pb2.Interview,
            timeout=0.3,
        )
        call_id, _, _ = server.read_call()
        start = time.monotonic()
        with self.assertRaises(RpcError) as caught:
            stream.read()
        self.assertEqual(caught.exception.code_name, "DEADLINE_EXCEEDED")
        self.assertLess(time.monotonic() - start, 2.0)
        header, _ = server.read_frame()
        self.assertEqual((header.type, header.call_id), (FrameType.CANCEL, call_id))

    def test_close_while_a_caller_reads(self) -> None:
        server, client = self.connect()
        call = run_in_thread(client.health)
        server.read_call()
        time.sleep(0.1)
        client.close()
        call.join(5)
        self.assertFalse(call.is_alive())
        self.assertEqual((call.error.code_name, call.error.message), ("CANCELLED", "the client was closed"))
        header, payload = server.read_frame()
        self.assertEqual(header.type, FrameType.GOAWAY)

    def test_reading_goes_on_while_a_send_is_blocked(self) -> None:
        """A sendall blocked on a server that is not reading never stops frames from being read."""
        server, client = self.connect()
        small = run_in_thread(client.health)
        small_id, _, _ = server.read_call()
        big_request = b"x" * (3 << 20)  # far more than the socket buffers
        big = run_in_thread(lambda: client.unary("/interviews.v1.Interviews/CreateInterview", big_request, None))
        time.sleep(0.2)  # the big call's sendall is blocked; the server reads nothing
        ping = rpc_pb2.Ping(opaque=5).SerializeToString()
        server.send(FrameType.PING, 0, ping)
        server.reply(small_id, interviews_pb2.HealthResponse(status=1).SerializeToString())
        small.join(5)
        self.assertIsNone(small.error)
        self.assertEqual(small.result.status, 1)
        self.assertTrue(big.is_alive())
        big_id, _, request = server.read_call()
        self.assertEqual(len(request), len(big_request))
        header, echoed = server.read_frame()  # the ACK waited for the send lock behind the big call
        self.assertEqual((header.type, header.flags, echoed), (FrameType.PING, frames.FLAG_ACK, ping))
        server.reply(big_id, b"ok")
        big.join(5)
        self.assertIsNone(big.error)
        self.assertEqual(big.result, b"ok")

    def test_a_failed_write_fails_calls_after_what_was_received_is_read(self) -> None:
        """The server answered, sent GOAWAY and closed while nobody read: a write then fails
        (EPIPE), and the frames already received are still read before every call fails."""
        from unittest import mock

        from interviews_client import connection as connection_module

        with mock.patch.object(connection_module, "_IDLE_GRACE", 30.0):  # nobody reads an idle connection
            server, client = self.connect()
            first = run_in_thread(client.health)
            call_id, _, _ = server.read_call()
            server.reply(call_id, interviews_pb2.HealthResponse(status=1).SerializeToString())
            first.join(5)
            self.assertIsNone(first.error)
            goaway = rpc_pb2.GoAway(last_call_id=call_id, code=0, message="the server is shutting down")
            server.send(FrameType.GOAWAY, 0, goaway.SerializeToString())
            server.close()
            time.sleep(0.1)
            self.assertIsNone(client.connection._goaway, "somebody read the idle connection")
            with self.assertRaises(RpcError) as caught:
                client.health()
            self.assertEqual(caught.exception.code_name, "UNAVAILABLE")
            self.assertIn(f"cannot write to {server.path}", caught.exception.message)
            self.assertIn("after GOAWAY OK: the server is shutting down", caught.exception.message)
            self.assertEqual(client.goaway.message, "the server is shutting down")
            self.assertTrue(client.closed)

    def test_cached_headers_encoding_is_protobufs_byte_for_byte(self) -> None:
        from interviews_client.connection import _headers_prefix, encode_call_headers

        for method, metadata in (("/a/B", ()), (HEALTH, (("authorization", "Bearer k"), ("x-trace", "é" * 200)))):
            for timeout_micros in (0, 1, 127, 128, 5_000_000, 2**64 - 1):
                for window in (0, 1, 300, 2**31 - 1):
                    expected = rpc_pb2.CallHeaders(
                        method=method,
                        metadata=[rpc_pb2.MetadataEntry(key=k, value=v) for k, v in metadata],
                        timeout_micros=timeout_micros,
                        initial_window=window,
                    ).SerializeToString()
                    self.assertEqual(encode_call_headers(_headers_prefix(method, metadata), timeout_micros, window), expected)
        with self.assertRaises(ValueError):
            _headers_prefix(HEALTH, (("Authorization", "x"),))
        self.assertEqual(
            _headers_prefix(HEALTH, [["authorization", "Bearer k"]]), _headers_prefix(HEALTH, (("authorization", "Bearer k"),))
        )

    def test_missing_socket_is_unavailable(self) -> None:
        with self.assertRaises(RpcError) as caught:
            Client("/nonexistent/interviews.sock")
        self.assertEqual(caught.exception.code_name, "UNAVAILABLE")


if __name__ == "__main__":
    unittest.main()
