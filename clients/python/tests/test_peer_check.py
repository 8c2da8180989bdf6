"""The client checks which user runs the server before it sends anything (SO_PEERCRED)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from interviews_client import Client, RpcError, StatusCode
from interviews_client.connection import peer_uid, server_uid_refusal

SQUATTER = "interviews-squat"

# Listens on argv[1] and appends whatever each connection sends to argv[2]
# (created empty before it listens), until killed.
LISTENER = r"""
import socket, sys
path, out = sys.argv[1], sys.argv[2]
open(out, "wb").close()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(8)
open(out + ".ready", "w").close()
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        while True:
            data = c.recv(65536)
            if not data:
                break
            with open(out, "ab") as f:
                f.write(data)
    except OSError:
        pass
    c.close()
"""


def squatter() -> pwd.struct_passwd:
    """An unprivileged user to listen as, created when missing; skips the test when that is impossible."""
    if os.geteuid() != 0:
        raise unittest.SkipTest("running a listener as another user needs root")
    for tool in ("setpriv", "useradd"):
        if shutil.which(tool) is None:
            raise unittest.SkipTest(f"{tool} is not installed; cannot run a listener as another user")
    try:
        return pwd.getpwnam(SQUATTER)
    except KeyError:
        subprocess.run(["useradd", "-M", "-r", "-s", "/usr/sbin/nologin", SQUATTER], check=True)
        return pwd.getpwnam(SQUATTER)


class UidRuleTests(unittest.TestCase):
    def test_own_uid_and_root_are_allowed(self) -> None:
        self.assertIsNone(server_uid_refusal("/s.sock", os.geteuid()))
        self.assertIsNone(server_uid_refusal("/s.sock", os.getuid()))
        self.assertIsNone(server_uid_refusal("/s.sock", 0))

    def test_another_uid_is_refused_unless_trusted(self) -> None:
        other = 54321 if os.geteuid() != 54321 else 54322
        refusal = server_uid_refusal("/run/x/s.sock", other)
        self.assertIsNotNone(refusal)
        assert refusal is not None
        self.assertEqual(refusal.code, StatusCode.PERMISSION_DENIED)
        self.assertIn("/run/x/s.sock", refusal.message)
        self.assertIn(f"uid {other}", refusal.message)
        self.assertIn("trusted_server_uids", refusal.message)
        self.assertIsNone(server_uid_refusal("/run/x/s.sock", other, [other]))

    def test_unknown_peer_is_refused(self) -> None:
        refusal = server_uid_refusal("/s.sock", None)
        assert refusal is not None
        self.assertEqual(refusal.code, StatusCode.PERMISSION_DENIED)

    def test_peer_uid_of_a_socket_pair_is_ours(self) -> None:
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.assertEqual(peer_uid(a), os.geteuid())
        finally:
            a.close()
            b.close()


class SquattedSocketTests(unittest.TestCase):
    """A listener run as another (unprivileged) user on the client's path."""

    def setUp(self) -> None:
        user = squatter()
        self.uid = user.pw_uid
        self.dir = tempfile.mkdtemp(prefix="ivpy-squat-")
        os.chmod(self.dir, 0o755)
        owned = os.path.join(self.dir, "squat")
        os.mkdir(owned, 0o700)
        os.chown(owned, user.pw_uid, user.pw_gid)
        self.socket_path = os.path.join(owned, "s.sock")
        self.received = os.path.join(owned, "received")
        python = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
        self.listener = subprocess.Popen(
            ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
             python, "-c", LISTENER, self.socket_path, self.received],
            stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while not os.path.exists(self.received + ".ready"):
            if self.listener.poll() is not None:
                stderr = self.listener.stderr.read().decode() if self.listener.stderr else ""
                self.fail(f"the listener exited with {self.listener.returncode}: {stderr}")
            if time.monotonic() > deadline:
                self.fail("the listener did not start within 20 s")
            time.sleep(0.02)

    def tearDown(self) -> None:
        self.listener.kill()
        self.listener.wait()
        if self.listener.stderr:
            self.listener.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def received_bytes(self, settle: float = 0.0) -> bytes:
        time.sleep(settle)
        with open(self.received, "rb") as f:
            return f.read()

    def test_refused_and_nothing_sent(self) -> None:
        with self.assertRaises(RpcError) as caught:
            Client(self.socket_path, api_key="ik_secret", connect_timeout=5.0)
        self.assertEqual(caught.exception.code, StatusCode.PERMISSION_DENIED)
        self.assertIn(self.socket_path, caught.exception.message)
        self.assertIn(f"uid {self.uid}", caught.exception.message)
        self.assertEqual(self.received_bytes(settle=0.5), b"")

    def test_trusted_uid_connects(self) -> None:
        with self.assertRaises(RpcError) as caught:
            # The listener never answers SETTINGS: the handshake times out, but the preface went out.
            Client(self.socket_path, connect_timeout=1.0, trusted_server_uids=[self.uid])
        self.assertNotEqual(caught.exception.code, StatusCode.PERMISSION_DENIED)
        deadline = time.monotonic() + 5
        while not self.received_bytes().startswith(b"interviews-rpc/1") and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertTrue(self.received_bytes().startswith(b"interviews-rpc/1"))


if __name__ == "__main__":
    unittest.main()
