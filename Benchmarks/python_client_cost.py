"""What the Python client costs beyond the bytes it moves (issue 15, item 4).

    python3 Benchmarks/python_client_cost.py [--server BIN] [--calls N] [--rounds R]
        [--client NAME=PATH ...]

Starts `interviews serve --backend memory` (BIN, or $INTERVIEWS_BIN) on a
temporary socket, a company key and 100 records, and a tiny Python echo
server. Then, for each client (NAME=PATH puts PATH, a directory holding
`interviews_client` and `interviews_pb`, first on sys.path; default: this
checkout's clients/python as "new"), in a process of its own:

* the raw floor: a Python AF_UNIX ping-pong with the echo server of exactly
  the bytes of the call (the client's HEADERS + MESSAGE one way, the
  server's MESSAGE + TRAILERS back: the echo server reads that many bytes
  and answers a fixed reply of the response's size), measured right before
  the client's calls by the same process;
* the client: Health and GetInterview, one call in flight, N calls back to
  back (p50, p99, calls/s, the client process's CPU per call);
* 8 threads on one connection (the client), against 8 threads each
  ping-ponging on a connection of its own (the floor).

Each figure is printed beside its floor and the ratio. Rounds alternate the
order of the clients; the table at the end has the median over rounds.
Pinning is inherited: run the whole script under `taskset -c 0` to pin the
script, its client processes, the echo server and the server to CPU 0
(Benchmarks/run-python-client-cost does, then runs it unpinned). Standard
library and the client only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
HEALTH = "/interviews.v1.Interviews/Health"
GET = "/interviews.v1.Interviews/GetInterview"
THREADS = 8
RECORDS = 100
WARMUP = 300


# ---------------------------------------------------------------- the echo server


def _recv_exact(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def echo_server(path: str) -> None:
    """Per connection: read (request size, reply size), then forever read a request, send the reply."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)

    def serve(conn: socket.socket) -> None:
        try:
            request_size, reply_size = struct.unpack(">II", _recv_exact(conn, 8))
            reply = b"r" * reply_size
            while True:
                got = 0
                while got < request_size:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    got += len(chunk)
                conn.sendall(reply)
        except (EOFError, OSError):
            pass
        finally:
            conn.close()

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


# ---------------------------------------------------------------- measuring


def _cpu() -> float:
    return time.process_time()  # this process, every thread, user and system


#: The server's pid, for its CPU time per call (0: not measured).
SERVER_PID = 0


def _server_cpu() -> float:
    """The server's CPU time so far in seconds, every thread (schedstat: nanoseconds on a CPU)."""
    if not SERVER_PID:
        return 0.0
    total = 0
    task_dir = f"/proc/{SERVER_PID}/task"
    for task in os.listdir(task_dir):
        try:
            with open(f"{task_dir}/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1e9


def summary(latencies_ns: List[int], elapsed: float, cpu: float, server_cpu: float) -> Dict[str, float]:
    ordered = sorted(latencies_ns)
    n = len(ordered)
    return {
        "p50": ordered[n // 2] / 1000,
        "p99": ordered[min(n - 1, int(n * 0.99))] / 1000,
        "rate": n / elapsed,
        "cpu": cpu / n * 1e6,
        "server_cpu": server_cpu / n * 1e6,
    }


def one_in_flight(call, n: int) -> Dict[str, float]:  # type: ignore[no-untyped-def]
    for _ in range(WARMUP):
        call()
    clock = time.perf_counter_ns
    latencies = [0] * n
    server0 = _server_cpu()
    cpu0 = _cpu()
    start = time.perf_counter()
    for i in range(n):
        t0 = clock()
        call()
        latencies[i] = clock() - t0
    elapsed = time.perf_counter() - start
    cpu = _cpu() - cpu0
    return summary(latencies, elapsed, cpu, _server_cpu() - server0)


def threads_in_flight(make_call, n: int) -> Dict[str, float]:  # type: ignore[no-untyped-def]
    """THREADS threads, n calls in all; make_call(t) gives thread t its call."""
    calls = [make_call(t) for t in range(THREADS)]
    per_thread = n // THREADS
    results: List[List[int]] = [[] for _ in range(THREADS)]
    failures: List[BaseException] = []
    barrier = threading.Barrier(THREADS + 1)

    def worker(t: int) -> None:
        try:
            call = calls[t]
            for _ in range(WARMUP // THREADS):
                call()
            barrier.wait()
            clock = time.perf_counter_ns
            mine = results[t]
            for _ in range(per_thread):
                t0 = clock()
                call()
                mine.append(clock() - t0)
        except BaseException as error:  # noqa: BLE001
            failures.append(error)
            try:
                barrier.abort()
            except threading.BrokenBarrierError:
                pass

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    server0 = _server_cpu()
    cpu0 = _cpu()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    cpu = _cpu() - cpu0
    server_cpu = _server_cpu() - server0
    if failures:
        raise failures[0]
    return summary([x for r in results for x in r], elapsed, cpu, server_cpu)


class RawPingPong:
    """One connection to the echo server, exchanging `request_size` bytes for `reply_size` bytes."""

    def __init__(self, path: str, request_size: int, reply_size: int) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.sendall(struct.pack(">II", request_size, reply_size))
        self.request = b"q" * request_size
        self.reply_size = reply_size

    def __call__(self) -> None:
        sock = self.sock
        sock.sendall(self.request)
        got = 0
        while got < self.reply_size:
            got += len(sock.recv(65536))

    def close(self) -> None:
        self.sock.close()


def client_run(args: argparse.Namespace) -> None:
    """In a process of its own: the floors, then the client at args.client_path; prints JSON."""
    sys.path.insert(0, args.client_path)
    from interviews_client import Client  # type: ignore[import-not-found]

    global SERVER_PID

    sizes = json.loads(args.sizes)
    n = args.calls
    floors: Dict[str, Dict[str, float]] = {}
    out: Dict[str, Dict[str, float]] = {}
    for shape, method in (("Health", HEALTH), ("GetInterview", GET)):
        request_size, reply_size = sizes[shape]
        SERVER_PID = args.echo_pid
        raw = RawPingPong(args.echo, request_size, reply_size)
        out[f"{shape}, 1 in flight: floor"] = one_in_flight(raw, n)
        raw.close()
        SERVER_PID = args.server_pid
        with Client(args.socket, api_key=args.key) as client:
            if shape == "Health":
                call = client.health
            else:
                record_id = args.record

                def call() -> object:
                    return client.get_interview(record_id)

            out[f"{shape}, 1 in flight: client"] = one_in_flight(call, n)
        SERVER_PID = args.echo_pid
        raws = [RawPingPong(args.echo, request_size, reply_size) for _ in range(THREADS)]
        out[f"{shape}, {THREADS} threads: floor"] = threads_in_flight(lambda t: raws[t], n)
        for r in raws:
            r.close()
        SERVER_PID = args.server_pid
        with Client(args.socket, api_key=args.key) as client:
            if shape == "Health":
                make = lambda t: client.health  # noqa: E731
            else:
                record_id = args.record
                make = lambda t: (lambda: client.get_interview(record_id))  # noqa: E731
            out[f"{shape}, {THREADS} threads: client"] = threads_in_flight(make, n)
    print(json.dumps(out))


# ---------------------------------------------------------------- orchestration


def start_server(binary: str, directory: str, new_client: str) -> Tuple[subprocess.Popen, str]:
    sys.path.insert(0, new_client)
    from interviews_client import Client, RpcError  # type: ignore[import-not-found]

    socket_path = os.path.join(directory, "s.sock")
    log = open(os.path.join(directory, "server.log"), "wb")
    process = subprocess.Popen(
        [binary, "serve", "--socket", socket_path, "--data-dir", os.path.join(directory, "data"), "--backend", "memory"],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}; see {log.name}")
        try:
            Client(socket_path, connect_timeout=5.0).close()
            return process, socket_path
        except RpcError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def wire_sizes(socket_path: str, new_client: str, key: str, record_id: str) -> Dict[str, Tuple[int, int]]:
    """The bytes of one call each way, as the client writes and the server answers them."""
    from interviews_client import Client  # type: ignore[import-not-found]
    from interviews_pb.rpc.v1 import rpc_pb2  # type: ignore[import-not-found]
    from interviews_pb.v1 import interviews_pb2 as pb  # type: ignore[import-not-found]

    headers = lambda method: len(  # noqa: E731
        rpc_pb2.CallHeaders(method=method, metadata=[rpc_pb2.MetadataEntry(key="authorization", value=f"Bearer {key}")])
        .SerializeToString()
    )
    trailers = len(rpc_pb2.Status().SerializeToString())
    with Client(socket_path, api_key=key) as client:
        health = client.unary(HEALTH, pb.HealthRequest(), None)
        got = client.unary(GET, pb.GetInterviewRequest(id=record_id), None)
    get_request = len(pb.GetInterviewRequest(id=record_id).SerializeToString())
    return {
        "Health": (12 + headers(HEALTH) + 12 + 0, 12 + len(health) + 12 + trailers),
        "GetInterview": (12 + headers(GET) + 12 + get_request, 12 + len(got) + 12 + trailers),
    }


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=os.environ.get("INTERVIEWS_BIN", ""), help="the interviews binary")
    parser.add_argument("--calls", type=int, default=5000, help="calls per shape (default 5000)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds (default 2); clients alternate order")
    parser.add_argument("--client", action="append", default=[], metavar="NAME=PATH", help="a client to measure")
    # internal modes
    parser.add_argument("--echo-server", help=argparse.SUPPRESS)
    parser.add_argument("--client-path", help=argparse.SUPPRESS)
    parser.add_argument("--socket", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--record", help=argparse.SUPPRESS)
    parser.add_argument("--echo", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--echo-pid", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.echo_server:
        echo_server(args.echo_server)
        return
    if args.client_path:
        client_run(args)
        return

    if not args.server or not os.access(args.server, os.X_OK):
        raise SystemExit("give the server binary: --server BIN or INTERVIEWS_BIN")
    clients = [tuple(c.split("=", 1)) for c in args.client] or [("new", os.path.join(ROOT, "clients", "python"))]
    for name, path in clients:
        if not os.path.isdir(os.path.join(path, "interviews_client")):
            raise SystemExit(f"{name}: no interviews_client in {path}")
    new_path = clients[-1][1]
    directory = tempfile.mkdtemp(prefix="pycost-", dir="/tmp")
    server: Optional[subprocess.Popen] = None
    echo: Optional[subprocess.Popen] = None
    try:
        server, socket_path = start_server(args.server, directory, new_path)
        from interviews_client import Client  # type: ignore[import-not-found]
        from interviews_pb.v1 import admin_pb2, interviews_pb2 as pb  # type: ignore[import-not-found]

        with Client(socket_path) as admin:
            key = admin.create_key("bench", admin_pb2.KEY_KIND_COMPANY, ["acme"]).secret
        with Client(socket_path, api_key=key) as client:
            ids = [
                client.create_interview(
                    pb.Interview(
                        candidate_id=f"cand-{n % 50}",
                        title=f"Technical interview {n}",
                        status=pb.INTERVIEW_STATUS_SCHEDULED,
                        start_at={"seconds": 1_700_000_000 + n * 3600},
                        end_at={"seconds": 1_700_003_600 + n * 3600},
                    )
                ).id
                for n in range(RECORDS)
            ]
        record_id = ids[RECORDS // 2]
        sizes = wire_sizes(socket_path, new_path, key, record_id)
        echo_path = os.path.join(directory, "echo.sock")
        echo = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--echo-server", echo_path])
        while not os.path.exists(echo_path):
            time.sleep(0.01)

        affinity = sorted(os.sched_getaffinity(0))
        print(
            f"server {args.server}; CPUs {','.join(map(str, affinity))} (inherited by the server, the echo "
            f"server and the client processes); load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
            f"{args.calls} calls per shape; bytes per call (request, response): "
            + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in sizes.items()),
            flush=True,
        )
        results: Dict[str, List[Dict[str, Dict[str, float]]]] = {name: [] for name, _ in clients}
        for r in range(args.rounds):
            order = clients if r % 2 == 0 else list(reversed(clients))
            for name, path in order:
                run = subprocess.run(
                    [
                        sys.executable, os.path.abspath(__file__), "--client-path", path, "--socket", socket_path,
                        "--key", key, "--record", record_id, "--echo", echo_path, "--sizes", json.dumps(sizes),
                        "--calls", str(args.calls), "--server-pid", str(server.pid), "--echo-pid", str(echo.pid),
                    ],
                    stdout=subprocess.PIPE,
                    check=True,
                )
                figures = json.loads(run.stdout)
                results[name].append(figures)
                print(f"round {r + 1}, {name}:", flush=True)
                for shape, f in figures.items():
                    print(
                        f"  {shape:36} p50 {f['p50']:8.1f} us  p99 {f['p99']:8.1f} us  {f['rate']:9,.0f} calls/s  "
                        f"CPU per call: client {f['cpu']:6.1f} us, server {f['server_cpu']:6.1f} us",
                        flush=True,
                    )
        print(
            f"\nmedian of {args.rounds} rounds (a ratio: the median of each run's figure over the floor "
            f"its process measured right before); load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        print("| shape | floor p50 / calls/s; CPU per call (pinger + echo) | " + " | ".join(f"{name}: p50, p99, calls/s (x floor p50, x floor calls/s)" for name, _ in clients) + " |")
        print("|---|---|" + "---|" * len(clients))
        shapes = [s[: -len(": client")] for s in results[clients[0][0]][0] if s.endswith(": client")]
        for shape in shapes:
            cells = []
            floors = [run[f"{shape}: floor"] for name, _ in clients for run in results[name]]
            floor_p50 = statistics.median(f["p50"] for f in floors)
            floor_rate = statistics.median(f["rate"] for f in floors)
            floor_cpu = statistics.median(f["cpu"] for f in floors)
            floor_server = statistics.median(f["server_cpu"] for f in floors)
            for name, _ in clients:
                runs = [run[f"{shape}: client"] for run in results[name]]
                own = [run[f"{shape}: floor"] for run in results[name]]  # each measured right before its calls
                p50 = statistics.median(f["p50"] for f in runs)
                p99 = statistics.median(f["p99"] for f in runs)
                rate = statistics.median(f["rate"] for f in runs)
                cpu = statistics.median(f["cpu"] for f in runs)
                server_cpu = statistics.median(f["server_cpu"] for f in runs)
                p50_ratio = statistics.median(f["p50"] / g["p50"] for f, g in zip(runs, own))
                rate_ratio = statistics.median(g["rate"] / f["rate"] for f, g in zip(runs, own))
                cells.append(
                    f"{p50:.1f} us, {p99:.1f} us, {rate:,.0f}/s ({p50_ratio:.2f}x, {rate_ratio:.2f}x); "
                    f"CPU client {cpu:.1f} us, server {server_cpu:.1f} us"
                )
            print(
                f"| {shape} | {floor_p50:.1f} us / {floor_rate:,.0f}/s; CPU {floor_cpu:.1f} + {floor_server:.1f} us | "
                + " | ".join(cells)
                + " |"
            )
    finally:
        if echo is not None:
            echo.kill()
            echo.wait()
        if server is not None:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
