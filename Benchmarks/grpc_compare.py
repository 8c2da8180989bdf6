"""One server, both endpoints, the same load shapes from Python: the native
protocol (the bundled client, clients/python) against the gRPC endpoint
(stock grpcio stubs generated from proto/), and, as a sanity peer, a stock
grpcio Python server answering the same two methods with canned records.

    python3 Benchmarks/grpc_compare.py native|grpc|peer SECONDS

Each mode runs in a process of its own (the two sets of generated modules
would share protobuf's descriptor pool) and prints one line per shape:
GetInterview 1 in flight (p50, calls/s), GetInterview 64 in flight
(calls/s), ListInterviews page 20 1 in flight (p50, calls/s). Driven by
Benchmarks/run-grpc-compare; INTERVIEWS_BIN names the server binary.
"""

from __future__ import annotations

import concurrent.futures
import os
import statistics
import sys
import threading
import time
from typing import Callable, List, Tuple

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "Tests", "GRPCPython"))
RECORDS = 200
IN_FLIGHT = 64


def one_in_flight(call: Callable[[], object], seconds: float) -> Tuple[float, float]:
    """p50 in microseconds and calls per second of `call` made back to back."""
    for _ in range(200):
        call()
    latencies: List[float] = []
    start = time.perf_counter()
    end = start + seconds
    while True:
        before = time.perf_counter()
        if before >= end:
            break
        call()
        latencies.append(time.perf_counter() - before)
    elapsed = time.perf_counter() - start
    return statistics.median(latencies) * 1e6, len(latencies) / elapsed


def many_in_flight(start_call: Callable[[], "concurrent.futures.Future"], seconds: float) -> float:
    """Calls per second with IN_FLIGHT calls always outstanding (futures, no thread per call)."""
    done = 0
    failure: "Exception | None" = None
    lock = threading.Lock()
    finished = threading.Event()
    end = time.perf_counter() + seconds

    def launch() -> None:
        future = start_call()
        future.add_done_callback(on_done)

    def on_done(future: "concurrent.futures.Future") -> None:
        nonlocal done, failure
        try:
            future.result()
        except Exception as error:  # a failed call ends the shape at once, and the run with it
            failure = error
            finished.set()
            return
        with lock:
            done += 1
        if time.perf_counter() < end:
            launch()
        else:
            finished.set()

    began = time.perf_counter()
    for _ in range(IN_FLIGHT):
        launch()
    finished.wait(seconds + 30)
    if failure is not None:
        raise RuntimeError(f"a call failed during the {IN_FLIGHT}-in-flight shape: {failure}")
    # Let the outstanding calls finish before the next shape.
    time.sleep(0.5)
    return done / (time.perf_counter() - began - 0.5)


def report(name: str, seconds: float, get: Callable[[], object], get_future: Callable[[], object],
           page: Callable[[], object]) -> None:
    p50, rate = one_in_flight(get, seconds)
    print(f"{name}: GetInterview, 1 in flight: p50 {p50:.1f} us, {rate:,.0f} calls/s", flush=True)
    rate64 = many_in_flight(get_future, seconds)  # type: ignore[arg-type]
    print(f"{name}: GetInterview, {IN_FLIGHT} in flight: {rate64:,.0f} calls/s", flush=True)
    p50, rate = one_in_flight(page, seconds)
    print(f"{name}: ListInterviews page 20, 1 in flight: p50 {p50:.1f} us, {rate:,.0f} calls/s", flush=True)


def sample(pb, n: int):  # type: ignore[no-untyped-def]
    """Record n of the benchmark: a scheduled interview of ~150 bytes."""
    return pb.Interview(
        candidate_id=f"cand-{n % 50}", title=f"Technical interview {n}", status=pb.INTERVIEW_STATUS_SCHEDULED,
        start_at={"seconds": 1_700_000_000 + n * 3600}, end_at={"seconds": 1_700_003_600 + n * 3600},
    )


def native(seconds: float) -> None:
    from grpc_server import GRPCServerProcess, unique  # type: ignore[import-not-found]

    sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
    from interviews_client import Client  # type: ignore[import-not-found]
    from interviews_pb.v1 import interviews_pb2 as pb  # type: ignore[import-not-found]

    server = GRPCServerProcess()
    try:
        key = server.create_key([unique("bench")])
        with Client(server.socket_path, api_key=key["secret"]) as client:
            ids = [client.create_interview(sample(pb, n)).id
                   for n in range(RECORDS)]
            request = pb.GetInterviewRequest(id=ids[0])
            method = "/interviews.v1.Interviews/GetInterview"
            report(
                "native", seconds,
                lambda: client.unary(method, request, pb.Interview),
                lambda: client.unary_future(method, request, pb.Interview),
                lambda: client.list_interviews(page_size=20),
            )
    finally:
        server.stop()
        server.cleanup()


def grpc_endpoint(seconds: float) -> None:
    from grpc_server import GRPCServerProcess, stubs, unique  # type: ignore[import-not-found]

    s = stubs()
    server = GRPCServerProcess()
    try:
        key = server.create_key([unique("bench")])
        metadata = (("authorization", f"Bearer {key['secret']}"),)
        with server.channel() as channel:
            stub = s.rpc.InterviewsStub(channel)
            ids = [stub.CreateInterview(
                s.pb.CreateInterviewRequest(interview=sample(s.pb, n)), metadata=metadata).id
                for n in range(RECORDS)]
            request = s.pb.GetInterviewRequest(id=ids[0])
            page = s.pb.ListRequest(page_size=20)
            report(
                "gRPC endpoint", seconds,
                lambda: stub.GetInterview(request, metadata=metadata),
                lambda: stub.GetInterview.future(request, metadata=metadata),
                lambda: stub.ListInterviews(page, metadata=metadata),
            )
    finally:
        server.stop()
        server.cleanup()


def peer(seconds: float) -> None:
    """A stock grpcio server (thread pool) on a Unix socket answering canned records."""
    import tempfile

    import grpc
    from grpc_server import stubs  # type: ignore[import-not-found]

    s = stubs()
    record = sample(s.pb, 0)
    record.id = "0190b0c2-0000-7000-8000-000000000001"
    record.company_id = "bench"
    record.revision = 1
    canned_page = s.pb.Page(interviews=[record] * 20, total_size=RECORDS)

    class Servicer(s.rpc.InterviewsServicer):  # type: ignore[misc, name-defined]
        def GetInterview(self, request, context):  # type: ignore[no-untyped-def]
            return record

        def ListInterviews(self, request, context):  # type: ignore[no-untyped-def]
            return canned_page

    directory = tempfile.mkdtemp(prefix="grpc-peer-")
    target = f"unix:{directory}/peer.sock"
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=8))
    s.rpc.add_InterviewsServicer_to_server(Servicer(), server)
    server.add_insecure_port(target)
    server.start()
    try:
        with grpc.insecure_channel(target) as channel:
            stub = s.rpc.InterviewsStub(channel)
            request = s.pb.GetInterviewRequest(id=record.id)
            page = s.pb.ListRequest(page_size=20)
            report(
                "grpcio Python server (peer)", seconds,
                lambda: stub.GetInterview(request),
                lambda: stub.GetInterview.future(request),
                lambda: stub.ListInterviews(page),
            )
    finally:
        server.stop(1)


if __name__ == "__main__":
    mode, duration = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    {"native": native, "grpc": grpc_endpoint, "peer": peer}[mode](duration)
