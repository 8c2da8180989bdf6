"""Runs the real server binary ($INTERVIEWS_BIN) for integration tests."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import uuid
from typing import List, Optional

from interviews_client import Client, RpcError
from interviews_pb.v1 import admin_pb2

SERVER_START_TIMEOUT = 20.0
SERVER_STOP_TIMEOUT = 30.0


_REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
_built_binary: Optional[str] = None


def server_binary() -> str:
    """The server binary: $INTERVIEWS_BIN, or else `swift build --product interviews` in this checkout.

    Never skips: a run without the binary would report most of this suite as
    skipped and pass. A failed build fails the tests that need the server.
    """
    global _built_binary
    path = os.environ.get("INTERVIEWS_BIN", "")
    if not path:
        if _built_binary is None:
            swift = shutil.which("swift")
            if swift is None:
                raise RuntimeError(
                    "INTERVIEWS_BIN is not set and there is no `swift` to build the server with; set it to "
                    "$(swift build --show-bin-path)/interviews"
                )
            built = subprocess.run(
                [swift, "build", "--product", "interviews"], cwd=_REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            if built.returncode != 0:
                raise RuntimeError(
                    f"INTERVIEWS_BIN is not set and `swift build --product interviews` failed:\n{built.stdout.decode(errors='replace')}"
                )
            bin_dir = subprocess.run(
                [swift, "build", "--show-bin-path"], cwd=_REPO_ROOT, stdout=subprocess.PIPE, check=True
            ).stdout.decode().strip()
            _built_binary = os.path.join(bin_dir, "interviews")
        path = _built_binary
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"INTERVIEWS_BIN={path} is not an executable file")
    return path


class ServerProcess:
    """`interviews serve --socket <tmp>/s.sock --data-dir <tmp>/data --backend memory`, started and ready."""

    def __init__(self, *extra_args: str) -> None:
        binary = server_binary()
        self.dir = tempfile.mkdtemp(prefix="ivpy-", dir="/tmp" if os.path.isdir("/tmp") else None)
        self.socket_path = os.path.join(self.dir, "s.sock")
        self.data_dir = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "server.log")
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [binary, "serve", "--socket", self.socket_path, "--data-dir", self.data_dir, "--backend", "memory", *extra_args],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_until_accepting()
        except BaseException:
            self.kill()
            self.cleanup()
            raise

    def _wait_until_accepting(self) -> None:
        """Wait until a connection completes the handshake (the server answers SETTINGS).

        Accepting on the socket is not enough: the server (RPCServer.listen)
        marks itself listening only after bind() returns, and a connection
        accepted in between is refused with GOAWAY UNAVAILABLE "the server is
        shutting down". See the Python client's report; the probe retries.
        """
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        last_error: object = None
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode} at start:\n{self.log()}")
            try:
                Client(self.socket_path, connect_timeout=5.0).close()
                return
            except RpcError as error:
                last_error = error
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not accept on {self.socket_path} ({last_error}):\n{self.log()}")
            time.sleep(0.02)

    def log(self) -> str:
        """The server's output so far."""
        self._log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def terminate(self) -> None:
        """Send SIGTERM (graceful shutdown) without waiting."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self) -> int:
        """SIGTERM, then wait for the exit; return the exit status."""
        self.terminate()
        try:
            return self.process.wait(SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the server did not exit within {SERVER_STOP_TIMEOUT} s of SIGTERM:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL and reap."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)

    def cleanup(self) -> None:
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class ServerTestCase(unittest.TestCase):
    """One real server per test class, a company key for "acme", and a client using it.

    tearDownClass stops the server with SIGTERM and asserts it exits 0.
    """

    server: ServerProcess
    admin: Client
    client: Client
    key: admin_pb2.CreateKeyResponse
    _clients: List[Client]

    @classmethod
    def setUpClass(cls) -> None:
        cls._clients = []
        cls.server = ServerProcess()
        try:
            cls.admin = cls.connect()
            cls.key = cls.admin.create_key(f"py-{cls.__name__}", admin_pb2.KEY_KIND_COMPANY, ["acme"])
            cls.client = cls.connect(api_key=cls.key.secret, timeout=30.0)
        except BaseException:
            cls._shutdown(check=False)
            raise

    @classmethod
    def connect(cls, api_key: Optional[str] = None, **kwargs: object) -> Client:
        """A new client of this class's server, closed at tearDownClass."""
        client = Client(cls.server.socket_path, api_key=api_key, **kwargs)  # type: ignore[arg-type]
        cls._clients.append(client)
        return client

    @classmethod
    def company_client(cls, company: str) -> Client:
        """A client with a fresh company key for `company`."""
        key = cls.admin.create_key(f"py-{company}", admin_pb2.KEY_KIND_COMPANY, [company])
        return cls.connect(api_key=key.secret, timeout=30.0)

    @classmethod
    def _shutdown(cls, check: bool) -> None:
        for client in cls._clients:
            client.close()
        status = cls.server.stop()
        log = cls.server.log()
        cls.server.cleanup()
        if check and status != 0:
            raise AssertionError(f"the server exited with {status} after SIGTERM, not 0:\n{log}")

    @classmethod
    def tearDownClass(cls) -> None:
        cls._shutdown(check=True)


def unique(prefix: str) -> str:
    """A value no other test uses, e.g. for a job_id that scopes a test's records."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
