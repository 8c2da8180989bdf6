"""The gRPC endpoint (`serve --grpc-socket`) with stock grpcio clients: stubs generated from proto/ at test time.

Covers every RPC (both server streams), the auth matrix of the native
endpoint with the same codes, deadlines, cancellation, the message size
limit, grpc.health.v1, server reflection (v1 and v1alpha), bad HTTP/2 input
and a graceful drain.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest
from typing import Any, Callable, Dict, Optional

import grpc
from google.protobuf import descriptor_pool, field_mask_pb2, timestamp_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc  # type: ignore[import-untyped]
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (  # type: ignore[import-untyped]
    ProtoReflectionDescriptorDatabase,
)

from grpc_server import GRPCServerProcess, stubs, unique

S = stubs()
pb = S.pb

SERVICES = [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
    "interviews.v1.Admin",
    "interviews.v1.Interviews",
]


def sample(**fields: Any) -> Any:
    return pb.Interview(
        candidate_id=fields.pop("candidate_id", "cand-1"),
        title=fields.pop("title", "Technical interview"),
        start_at=timestamp_pb2.Timestamp(seconds=1_700_000_000),
        end_at=timestamp_pb2.Timestamp(seconds=1_700_003_600),
        status=pb.INTERVIEW_STATUS_SCHEDULED,
        **fields,
    )


# A unary gRPC call with an empty request over HTTP/2, with the standard
# library alone (argv: the socket path, the method). It prints, as hex,
# every byte the server sent until the call's trailers (END_STREAM on stream
# 1); the caller decodes them (grpc_frames_status).
RAW_UNARY = r"""
import socket, struct, sys
path, method = sys.argv[1], sys.argv[2]
def lit(name, value):
    n, v = name.encode(), value.encode()
    return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v
def frame(kind, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(path)
block = lit(":method", "POST") + lit(":scheme", "http") + lit(":path", method) + lit(":authority", "localhost") \
    + lit("content-type", "application/grpc") + lit("te", "trailers") \
    + lit("interviews-peer-credentials", "0 0 0 1")
s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"") + frame(1, 4, 1, block)
          + frame(0, 1, 1, b"\x00\x00\x00\x00\x00"))
data, at = b"", 0
while True:
    while len(data) - at >= 9:
        length = int.from_bytes(data[at:at + 3], "big")
        kind, flags, stream = data[at + 3], data[at + 4], int.from_bytes(data[at + 5:at + 9], "big") & 0x7FFFFFFF
        if len(data) - at < 9 + length:
            break
        at += 9 + length
        if stream == 1 and flags & 1 and kind in (0, 1):
            print(data[:at].hex())
            sys.exit(0)
    chunk = s.recv(65536)
    if not chunk:
        sys.exit("the connection closed before the call ended")
    data += chunk
"""


def grpc_frames_status(raw: bytes) -> tuple:
    """The (grpc-status, grpc-message) of stream 1 in raw HTTP/2 frames from the server."""
    import urllib.parse

    import hpack  # type: ignore[import-untyped]

    decoder = hpack.Decoder()
    headers: Dict[str, str] = {}
    at = 0
    while at + 9 <= len(raw):
        length = int.from_bytes(raw[at:at + 3], "big")
        kind, flags = raw[at + 3], raw[at + 4]
        payload = raw[at + 9:at + 9 + length]
        at += 9 + length
        if kind == 1:  # HEADERS (no padding or priority from this server)
            headers.update({k if isinstance(k, str) else k.decode(): v if isinstance(v, str) else v.decode()
                            for k, v in decoder.decode(payload)})
    return headers.get("grpc-status"), urllib.parse.unquote(headers.get("grpc-message", ""))


def bearer(secret: str) -> tuple:
    return (("authorization", f"Bearer {secret}"),)


class GRPCEndpointTests(unittest.TestCase):
    server: GRPCServerProcess
    channel: grpc.Channel
    stub: Any
    key: Dict[str, str]

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = GRPCServerProcess()
        try:
            cls.channel = cls.server.channel()
            cls.stub = S.rpc.InterviewsStub(cls.channel)
            cls.home = unique("home")
            cls.key = cls.server.create_key([cls.home])
            cls.auth = bearer(cls.key["secret"])
        except BaseException:
            cls.server.kill()
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        cls.channel.close()
        status = cls.server.stop()
        log = cls.server.log()
        cls.server.cleanup()
        if status != 0:
            raise AssertionError(f"the server exited with {status} after SIGTERM, not 0:\n{log}")

    def assertCode(self, code: grpc.StatusCode, call: Callable[[], Any], *fragments: str) -> grpc.RpcError:
        with self.assertRaises(grpc.RpcError) as caught:
            call()
        error = caught.exception
        self.assertEqual(error.code(), code, error.details())
        for fragment in fragments:
            self.assertIn(fragment, error.details() or "")
        return error

    # --- every RPC -------------------------------------------------------------------------------

    def test_create_get_update_delete(self) -> None:
        created = self.stub.CreateInterview(
            pb.CreateInterviewRequest(interview=sample(title="Onsite")), metadata=self.auth, timeout=10
        )
        self.assertTrue(created.id)
        self.assertEqual(created.company_id, self.home)
        got = self.stub.GetInterview(pb.GetInterviewRequest(id=created.id), metadata=self.auth, timeout=10)
        self.assertEqual(got, created)
        updated = self.stub.UpdateInterview(
            pb.UpdateInterviewRequest(
                interview=pb.Interview(id=created.id, title="Renamed"),
                update_mask=field_mask_pb2.FieldMask(paths=["title"]),
                expected_revision=created.revision,
            ),
            metadata=self.auth,
            timeout=10,
        )
        self.assertEqual(updated.title, "Renamed")
        self.assertGreater(updated.revision, created.revision)
        self.assertCode(
            grpc.StatusCode.FAILED_PRECONDITION,
            lambda: self.stub.UpdateInterview(
                pb.UpdateInterviewRequest(
                    interview=pb.Interview(id=created.id, title="Stale"),
                    update_mask=field_mask_pb2.FieldMask(paths=["title"]),
                    expected_revision=created.revision,
                ),
                metadata=self.auth,
                timeout=10,
            ),
        )
        self.stub.DeleteInterview(pb.DeleteInterviewRequest(id=created.id), metadata=self.auth, timeout=10)
        self.assertCode(
            grpc.StatusCode.NOT_FOUND,
            lambda: self.stub.GetInterview(pb.GetInterviewRequest(id=created.id), metadata=self.auth, timeout=10),
            created.id,
        )

    def test_list_upsert_server_info_and_native_health(self) -> None:
        job = unique("job-list")
        items = [sample(job_id=job, remote_id=f"{job}-{n}") for n in range(5)]
        results = self.stub.UpsertInterviews(
            pb.UpsertInterviewsRequest(interviews=items), metadata=self.auth, timeout=10
        ).results
        self.assertEqual([r.outcome for r in results], [pb.UPSERT_OUTCOME_CREATED] * 5)
        again = self.stub.UpsertInterviews(pb.UpsertInterviewsRequest(interviews=items), metadata=self.auth, timeout=10)
        self.assertEqual([r.outcome for r in again.results], [pb.UPSERT_OUTCOME_UNCHANGED] * 5)
        page = self.stub.ListInterviews(pb.ListRequest(job_id=job, page_size=2), metadata=self.auth, timeout=10)
        self.assertEqual(len(page.interviews), 2)
        self.assertEqual(page.total_size, 5)
        info = self.stub.ServerInfo(pb.ServerInfoRequest(), metadata=self.auth, timeout=10)
        self.assertEqual(info.backend, "memory")
        self.assertTrue(info.writable)
        health = self.stub.Health(pb.HealthRequest(), timeout=10)
        self.assertEqual(health.status, pb.SERVING_STATUS_SERVING)

    def test_stream_of_1000_records_read_slowly(self) -> None:
        job = unique("job-stream")
        items = [sample(job_id=job, remote_id=f"{job}-{n}", title=f"#{n}") for n in range(1000)]
        results = self.stub.UpsertInterviews(
            pb.UpsertInterviewsRequest(interviews=items), metadata=self.auth, timeout=60
        ).results
        expected = [r.interview.id for r in results]
        got = []
        stream = self.stub.StreamInterviews(pb.ListRequest(job_id=job), metadata=self.auth, timeout=120)
        for interview in stream:
            got.append(interview.id)
            if len(got) % 100 == 0:
                time.sleep(0.2)  # a slow reader: HTTP/2 flow control holds the server back
        self.assertEqual(got, expected)
        self.assertEqual(stream.code(), grpc.StatusCode.OK)

    def test_watch_replays_and_follows_then_is_cancelled(self) -> None:
        company = unique("watch")
        key = self.server.create_key([company])
        auth = bearer(key["secret"])
        first = self.stub.CreateInterview(pb.CreateInterviewRequest(interview=sample()), metadata=auth, timeout=10)
        watch = self.stub.WatchInterviews(pb.WatchRequest(), metadata=auth, timeout=60)
        event = next(watch)
        self.assertEqual(event.interview.id, first.id)
        self.assertGreater(event.store_epoch, 0)
        second = self.stub.CreateInterview(pb.CreateInterviewRequest(interview=sample()), metadata=auth, timeout=10)
        event = next(watch)
        self.assertEqual(event.interview.id, second.id)
        self.assertTrue(watch.cancel())
        self.assertEqual(watch.code(), grpc.StatusCode.CANCELLED)
        # The server goes on serving after the cancelled stream.
        self.assertEqual(self.stub.Health(pb.HealthRequest(), timeout=10).status, pb.SERVING_STATUS_SERVING)

    def test_watch_from_another_store_epoch_is_failed_precondition(self) -> None:
        watch = self.stub.WatchInterviews(pb.WatchRequest(store_epoch=1), metadata=self.auth, timeout=10)
        self.assertCode(grpc.StatusCode.FAILED_PRECONDITION, lambda: next(watch), "store_epoch")

    # --- auth ------------------------------------------------------------------------------------

    def test_auth_matrix(self) -> None:
        """The native endpoint's matrix (Tests/InterviewsEndToEndTests/AuthTests.swift), the same codes."""
        neighbour = unique("neighbour")
        granted = unique("granted")
        ungranted = unique("ungranted")
        company_key = self.server.create_key([self.home])
        neighbour_key = self.server.create_key([neighbour])
        partner_key = self.server.create_key([granted, unique("granted-too")], partner=True)
        revoked_key = self.server.create_key([self.home])
        self.server.revoke_key(revoked_key["id"])
        for key, company in ((company_key, ""), (neighbour_key, ""), (partner_key, granted)):
            self.stub.CreateInterview(
                pb.CreateInterviewRequest(company_id=company, interview=sample()), metadata=bearer(key["secret"]),
                timeout=10,
            )
        ok, unauth, denied, missing = (
            grpc.StatusCode.OK, grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED,
            grpc.StatusCode.NOT_FOUND,
        )
        # credential -> (authorization value, company_id, key whose record to act on, its company_id)
        credentials: Dict[str, tuple] = {
            "no key": (None, "", company_key, ""),
            "Basic x": ("Basic x", "", company_key, ""),
            "Bearer alone": ("Bearer", "", company_key, ""),
            "unknown key": ("Bearer ik_0123456789abcdef_" + "A" * 43, "", company_key, ""),
            "revoked key": (f"Bearer {revoked_key['secret']}", "", company_key, ""),
            "company key": (f"Bearer {company_key['secret']}", "", company_key, ""),
            "company key naming its company": (f"Bearer {company_key['secret']}", self.home, company_key, ""),
            "company key naming another company": (f"Bearer {company_key['secret']}", neighbour, company_key, ""),
            "company key on another company's record": (f"Bearer {company_key['secret']}", "", neighbour_key, ""),
            "partner key naming a granted company": (f"Bearer {partner_key['secret']}", granted, partner_key, granted),
            "partner key without company_id": (f"Bearer {partner_key['secret']}", "", partner_key, granted),
            "partner key naming an ungranted company": (
                f"Bearer {partner_key['secret']}", ungranted, partner_key, granted,
            ),
        }

        def expected(credential: str, method: str) -> grpc.StatusCode:
            if method == "Health":
                return ok
            if credential in ("no key", "Basic x", "Bearer alone", "unknown key", "revoked key"):
                return unauth
            if credential in ("company key", "company key naming its company", "partner key naming a granted company"):
                return ok
            if credential == "company key on another company's record":
                return missing if method in ("GetInterview", "UpdateInterview", "DeleteInterview") else ok
            return denied

        for credential, (authorization, company, owner, owner_company) in credentials.items():
            metadata = (("authorization", authorization),) if authorization else ()

            def record_id() -> str:
                return self.stub.CreateInterview(
                    pb.CreateInterviewRequest(company_id=owner_company, interview=sample()),
                    metadata=bearer(owner["secret"]), timeout=10,
                ).id

            calls: Dict[str, Callable[[], Any]] = {
                "ListInterviews": lambda: self.stub.ListInterviews(
                    pb.ListRequest(company_id=company), metadata=metadata, timeout=10
                ),
                "StreamInterviews": lambda: list(
                    self.stub.StreamInterviews(pb.ListRequest(company_id=company), metadata=metadata, timeout=10)
                ),
                "GetInterview": lambda: self.stub.GetInterview(
                    pb.GetInterviewRequest(company_id=company, id=record_id()), metadata=metadata, timeout=10
                ),
                "CreateInterview": lambda: self.stub.CreateInterview(
                    pb.CreateInterviewRequest(company_id=company, interview=sample()), metadata=metadata, timeout=10
                ),
                "UpdateInterview": lambda: self.stub.UpdateInterview(
                    pb.UpdateInterviewRequest(
                        company_id=company, interview=pb.Interview(id=record_id(), title="renamed"),
                        update_mask=field_mask_pb2.FieldMask(paths=["title"]),
                    ),
                    metadata=metadata, timeout=10,
                ),
                "DeleteInterview": lambda: self.stub.DeleteInterview(
                    pb.DeleteInterviewRequest(company_id=company, id=record_id()), metadata=metadata, timeout=10
                ),
                "UpsertInterviews": lambda: self.stub.UpsertInterviews(
                    pb.UpsertInterviewsRequest(company_id=company, interviews=[sample(remote_id=unique("r"))]),
                    metadata=metadata, timeout=10,
                ),
                "WatchInterviews": lambda: next(
                    self.stub.WatchInterviews(pb.WatchRequest(company_id=company), metadata=metadata, timeout=10)
                ),
                "Health": lambda: self.stub.Health(pb.HealthRequest(), metadata=metadata, timeout=10),
                "ServerInfo": lambda: self.stub.ServerInfo(
                    pb.ServerInfoRequest(company_id=company), metadata=metadata, timeout=10
                ),
            }
            for method, call in calls.items():
                with self.subTest(credential=credential, method=method):
                    code = ok
                    details = ""
                    try:
                        call()
                    except grpc.RpcError as error:
                        code, details = error.code(), error.details() or ""
                    self.assertEqual(code, expected(credential, method), details)
                    if code == unauth:
                        hint = {
                            "no key": "missing API key",
                            "Basic x": 'expected "Bearer <key>"',
                            "Bearer alone": 'expected "Bearer <key>"',
                        }.get(credential, "the API key is unknown or revoked")
                        self.assertIn(hint, details)

    def test_admin_on_the_unix_socket_checks_the_callers_uid(self) -> None:
        admin = S.admin_rpc.AdminStub(self.channel)
        company = unique("admin")
        created = admin.CreateKey(S.admin_pb.CreateKeyRequest(label="via grpc", kind=S.admin_pb.KEY_KIND_COMPANY, company_ids=[company]), timeout=10)
        self.assertTrue(created.secret)
        listed = admin.ListKeys(S.admin_pb.ListKeysRequest(), timeout=10)
        self.assertIn(created.key.id, [k.id for k in listed.keys])
        # The new key works on the same endpoint.
        made = self.stub.CreateInterview(
            pb.CreateInterviewRequest(interview=sample()), metadata=bearer(created.secret), timeout=10
        )
        self.assertEqual(made.company_id, company)
        admin.RevokeKey(S.admin_pb.RevokeKeyRequest(id=created.key.id), timeout=10)
        self.assertCode(
            grpc.StatusCode.UNAUTHENTICATED,
            lambda: self.stub.GetInterview(pb.GetInterviewRequest(id=made.id), metadata=bearer(created.secret), timeout=10),
        )

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"), "needs root and setpriv to run as another user")
    def test_admin_is_refused_to_another_user(self) -> None:
        # A raw HTTP/2 client (no Python packages: nobody may not reach
        # them), run as nobody, calls ListKeys on a socket nobody may open,
        # claiming root's credentials in the endpoint's own metadata entry.
        os.chmod(self.server.dir, 0o711)
        os.chmod(self.server.grpc_socket_path, 0o666)
        try:
            runs = [
                subprocess.run(
                    ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-I", "-S", "-c",
                     RAW_UNARY, self.server.grpc_socket_path, method],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30,
                )
                for method in ("/interviews.v1.Admin/ListKeys", "/interviews.v1.Admin/Backup")
            ]
        finally:
            os.chmod(self.server.grpc_socket_path, 0o600)
            os.chmod(self.server.dir, 0o700)
        for done in runs:
            if done.returncode == 126 or (b"Permission denied" in done.stderr and b"python" in done.stderr):
                self.skipTest(f"nobody cannot run {sys.executable}: {done.stderr.decode()[:200]}")
            self.assertEqual(done.returncode, 0, done.stderr.decode())
            status, message = grpc_frames_status(bytes.fromhex(done.stdout.decode().strip()))
            self.assertEqual(status, "7", message)  # PERMISSION_DENIED
            self.assertIn("administration is limited to processes running as uid", message)

    def test_backup_streams_the_files_of_a_data_directory(self) -> None:
        key = self.server.create_key([unique("backup")])
        self.stub.CreateInterview(pb.CreateInterviewRequest(interview=sample()), metadata=bearer(key["secret"]), timeout=10)
        chunks = list(S.admin_rpc.AdminStub(self.channel).Backup(S.admin_pb.BackupRequest(), timeout=30))
        self.assertGreater(chunks[0].sequence, 0)
        self.assertGreaterEqual(chunks[0].interview_count, 1)
        self.assertNotEqual(chunks[0].store_epoch, 0)
        files: dict = {}
        for chunk in chunks:
            files.setdefault(chunk.file, b"")
            files[chunk.file] += chunk.data
        snapshot = "snapshot-%016x.snap" % chunks[0].sequence
        self.assertEqual(sorted(files), sorted(["store.secret", snapshot, "keys.json"]))
        self.assertEqual(len(files["store.secret"]), 32)
        self.assertTrue(files[snapshot].startswith(b"IVSNP\r\n\x1a"))
        self.assertIn(key["id"], files["keys.json"].decode())
        self.assertNotIn(key["secret"], files["keys.json"].decode())

    def test_revoking_a_key_ends_its_open_watch(self) -> None:
        company = unique("revoke")
        key = self.server.create_key([company])
        auth = bearer(key["secret"])
        self.stub.CreateInterview(pb.CreateInterviewRequest(interview=sample()), metadata=auth, timeout=10)
        watch = self.stub.WatchInterviews(pb.WatchRequest(), metadata=auth, timeout=60)
        next(watch)
        self.server.revoke_key(key["id"])
        error = self.assertCode(grpc.StatusCode.UNAUTHENTICATED, lambda: next(watch), "was revoked")
        self.assertIn(key["id"], error.details())

    # --- deadlines, cancellation, limits -------------------------------------------------------

    def test_deadline_ends_a_watch_with_deadline_exceeded(self) -> None:
        quiet = self.server.create_key([unique("quiet")])  # a company without changes: the watch waits
        started = time.monotonic()
        watch = self.stub.WatchInterviews(pb.WatchRequest(), metadata=bearer(quiet["secret"]), timeout=0.5)
        self.assertCode(grpc.StatusCode.DEADLINE_EXCEEDED, lambda: list(watch))
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(self.stub.Health(pb.HealthRequest(), timeout=10).status, pb.SERVING_STATUS_SERVING)

    def test_cancelled_stream_frees_the_call(self) -> None:
        job = unique("job-cancel")
        items = [sample(job_id=job, remote_id=f"{job}-{n}") for n in range(300)]
        self.stub.UpsertInterviews(pb.UpsertInterviewsRequest(interviews=items), metadata=self.auth, timeout=30)
        for _ in range(5):
            stream = self.stub.StreamInterviews(pb.ListRequest(job_id=job), metadata=self.auth, timeout=30)
            next(stream)
            stream.cancel()
            self.assertEqual(stream.code(), grpc.StatusCode.CANCELLED)
        page = self.stub.ListInterviews(pb.ListRequest(job_id=job), metadata=self.auth, timeout=10)
        self.assertEqual(page.total_size, 300)

    def test_message_over_the_limit_is_resource_exhausted(self) -> None:
        big = sample(remote_data=b"x" * (4 * 1024 * 1024 + 1))
        self.assertCode(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            lambda: self.stub.CreateInterview(pb.CreateInterviewRequest(interview=big), metadata=self.auth, timeout=30),
            "the limit is 4194304 bytes",
        )
        health = health_pb2_grpc.HealthStub(self.channel)
        self.assertCode(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            lambda: health.Check(health_pb2.HealthCheckRequest(service="x" * (4 * 1024 * 1024 + 1)), timeout=30),
        )
        # Far over the limit too: answered from the message's length prefix,
        # before the rest is read, with the same code (not a reset stream).
        huge = sample(remote_data=b"x" * (12 * 1024 * 1024))
        error = self.assertCode(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            lambda: self.stub.CreateInterview(pb.CreateInterviewRequest(interview=huge), metadata=self.auth, timeout=30),
            "the limit is 4194304 bytes",
        )
        self.assertIn(f"request message is {len(pb.CreateInterviewRequest(interview=huge).SerializeToString())} bytes",
                      error.details())
        self.assertEqual(self.stub.Health(pb.HealthRequest(), timeout=10).status, pb.SERVING_STATUS_SERVING)

    def test_bad_protobuf_is_invalid_argument_naming_the_field(self) -> None:
        raw = self.channel.unary_unary(
            "/interviews.v1.Interviews/GetInterview",
            request_serializer=lambda b: b,
            response_deserializer=lambda b: b,
        )
        # field 2 (id), length 2, bytes 0xff 0xfe: not UTF-8
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, lambda: raw(b"\x12\x02\xff\xfe", metadata=self.auth), "id")
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, lambda: raw(b"\x12\x7f", metadata=self.auth))

    def test_unknown_service_and_method_are_unimplemented(self) -> None:
        for name in ("/interviews.v1.Interviews/Nope", "/nope.v1.Nope/Get"):
            raw = self.channel.unary_unary(name, request_serializer=lambda b: b, response_deserializer=lambda b: b)
            self.assertCode(grpc.StatusCode.UNIMPLEMENTED, lambda: raw(b"", timeout=10))

    # --- health ----------------------------------------------------------------------------------

    def test_health_check_per_service_name(self) -> None:
        health = health_pb2_grpc.HealthStub(self.channel)
        for name in ("", "interviews.v1.Interviews"):
            response = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=10)
            self.assertEqual(response.status, health_pb2.HealthCheckResponse.SERVING, name)
        self.assertCode(
            grpc.StatusCode.NOT_FOUND, lambda: health.Check(health_pb2.HealthCheckRequest(service="nope"), timeout=10)
        )
        watch = health.Watch(health_pb2.HealthCheckRequest(service="nope"), timeout=10)
        self.assertEqual(next(watch).status, health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)
        watch.cancel()

    # --- reflection ------------------------------------------------------------------------------

    def test_reflection_v1alpha_lists_services_and_resolves_every_message(self) -> None:
        database = ProtoReflectionDescriptorDatabase(self.channel)
        self.assertEqual(sorted(database.get_services()), SERVICES)
        pool = descriptor_pool.DescriptorPool(database)
        for service_name in SERVICES:
            service = pool.FindServiceByName(service_name)
            for method in service.methods:
                self.assertTrue(method.input_type.full_name and method.output_type.full_name)
        names = []
        for module in (S.pb, S.admin_pb):
            for message in module.DESCRIPTOR.message_types_by_name.values():
                names.append(message.full_name)
                names.extend(nested.full_name for nested in message.nested_types)
        self.assertGreater(len(names), 20)
        for name in names:
            with self.subTest(message=name):
                found = pool.FindMessageTypeByName(name)
                self.assertEqual(
                    [f.name for f in found.fields],
                    [f.name for f in (S.pb.DESCRIPTOR.pool.FindMessageTypeByName(name)).fields],
                )

    def test_reflection_v1_answers_each_request_of_the_stream(self) -> None:
        stub = S.refl_rpc.ServerReflectionStub(self.channel)
        R = S.refl_pb.ServerReflectionRequest
        requests = [
            R(list_services=""),
            R(file_containing_symbol="interviews.v1.Interviews.GetInterview"),
            R(file_by_filename="interviews/v1/admin.proto"),
            R(file_containing_symbol="no.Such"),
            R(file_by_filename="no/such.proto"),
            R(all_extension_numbers_of_type="interviews.v1.Interview"),
        ]
        responses = list(stub.ServerReflectionInfo(iter(requests), timeout=10))
        self.assertEqual(len(responses), len(requests))
        self.assertEqual(sorted(s.name for s in responses[0].list_services_response.service), SERVICES)
        from google.protobuf import descriptor_pb2

        files = [
            descriptor_pb2.FileDescriptorProto.FromString(b)
            for b in responses[1].file_descriptor_response.file_descriptor_proto
        ]
        self.assertEqual(files[0].name, "interviews/v1/interviews.proto")
        self.assertEqual(
            {f.name for f in files},
            {"interviews/v1/interviews.proto", "google/protobuf/timestamp.proto", "google/protobuf/field_mask.proto"},
        )
        admin = descriptor_pb2.FileDescriptorProto.FromString(
            responses[2].file_descriptor_response.file_descriptor_proto[0]
        )
        self.assertEqual(admin.service[0].name, "Admin")
        self.assertEqual(responses[3].error_response.error_code, grpc.StatusCode.NOT_FOUND.value[0])
        self.assertEqual(responses[4].error_response.error_code, grpc.StatusCode.NOT_FOUND.value[0])
        self.assertEqual(responses[5].all_extension_numbers_response.base_type_name, "interviews.v1.Interview")

    # --- bad input at the HTTP/2 level -------------------------------------------------------

    def raw_h2(self, frames: bytes, read_for: float = 2.0) -> bytes:
        """Sends bytes on a new connection to the gRPC socket and returns what came back."""
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(read_for)
        connection.connect(self.server.grpc_socket_path)
        connection.sendall(frames)
        received = b""
        deadline = time.monotonic() + read_for
        try:
            while time.monotonic() < deadline:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                received += chunk
        except socket.timeout:
            pass
        finally:
            connection.close()
        return received

    def assertStillServing(self) -> None:
        self.assertEqual(self.stub.Health(pb.HealthRequest(), timeout=10).status, pb.SERVING_STATUS_SERVING)
        self.assertEqual(self.server.cli("keys", "list").returncode, 0, "the native endpoint serves too")

    def test_garbage_bytes_get_a_goaway_and_the_server_keeps_serving(self) -> None:
        received = self.raw_h2(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + bytes(range(256)) * 4)
        self.assertNotIn(b"HTTP/1.1 200", received)
        frame_types = []
        offset = 0
        while offset + 9 <= len(received):
            length = int.from_bytes(received[offset : offset + 3], "big")
            frame_types.append(received[offset + 3])
            offset += 9 + length
        self.assertIn(0x07, frame_types, f"no GOAWAY among frames {frame_types} ({received[:64]!r})")
        self.assertStillServing()

    def test_wrong_content_type_and_truncated_message_get_grpc_errors(self) -> None:
        import h2.connection  # type: ignore[import-untyped]
        import h2.events  # type: ignore[import-untyped]

        def exchange(headers: list, body: bytes) -> Dict[str, str]:
            conn = h2.connection.H2Connection()
            conn.initiate_connection()
            conn.send_headers(1, headers)
            conn.send_data(1, body, end_stream=True)
            received = self.raw_h2(conn.data_to_send())
            out: Dict[str, str] = {}
            for event in conn.receive_data(received):
                if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                    for name, value in event.headers:
                        out[name.decode()] = value.decode()
                if isinstance(event, h2.events.StreamReset):
                    out["reset"] = str(event.error_code)
            return out

        base = [
            (":method", "POST"), (":scheme", "http"), (":authority", "localhost"),
            (":path", "/interviews.v1.Interviews/Health"), ("te", "trailers"),
        ]
        wrong_type = exchange(base + [("content-type", "text/plain")], b"\x00\x00\x00\x00\x00")
        self.assertEqual(wrong_type.get(":status"), "415", wrong_type)
        truncated = exchange(base + [("content-type", "application/grpc")], b"\x00\x00\x00\x00\x64abc")
        self.assertIn("grpc-status", truncated, truncated)
        self.assertNotEqual(truncated["grpc-status"], "0", truncated)
        good = exchange(base + [("content-type", "application/grpc")], struct.pack(">BI", 0, 0))
        self.assertEqual(good.get("grpc-status"), "0", good)
        self.assertStillServing()


class GRPCLoopbackTests(unittest.TestCase):
    def test_loopback_tcp_serves_the_same_methods(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = GRPCServerProcess("--grpc-listen", f"127.0.0.1:{port}")
        try:
            key = server.create_key([unique("tcp")])
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                health = health_pb2_grpc.HealthStub(channel)
                self.assertEqual(
                    health.Check(health_pb2.HealthCheckRequest(), timeout=10).status,
                    health_pb2.HealthCheckResponse.SERVING,
                )
                stub = S.rpc.InterviewsStub(channel)
                created = stub.CreateInterview(
                    pb.CreateInterviewRequest(interview=sample()), metadata=bearer(key["secret"]), timeout=10
                )
                with server.channel() as unix:
                    got = S.rpc.InterviewsStub(unix).GetInterview(
                        pb.GetInterviewRequest(id=created.id), metadata=bearer(key["secret"]), timeout=10
                    )
                self.assertEqual(got, created)
                # No uid over TCP: Admin is refused, whatever credentials
                # the caller claims in the endpoint's own metadata entry.
                admin = S.admin_rpc.AdminStub(channel)
                for claimed in ((), (("interviews-peer-credentials", "0 0 0 1"),)):
                    with self.assertRaises(grpc.RpcError) as refused:
                        admin.ListKeys(S.admin_pb.ListKeysRequest(), metadata=claimed, timeout=10)
                    self.assertEqual(refused.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
                    self.assertIn("a TCP connection does not carry", refused.exception.details())
            self.assertEqual(server.stop(), 0, server.log())
        finally:
            server.kill()
            server.cleanup()

    def test_a_host_other_than_loopback_is_refused_at_start(self) -> None:
        from grpc_server import server_binary
        import subprocess

        done = subprocess.run(
            [server_binary(), "serve", "--grpc-listen", "0.0.0.0:50051", "--backend", "memory"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30,
        )
        self.assertEqual(done.returncode, 64, done.stderr.decode())
        self.assertIn("--grpc-listen", done.stderr.decode())
        self.assertIn("loopback", done.stderr.decode())


class GRPCConnectionLimitTests(unittest.TestCase):
    def test_connections_past_the_limit_get_resource_exhausted_naming_it(self) -> None:
        server = GRPCServerProcess("--max-connections", "2")
        own = {"grpc.use_local_subchannel_pool": 1}  # a connection per channel
        channels = []

        def connect_when_free() -> grpc.Channel:
            # The start-up probe's connection may not be closed yet.
            deadline = time.monotonic() + 10
            while True:
                channel = server.channel(**own)
                try:
                    S.rpc.InterviewsStub(channel).Health(pb.HealthRequest(), timeout=5)
                    channels.append(channel)
                    return channel
                except grpc.RpcError as error:
                    channel.close()
                    if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED or time.monotonic() > deadline:
                        raise

        try:
            first = connect_when_free()
            second = connect_when_free()
            with server.channel(**own) as third:
                with self.assertRaises(grpc.RpcError) as refused:
                    S.rpc.InterviewsStub(third).Health(pb.HealthRequest(), timeout=10)
                self.assertEqual(refused.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
                self.assertIn("too many gRPC connections; the limit is 2", refused.exception.details())
            # The two connections within the limit keep working; a place
            # comes back when one of them closes.
            self.assertEqual(S.rpc.InterviewsStub(second).Health(pb.HealthRequest(), timeout=10).status,
                             pb.SERVING_STATUS_SERVING)
            first.close()
            fourth = connect_when_free()
            self.assertEqual(S.rpc.InterviewsStub(fourth).Health(pb.HealthRequest(), timeout=10).status,
                             pb.SERVING_STATUS_SERVING)
            self.assertIn("a connection past the limit is refused", server.log())
        finally:
            for channel in channels:
                channel.close()
            status = server.stop()
            log = server.log()
            server.cleanup()
        self.assertEqual(status, 0, log)


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("mount"), "mounting a tmpfs needs root")
class GRPCFailStopTests(unittest.TestCase):
    def test_health_turns_not_serving_when_the_store_fail_stops(self) -> None:
        mounted: list = []

        def small_disk(data_dir: str) -> None:
            os.mkdir(data_dir, 0o700)
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", data_dir],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if done.returncode != 0:
                raise unittest.SkipTest(f"cannot mount a tmpfs: {done.stderr.decode()}")
            mounted.append(data_dir)

        server = GRPCServerProcess(backend="file", prepare=small_disk)
        try:
            key = server.create_key([unique("full")])
            auth = bearer(key["secret"])
            with server.channel() as channel:
                stub = S.rpc.InterviewsStub(channel)
                health = health_pb2_grpc.HealthStub(channel)
                serving, not_serving = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING
                watch = health.Watch(health_pb2.HealthCheckRequest(service="interviews.v1.Interviews"), timeout=60)
                self.assertEqual(next(watch).status, serving)
                # 256 KiB records until the 2 MiB disk is full.
                refused = None
                for n in range(64):
                    try:
                        stub.CreateInterview(pb.CreateInterviewRequest(interview=sample(remote_data=b"x" * 262144)),
                                             metadata=auth, timeout=30)
                    except grpc.RpcError as error:
                        refused = error
                        break
                self.assertIsNotNone(refused, "2 MiB took 16 MiB of records")
                self.assertEqual(refused.code(), grpc.StatusCode.UNAVAILABLE, refused.details())
                for service in ("", "interviews.v1.Interviews"):
                    got = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
                    self.assertEqual(got.status, not_serving, service)
                self.assertEqual(next(watch).status, not_serving)
                watch.cancel()
                self.assertGreater(stub.ListInterviews(pb.ListRequest(), metadata=auth, timeout=10).total_size, 0,
                                   "reads keep working")
        finally:
            server.stop()
            for path in mounted:
                subprocess.run(["umount", "-l", path])
            server.cleanup()


class GRPCDrainTests(unittest.TestCase):
    def test_sigterm_turns_health_not_serving_and_lets_calls_in_flight_finish(self) -> None:
        server = GRPCServerProcess("--shutdown-grace", "10")
        try:
            key = server.create_key([unique("drain")])
            auth = bearer(key["secret"])
            with server.channel() as channel:
                stub = S.rpc.InterviewsStub(channel)
                job = unique("job-drain")
                items = [sample(job_id=job, remote_id=f"{job}-{n}") for n in range(1000)]
                stub.UpsertInterviews(pb.UpsertInterviewsRequest(interviews=items), metadata=auth, timeout=60)
                health = health_pb2_grpc.HealthStub(channel)
                watch = health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=30)
                self.assertEqual(next(watch).status, health_pb2.HealthCheckResponse.SERVING)
                stream = stub.StreamInterviews(pb.ListRequest(job_id=job), metadata=auth, timeout=60)
                first = next(stream)
                server.terminate()
                self.assertEqual(next(watch).status, health_pb2.HealthCheckResponse.NOT_SERVING)
                with self.assertRaises(grpc.RpcError) as ended:
                    next(watch)
                self.assertEqual(ended.exception.code(), grpc.StatusCode.UNAVAILABLE)
                # The stream in flight finishes within the grace period.
                rest = [i.id for i in stream]
                self.assertEqual(len(rest) + 1, 1000, first.id)
                self.assertEqual(stream.code(), grpc.StatusCode.OK)
            self.assertEqual(server.process.wait(30), 0, server.log())
        finally:
            server.kill()
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
