"""Many concurrent calls on one connection, and cancellation, against the real server."""

from __future__ import annotations

import threading
import time
import unittest
from concurrent.futures import Future
from typing import List, Tuple

from interviews_client import INTERVIEWS, RpcError
from interviews_pb.v1 import interviews_pb2 as pb

from .server import ServerTestCase, unique

THREADS = 20
CALLS_PER_THREAD = 50


class ConcurrencyTests(ServerTestCase):
    def test_20_threads_x_50_concurrent_calls_on_one_connection(self) -> None:
        job = unique("job-conc")
        items = [pb.Interview(remote_id=f"{job}-{n}", job_id=job, title=f"title-{n}") for n in range(CALLS_PER_THREAD)]
        stored = [r.interview for r in self.client.upsert_interviews(items).results]
        barrier = threading.Barrier(THREADS)
        failures: List[BaseException] = []
        checked = [0] * THREADS

        def worker(t: int) -> None:
            try:
                barrier.wait(10)
                pending: List[Tuple[str, str, Future]] = []
                for i in range(CALLS_PER_THREAD):
                    if i % 5 == 4:
                        # A write whose response must carry this thread's own title back.
                        title = f"t{t}-c{i}"
                        request = pb.CreateInterviewRequest(interview=pb.Interview(job_id=job + "-new", title=title))
                        pending.append(("create", title,
                                        self.client.unary_future(INTERVIEWS + "CreateInterview", request, pb.Interview)))
                    else:
                        want = stored[(t * 7 + i) % len(stored)]
                        request = pb.GetInterviewRequest(id=want.id)
                        pending.append(("get", want.id,
                                        self.client.unary_future(INTERVIEWS + "GetInterview", request, pb.Interview)))
                for kind, expected, future in pending:
                    got = future.result(60)
                    if kind == "get":
                        self.assertEqual(got.id, expected)
                        self.assertEqual(got.title, stored[[s.id for s in stored].index(expected)].title)
                    else:
                        self.assertEqual(got.title, expected)
                    checked[t] += 1
            except BaseException as error:  # noqa: BLE001
                failures.append(error)

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
        start = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        elapsed = time.monotonic() - start
        if failures:
            raise failures[0]
        self.assertEqual(sum(checked), THREADS * CALLS_PER_THREAD)
        created = self.client.list_interviews(job_id=job + "-new", page_size=1)
        self.assertEqual(created.total_size, THREADS * CALLS_PER_THREAD // 5)
        self.assertEqual(self.client.connection.open_calls, 0)
        self.assertLess(elapsed, 60)

    def test_blocking_calls_from_many_threads(self) -> None:
        ids: List[str] = []
        lock = threading.Lock()

        def worker() -> None:
            for _ in range(10):
                created = self.client.create_interview(pb.Interview(title="blocking"))
                self.assertEqual(self.client.get_interview(created.id).id, created.id)
                with lock:
                    ids.append(created.id)

        threads = [threading.Thread(target=worker) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertEqual(len(set(ids)), THREADS * 10)

    def test_cancel_mid_stream_then_another_call_on_the_same_connection(self) -> None:
        job = unique("job-cancel")
        self.client.upsert_interviews(pb.Interview(remote_id=f"{job}-{n}", job_id=job) for n in range(300))
        stream = self.client.stream_interviews(job_id=job, window=8)
        first = [next(stream) for _ in range(10)]
        self.assertEqual(len({i.id for i in first}), 10)
        self.assertTrue(stream.cancel("enough"))
        with self.assertRaises(RpcError) as caught:
            next(stream)
        self.assertEqual(caught.exception.code_name, "CANCELLED")
        # The server ends the cancelled call with TRAILERS, freeing its slot.
        deadline = time.monotonic() + 5
        while self.client.connection.open_calls and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(self.client.connection.open_calls, 0)
        page = self.client.list_interviews(job_id=job, page_size=5)
        self.assertEqual(page.total_size, 300)
        with self.client.stream_interviews(job_id=job) as again:
            self.assertEqual(sum(1 for _ in again), 300)

    def test_break_out_of_a_stream_with_a_with_block(self) -> None:
        job = unique("job-break")
        self.client.upsert_interviews(pb.Interview(remote_id=f"{job}-{n}", job_id=job) for n in range(200))
        with self.client.stream_interviews(job_id=job, window=4) as stream:
            for n, _ in enumerate(stream):
                if n == 5:
                    break
        self.assertTrue(stream.done)
        self.assertEqual(self.client.list_interviews(job_id=job).total_size, 200)

    def test_many_streams_interleaved_on_one_connection(self) -> None:
        job = unique("job-inter")
        self.client.upsert_interviews(pb.Interview(remote_id=f"{job}-{n}", job_id=job) for n in range(50))
        streams = [self.client.stream_interviews(job_id=job, window=3) for _ in range(10)]
        counts = [0] * len(streams)
        live = list(range(len(streams)))
        while live:  # round-robin: each stream progresses only as it is read
            for k in list(live):
                if streams[k].read() is None:
                    live.remove(k)
                else:
                    counts[k] += 1
        self.assertEqual(counts, [50] * 10)


if __name__ == "__main__":
    unittest.main()
