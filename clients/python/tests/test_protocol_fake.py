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
        deadline = time.monotonic() + 5
        while client.connection.open_calls and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(client.connection.open_calls, 0)

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
        deadline = time.monotonic() + 5
        while client.goaway is None and time.monotonic() < deadline:
            time.sleep(0.01)
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

    def test_missing_socket_is_unavailable(self) -> None:
        with self.assertRaises(RpcError) as caught:
            Client("/nonexistent/interviews.sock")
        self.assertEqual(caught.exception.code_name, "UNAVAILABLE")


if __name__ == "__main__":
    unittest.main()
