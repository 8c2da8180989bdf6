#!/usr/bin/env python3
"""The memory and event-loop checks of docs/BENCHMARKS.md ("Memory bounds").

Starts `interviews serve --backend memory` on a private socket, seeds records,
then drives it with raw sockets (no client library, so that nothing but the
server buffers anything) and reads the server's RSS from /proc/PID/status:

  partial   CONNECTIONS connections (default 1000) each send the preface,
            SETTINGS and the header of the largest frame the server takes
            before a call is authenticated, then all of its payload but one
            byte, and wait. Also the same with a 4 MiB header.
  streams   STREAMS connections (default 200) each start StreamInterviews
            with a credit of 1,000,000 messages and never read.
  release   after each burst the clients close; RSS SETTLE seconds later
            (default 60), against the idle figure.
  stall     a prober opens a new connection per Health call and measures
            each call (connect to TRAILERS) while STREAMS streams start at
            once, while they close, and while 20 clients pipeline 200
            ListInterviews each; the p99 against the same prober with no
            load, in the same run. The prober is a process of its own at
            normal priority; the load runs at nice 19 (--nice-load).

Usage: Benchmarks/memory_bounds.py [--binary PATH] [--only partial,streams,stall]
       [--server-args "..."] [--nice-load N] [--page-size N]
Prints the figures and, per goal, PASS or FAIL; exits 1 when a goal fails.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shlex
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

PREFACE = b"interviews-rpc/1"
HEADERS, MESSAGE, TRAILERS, SETTINGS, CANCEL, WINDOW_UPDATE, PING, GOAWAY = range(1, 9)
END_STREAM = 1
SERVICE = "/interviews.v1.Interviews/"


def frame(frame_type: int, call_id: int, payload: bytes = b"", flags: int = 0) -> bytes:
    return struct.pack(">IBBHI", len(payload), frame_type, flags, 0, call_id) + payload


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_bytes(number: int, data: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(data)) + data


def field_varint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def call_headers(method: str, key: str | None, initial_window: int = 0) -> bytes:
    payload = field_bytes(1, (SERVICE + method).encode())
    if key is not None:
        payload += field_bytes(2, field_bytes(1, b"authorization") + field_bytes(2, ("Bearer " + key).encode()))
    if initial_window:
        payload += field_varint(4, initial_window)
    return payload


def handshake() -> bytes:
    return PREFACE + frame(SETTINGS, 0)


def connect(path: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    return sock


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


class Reader:
    """Reads frames from a blocking socket until a condition holds."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def next(self) -> tuple[int, int, int, bytes] | None:
        while True:
            if len(self.buffer) >= 12:
                length, frame_type, flags, _, call_id = struct.unpack_from(">IBBHI", self.buffer)
                if len(self.buffer) >= 12 + length:
                    payload = self.buffer[12 : 12 + length]
                    self.buffer = self.buffer[12 + length :]
                    return frame_type, flags, call_id, payload
            data = self.sock.recv(1 << 16)
            if not data:
                return None
            self.buffer += data


class Server:
    def __init__(self, binary: str, directory: str, extra: list[str]) -> None:
        self.binary = binary
        self.socket = os.path.join(directory, "s.sock")
        self.data = os.path.join(directory, "data")
        self.log = open(os.path.join(directory, "server.log"), "w")
        self.process = subprocess.Popen(
            [binary, "serve", "--backend", "memory", "--socket", self.socket, "--data-dir", self.data,
             "--log-level", "error", *extra],
            stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 30
        while not os.path.exists(self.socket):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start; see {self.log.name}")
            time.sleep(0.05)

    def cli(self, *args: str, stdin: bytes | None = None, key: str | None = None) -> str:
        env = dict(os.environ, INTERVIEWS_SOCKET=self.socket)
        if key:
            env["INTERVIEWS_API_KEY"] = key
        done = subprocess.run([self.binary, *args], input=stdin, capture_output=True, env=env, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed: {done.stderr.decode()}")
        return done.stdout.decode()

    @property
    def rss(self) -> int:
        return rss_kib(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def seed(server: Server, records: int) -> str:
    output = server.cli("keys", "create", "--label", "bench", "--company", "acme", "--output", "json")
    key = json.loads(output.strip().splitlines()[-1])["secret"]
    results = []
    for index in range(records):
        results.append({
            "id": f"k{index:08d}", "remote_id": f"r{index}", "title": f"Interview {index} " + "x" * 200,
            "starting_at": "2026-06-26T14:30:00.000Z", "ending_at": "2026-06-26T15:30:00.000Z",
            "application_id": f"app-{index % 97}", "stage_id": "stage-1", "canceled": False,
            "remote_created_at": "2026-01-07T14:01:29.196Z", "remote_updated_at": "2026-01-07T14:01:29.196Z",
            "users": [{"id": f"u{index % 13}", "first_name": "Ada", "last_name": "Lovelace",
                       "email": "ada@example.com"}],
        })
    envelope = json.dumps({"status": "success", "data": {"next": None, "results": results}}).encode()
    server.cli("import", "--format", "kombo", "--envelope", "--company", "acme", stdin=envelope, key=key)
    return key


def settle(server: Server, seconds: float = 30.0) -> int:
    """RSS once it stops growing (the server has read what was sent)."""
    last = server.rss
    stable_since = time.monotonic()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = server.rss
        if abs(now - last) > 1024:
            stable_since = time.monotonic()
        last = now
        if time.monotonic() - stable_since > 1.5:
            break
    return last


def close_all(socks: list[socket.socket]) -> None:
    for sock in socks:
        try:
            sock.close()
        except OSError:
            pass
    socks.clear()


def goaways(socks: list[socket.socket]) -> int:
    """How many of the connections were sent GOAWAY (or closed) by the server."""
    count = 0
    for sock in socks:
        sock.setblocking(False)
        try:
            data = b""
            while True:
                chunk = sock.recv(1 << 16)
                if not chunk:
                    break
                data += chunk
        except (BlockingIOError, ConnectionResetError):
            pass
        # The SETTINGS reply first; a GOAWAY type byte follows it.
        offset = 0
        while offset + 12 <= len(data):
            length, frame_type = struct.unpack_from(">IB", data, offset)
            if frame_type == GOAWAY:
                count += 1
                break
            offset += 12 + length
    return count


def partial_frames(server: Server, connections: int, length: int) -> tuple[int, int]:
    socks = []
    body = b"\0" * (length - 1)
    for _ in range(connections):
        sock = connect(server.socket)
        sock.sendall(handshake() + struct.pack(">IBBHI", length, MESSAGE, END_STREAM, 0, 1))
        socks.append(sock)
    # The payloads after every header, so that a limit counted across
    # connections sees them all at once.
    for sock in socks:
        try:
            sock.setblocking(False)
            view = memoryview(body)
            while view:
                try:
                    sent = sock.send(view)
                    view = view[sent:]
                except BlockingIOError:
                    select.select([], [sock], [], 1.0)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused with GOAWAY
    rss = settle(server)
    refused = goaways(socks)
    close_all(socks)
    return rss, refused


def start_streams(server: Server, key: str, count: int, read: bool = False) -> list[socket.socket]:
    request = call_headers("StreamInterviews", key, initial_window=1_000_000)
    wire = handshake() + frame(HEADERS, 1, request) + frame(MESSAGE, 1, b"", END_STREAM)
    socks = []
    for _ in range(count):
        sock = connect(server.socket)
        socks.append(sock)
    for sock in socks:
        sock.sendall(wire)
    return socks


def health_probe(path: str) -> float:
    started = time.perf_counter()
    sock = connect(path)
    try:
        sock.sendall(handshake() + frame(HEADERS, 1, call_headers("Health", None))
                     + frame(MESSAGE, 1, b"", END_STREAM))
        reader = Reader(sock)
        while True:
            got = reader.next()
            if got is None:
                raise RuntimeError("the server closed the probe")
            if got[0] == TRAILERS:
                return time.perf_counter() - started
    finally:
        sock.close()


class Prober:
    """Health probes on new connections, one after another with a 10 ms
    pause, in a process of its own (so that the load's threads, which share
    this interpreter's lock, do not delay it), started once at normal
    priority: the load may then run niced (--nice-load)."""

    def __init__(self, path: str) -> None:
        self.process = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--probe", path],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def start(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("start\n")
        self.process.stdin.flush()

    def stop(self) -> list[float]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("stop\n")
        self.process.stdin.flush()
        return [float(value) for value in self.process.stdout.readline().split()]

    def close(self) -> None:
        self.process.communicate(timeout=30)


def probe_on_command(path: str) -> None:
    """`start` begins probing; `stop` prints the samples on one line."""
    running = threading.Event()
    samples: list[float] = []

    def probe() -> None:
        while True:
            running.wait()
            samples.append(health_probe(path))
            time.sleep(0.01)

    threading.Thread(target=probe, daemon=True).start()
    for line in sys.stdin:
        if line.strip() == "start":
            samples.clear()
            running.set()
        elif line.strip() == "stop":
            running.clear()
            time.sleep(0.05)
            print(" ".join(f"{sample:.6f}" for sample in samples), flush=True)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def describe(samples: list[float]) -> str:
    return (f"n={len(samples)} p50={percentile(samples, 0.5) * 1000:.1f} ms "
            f"p99={percentile(samples, 0.99) * 1000:.1f} ms max={max(samples) * 1000:.1f} ms")


def probe_while(prober: Prober, load) -> list[float]:
    prober.start()
    time.sleep(0.3)
    load()
    time.sleep(0.3)
    return prober.stop()


def pipeline_lists(server: Server, key: str, clients: int = 20, calls: int = 200, page_size: int = 20) -> None:
    request = field_bytes(1, b"acme") + field_varint(22, page_size)
    headers = call_headers("ListInterviews", key)
    socks = [connect(server.socket) for _ in range(clients)]
    wires = []
    for _ in socks:
        wire = bytearray(handshake())
        for index in range(calls):
            call_id = 1 + 2 * index
            wire += frame(HEADERS, call_id, headers) + frame(MESSAGE, call_id, request, END_STREAM)
        wires.append(bytes(wire))

    def run(sock: socket.socket, wire: bytes) -> None:
        sender = threading.Thread(target=sock.sendall, args=(wire,))
        sender.start()
        reader = Reader(sock)
        ended = 0
        while ended < calls:
            got = reader.next()
            if got is None:
                raise RuntimeError("the server closed a pipelining client")
            if got[0] == TRAILERS:
                ended += 1
        sender.join()

    threads = [threading.Thread(target=run, args=(sock, wire)) for sock, wire in zip(socks, wires)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_all(socks)


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--probe":
        probe_on_command(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/interviews")
    parser.add_argument("--only", default="partial,streams,stall")
    parser.add_argument("--server-args", default="", help="extra `interviews serve` flags (e.g. the old limits)")
    parser.add_argument("--connections", type=int, default=int(os.environ.get("CONNECTIONS", 1000)))
    parser.add_argument("--streams", type=int, default=int(os.environ.get("STREAMS", 200)))
    parser.add_argument("--records", type=int, default=int(os.environ.get("RECORDS", 20000)))
    parser.add_argument("--settle", type=float, default=float(os.environ.get("SETTLE", 60)))
    parser.add_argument("--nice-load", type=int, default=19,
                        help="niceness of the load generator in the stall checks (0: none): on a 2-vCPU machine "
                             "40 Python threads would otherwise starve the prober itself")
    parser.add_argument("--page-size", type=int, default=20, help="ListInterviews page size when pipelining")
    parser.add_argument("--partial-length", type=int, default=0,
                        help="the payload length of the partial frames (default: the largest the server takes "
                             "before authentication, from its --help defaults: 65536)")
    args = parser.parse_args()
    only = set(args.only.split(","))
    failed = []

    def goal(name: str, ok: bool, figure: str) -> None:
        print(f"GOAL {'PASS' if ok else 'FAIL'}: {name}: {figure}")
        if not ok:
            failed.append(name)

    with tempfile.TemporaryDirectory(prefix="memory-bounds-") as directory:
        server = Server(args.binary, directory, shlex.split(args.server_args))
        try:
            started = time.monotonic()
            key = seed(server, args.records)
            print(f"server {args.binary} {args.server_args}; {args.records} records seeded in "
                  f"{time.monotonic() - started:.1f} s (a shared machine: figures are noisy)")
            # One warm-up of every path, so that idle counts what stays.
            health_probe(server.socket)
            close_all(start_streams(server, key, 2))
            pipeline_lists(server, key, clients=2, calls=10)
            idle = settle(server)
            print(f"idle RSS {mib(idle)}")

            if "partial" in only:
                length = args.partial_length or 65536
                for label, size in ((f"{length}-byte", length), ("4 MiB", 4 * 1024 * 1024)):
                    rss, refused = partial_frames(server, args.connections, size)
                    print(f"partial: {args.connections} connections, {label} frames all but 1 byte: RSS {mib(rss)} "
                          f"({refused} refused with GOAWAY)")
                    goal(f"{args.connections} partial {label} frames under 300 MB", rss < 300 * 1000, mib(rss))
                time.sleep(args.settle)
                after = server.rss
                print(f"partial: {args.settle:.0f} s after the clients went: RSS {mib(after)} "
                      f"({after / idle:.2f}x idle)")
                goal("RSS within 1.5x of idle after the partial frames", after <= 1.5 * idle, f"{after / idle:.2f}x")

            if "streams" in only:
                socks = start_streams(server, key, args.streams)
                rss = settle(server)
                print(f"streams: {args.streams} unread StreamInterviews: RSS {mib(rss)} "
                      f"({(rss - idle) / args.streams / 1024:.2f} MiB per stream above idle)")
                goal(f"{args.streams} unread streams under 1 GB", rss < 1000 * 1000, mib(rss))
                close_all(socks)
                time.sleep(args.settle)
                after = server.rss
                print(f"streams: {args.settle:.0f} s after the clients went: RSS {mib(after)} "
                      f"({after / idle:.2f}x idle)")
                goal("RSS within 1.5x of idle after the streams", after <= 1.5 * idle, f"{after / idle:.2f}x")

            if "stall" in only:
                prober = Prober(server.socket)
                if args.nice_load:
                    os.nice(args.nice_load)
                    print(f"stall: the load generator runs at nice {args.nice_load}, the prober and server at 0")
                quiet = probe_while(prober, lambda: time.sleep(2))
                print(f"stall: Health on a new connection, no load: {describe(quiet)}")
                held: list[socket.socket] = []

                def streams_start() -> None:
                    held.extend(start_streams(server, key, args.streams))
                    time.sleep(2)

                during = probe_while(prober, streams_start)
                print(f"stall: while {args.streams} streams start: {describe(during)}")
                goal(f"Health p99 under 50 ms while {args.streams} streams start", percentile(during, 0.99) < 0.05,
                     f"{percentile(during, 0.99) * 1000:.1f} ms")

                def streams_close() -> None:
                    close_all(held)
                    time.sleep(3)  # the memory trim after a burst of closes runs 1 s after it

                closing = probe_while(prober, streams_close)
                print(f"stall: while {args.streams} streams close and the freed memory is trimmed "
                      f"(no goal): {describe(closing)}")
                listing = probe_while(prober, lambda: pipeline_lists(server, key, page_size=args.page_size))
                print(f"stall: while 20 clients pipeline 200 ListInterviews (page size {args.page_size}) each: "
                      f"{describe(listing)}")
                goal("Health p99 under 50 ms while 20 clients pipeline 200 ListInterviews",
                     percentile(listing, 0.99) < 0.05, f"{percentile(listing, 0.99) * 1000:.1f} ms")
                prober.close()
        finally:
            server.stop()
    if failed:
        print(f"{len(failed)} goal(s) failed")
        return 1
    print("every goal met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
