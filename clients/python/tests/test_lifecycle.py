"""Graceful shutdown (GOAWAY) and connection loss with the real server, one server per test."""

from __future__ import annotations

import time
import unittest

from interviews_client import Client, RpcError
from interviews_pb.v1 import admin_pb2, interviews_pb2 as pb

from .server import ServerProcess


class LifecycleTests(unittest.TestCase):
    def setUp(self) -> None:
        self.server = ServerProcess()
        self.addCleanup(self.server.cleanup)
        self.addCleanup(self.server.kill)
        with Client(self.server.socket_path) as admin:
            self.secret = admin.create_key("py-life", admin_pb2.KEY_KIND_COMPANY, ["acme"]).secret
        self.client = Client(self.server.socket_path, api_key=self.secret, timeout=30)
        self.addCleanup(self.client.close)

    def test_sigterm_goaway_fails_new_calls_and_lets_the_open_stream_finish(self) -> None:
        self.client.upsert_interviews(pb.Interview(remote_id=f"r-{n}") for n in range(300))
        stream = self.client.stream_interviews(window=1)
        got = [next(stream).id]
        self.server.terminate()
        deadline = time.monotonic() + 10
        while self.client.goaway is None and time.monotonic() < deadline:
            time.sleep(0.01)
        goaway = self.client.goaway
        self.assertIsNotNone(goaway)
        self.assertEqual(goaway.code, 0)
        self.assertEqual(goaway.last_call_id, stream.call_id)
        with self.assertRaises(RpcError) as caught:
            self.client.health()
        self.assertEqual(caught.exception.code_name, "UNAVAILABLE")
        got += [i.id for i in stream]
        self.assertEqual(len(set(got)), 300)
        self.assertEqual(self.server.process.wait(30), 0)

    def test_connection_loss_fails_open_calls_unavailable(self) -> None:
        watch = self.client.watch_interviews()
        self.client.create_interview(pb.Interview(title="x"))
        self.assertEqual(watch.read(timeout=10).kind, pb.CHANGE_KIND_CREATED)
        self.server.kill()
        with self.assertRaises(RpcError) as caught:
            watch.read(timeout=10)
        self.assertEqual(caught.exception.code_name, "UNAVAILABLE")
        with self.assertRaises(RpcError) as caught:
            self.client.health()
        self.assertEqual(caught.exception.code_name, "UNAVAILABLE")
        self.assertTrue(self.client.closed)

    def test_sigterm_with_idle_clients_exits_0(self) -> None:
        self.assertEqual(self.client.health().status, pb.SERVING_STATUS_SERVING)
        self.assertEqual(self.server.stop(), 0)
        deadline = time.monotonic() + 5
        while not self.client.closed and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertTrue(self.client.closed)


if __name__ == "__main__":
    unittest.main()
