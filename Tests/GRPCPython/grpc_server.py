"""The real server ($INTERVIEWS_BIN) with its gRPC endpoint, and stock gRPC stubs generated from proto/.

This suite runs in a process of its own (tools/test): the stubs it generates
register interviews/v1/*.proto in protobuf's default descriptor pool, where
the Python client's committed modules (clients/python) would collide with them.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Callable, Dict, List, Optional

import grpc

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROTO_DIR = os.path.join(REPO_ROOT, "proto")
START_TIMEOUT = 20.0
STOP_TIMEOUT = 30.0


def server_binary() -> str:
    """$INTERVIEWS_BIN, else the debug build in this checkout."""
    path = os.environ.get("INTERVIEWS_BIN", "")
    if not path:
        bin_dir = subprocess.run(
            ["swift", "build", "--show-bin-path"], cwd=REPO_ROOT, stdout=subprocess.PIPE, check=True
        ).stdout.decode().strip()
        path = os.path.join(bin_dir, "interviews")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"INTERVIEWS_BIN={path} is not an executable file; build with `swift build` first")
    return path


_stubs_dir: Optional[str] = None


def stubs():  # type: ignore[no-untyped-def]
    """Generates (once per process) Python stubs from proto/ with grpcio-tools and imports them.

    Returns a namespace with pb (interviews_pb2), rpc (interviews_pb2_grpc),
    admin_pb, admin_rpc, refl_pb and refl_rpc (grpc.reflection.v1).
    """
    global _stubs_dir
    if _stubs_dir is None:
        from grpc_tools import protoc  # type: ignore[import-untyped]
        import grpc_tools  # type: ignore[import-untyped]

        out = tempfile.mkdtemp(prefix="ivgrpc-stubs-")
        wkt = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
        # grpc.reflection.v1 under another file name: a top-level `grpc`
        # directory would shadow grpcio itself. The messages are the same.
        src = os.path.join(out, "src")
        os.makedirs(os.path.join(src, "reflection_v1"))
        shutil.copy(os.path.join(PROTO_DIR, "grpc/reflection/v1/reflection.proto"), os.path.join(src, "reflection_v1"))
        files = ["interviews/v1/interviews.proto", "interviews/v1/admin.proto"]
        status = protoc.main(
            ["protoc", f"-I{PROTO_DIR}", f"-I{wkt}", f"--python_out={out}", f"--grpc_python_out={out}", *files]
        ) or protoc.main(
            ["protoc", f"-I{src}", f"--python_out={out}", f"--grpc_python_out={out}", "reflection_v1/reflection.proto"]
        )
        if status != 0:
            raise RuntimeError(f"grpc_tools.protoc failed with {status}")
        shutil.rmtree(src)
        for root, dirs, _ in os.walk(out):
            for d in dirs:
                open(os.path.join(root, d, "__init__.py"), "a").close()
        sys.path.insert(0, out)
        _stubs_dir = out

    class Stubs:
        pb = importlib.import_module("interviews.v1.interviews_pb2")
        rpc = importlib.import_module("interviews.v1.interviews_pb2_grpc")
        admin_pb = importlib.import_module("interviews.v1.admin_pb2")
        admin_rpc = importlib.import_module("interviews.v1.admin_pb2_grpc")
        refl_pb = importlib.import_module("reflection_v1.reflection_pb2")
        refl_rpc = importlib.import_module("reflection_v1.reflection_pb2_grpc")

    return Stubs


class GRPCServerProcess:
    """`interviews serve --backend memory --grpc-socket <tmp>/g.sock`, started and answering gRPC health.

    `prepare`, if given, is called with the data directory's path before the
    server starts (e.g. to mount a small disk there).
    """

    def __init__(
        self, *extra_args: str, backend: str = "memory", prepare: Optional[Callable[[str], None]] = None
    ) -> None:
        self.dir = tempfile.mkdtemp(prefix="ivgrpc-", dir="/tmp" if os.path.isdir("/tmp") else None)
        self.socket_path = os.path.join(self.dir, "s.sock")
        self.grpc_socket_path = os.path.join(self.dir, "g.sock")
        self.data_dir = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "server.log")
        self._log = open(self.log_path, "wb")
        if prepare is not None:
            try:
                prepare(self.data_dir)
            except BaseException:
                self.cleanup()
                raise
        self.process = subprocess.Popen(
            [
                server_binary(), "serve", "--socket", self.socket_path, "--grpc-socket", self.grpc_socket_path,
                "--data-dir", self.data_dir, "--backend", backend, *extra_args,
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_until_serving()
        except BaseException:
            self.kill()
            self.cleanup()
            raise

    @property
    def target(self) -> str:
        return f"unix:{self.grpc_socket_path}"

    def channel(self, **options: object) -> grpc.Channel:
        return grpc.insecure_channel(self.target, options=list(options.items()))

    def _wait_until_serving(self) -> None:
        from grpc_health.v1 import health_pb2, health_pb2_grpc  # type: ignore[import-untyped]

        deadline = time.monotonic() + START_TIMEOUT
        last: object = None
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode} at start:\n{self.log()}")
            if os.path.exists(self.grpc_socket_path) and os.path.exists(self.socket_path):
                try:
                    with self.channel() as channel:
                        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
                    if self.cli("keys", "list").returncode == 0:
                        return
                except grpc.RpcError as error:
                    last = error
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gRPC endpoint did not answer ({last}):\n{self.log()}")
            time.sleep(0.05)

    def cli(self, *args: str, api_key: Optional[str] = None) -> subprocess.CompletedProcess:
        """Runs the `interviews` CLI against the native socket."""
        env = dict(os.environ)
        env.pop("INTERVIEWS_API_KEY", None)
        if api_key:
            env["INTERVIEWS_API_KEY"] = api_key
        return subprocess.run(
            [server_binary(), *args, "--socket", self.socket_path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, timeout=60,
        )

    def create_key(self, companies: List[str], partner: bool = False) -> Dict[str, str]:
        """A new API key (through the native socket's Admin service): {"id": ..., "secret": ...}."""
        args = ["keys", "create", "--label", f"grpc-{uuid.uuid4().hex[:8]}", "--output", "jsonl"]
        if partner:
            args.append("--partner")
        for company in companies:
            args += ["--company", company]
        done = self.cli(*args)
        if done.returncode != 0:
            raise RuntimeError(f"keys create failed: {done.stderr.decode()}")
        created = json.loads(done.stdout.decode().strip().splitlines()[-1])
        return {"id": created["key"]["id"], "secret": created["secret"]}

    def revoke_key(self, key_id: str) -> None:
        done = self.cli("keys", "revoke", key_id)
        if done.returncode != 0:
            raise RuntimeError(f"keys revoke failed: {done.stderr.decode()}")

    def log(self) -> str:
        self._log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self) -> int:
        self.terminate()
        try:
            return self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the server did not exit within {STOP_TIMEOUT} s of SIGTERM:\n{self.log()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)

    def cleanup(self) -> None:
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
