"""Error statuses from the real server: authentication, bad input, limits, deadlines."""

from __future__ import annotations

import time
import unittest

from interviews_client import INTERVIEWS, RpcError
from interviews_pb.v1 import interviews_pb2 as pb

from .server import ServerTestCase, unique


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def length_delimited(field: int, data: bytes) -> bytes:
    return varint(field << 3 | 2) + varint(len(data)) + data


class ErrorTests(ServerTestCase):
    def assertStatus(self, code_name: str, call, *fragments: str) -> RpcError:  # type: ignore[no-untyped-def]
        with self.assertRaises(RpcError) as caught:
            call()
        error = caught.exception
        self.assertEqual(error.code_name, code_name, error.message)
        for fragment in fragments:
            self.assertIn(fragment, error.message)
        return error

    def test_no_key_is_unauthenticated(self) -> None:
        anonymous = self.connect()
        self.assertStatus("UNAUTHENTICATED", anonymous.list_interviews)
        self.assertStatus("UNAUTHENTICATED", lambda: anonymous.get_interview("x"))
        self.assertStatus("UNAUTHENTICATED", anonymous.server_info)

    def test_unknown_key_is_unauthenticated(self) -> None:
        stranger = self.connect(api_key="ik_nope_nope")
        self.assertStatus("UNAUTHENTICATED", stranger.list_interviews)
        bad_scheme = self.connect()
        self.assertStatus(
            "UNAUTHENTICATED",
            lambda: bad_scheme.list_interviews(metadata={"authorization": f"Basic {self.key.secret}"}),
        )

    def test_company_not_granted_is_permission_denied(self) -> None:
        self.assertStatus("PERMISSION_DENIED", lambda: self.client.list_interviews(company_id="globex"))

    def test_another_tenants_record_is_not_found(self) -> None:
        globex = self.company_client(unique("globex"))
        theirs = globex.create_interview(pb.Interview(title="not yours"))
        self.assertStatus("NOT_FOUND", lambda: self.client.get_interview(theirs.id))
        self.assertStatus("NOT_FOUND", lambda: self.client.delete_interview(theirs.id))
        self.assertEqual(globex.get_interview(theirs.id).id, theirs.id)

    def test_unknown_id_is_not_found(self) -> None:
        self.assertStatus("NOT_FOUND", lambda: self.client.get_interview("01890000-0000-7000-8000-000000000000"))

    def test_unknown_method_is_unimplemented(self) -> None:
        method = INTERVIEWS + "NoSuchMethod"
        self.assertStatus("UNIMPLEMENTED", lambda: self.client.unary(method, b"", None), method)
        self.assertStatus("UNIMPLEMENTED", lambda: self.client.unary("/other.Service/Get", b"", None))
        self.assertEqual(self.client.health().status, pb.SERVING_STATUS_SERVING)

    def test_invalid_utf8_in_a_string_field_names_the_field(self) -> None:
        # GetInterviewRequest.id (field 2) = ff fe: not UTF-8, sent as raw bytes.
        raw = length_delimited(2, b"\xff\xfe")
        error = self.assertStatus(
            "INVALID_ARGUMENT", lambda: self.client.unary(INTERVIEWS + "GetInterview", raw, pb.Interview), "id"
        )
        self.assertIn("UTF-8", error.message)
        # CreateInterviewRequest.interview (2) . title (9) = c3 28.
        raw = length_delimited(2, length_delimited(9, b"\xc3\x28"))
        error = self.assertStatus(
            "INVALID_ARGUMENT", lambda: self.client.unary(INTERVIEWS + "CreateInterview", raw, pb.Interview), "title"
        )
        self.assertIn("UTF-8", error.message)

    def test_nul_in_a_string_is_invalid_argument(self) -> None:
        self.assertStatus("INVALID_ARGUMENT", lambda: self.client.create_interview(pb.Interview(title="a\x00b")),
                          "title")

    def test_garbage_protobuf_is_invalid_argument(self) -> None:
        self.assertStatus("INVALID_ARGUMENT",
                          lambda: self.client.unary(INTERVIEWS + "ListInterviews", b"\xff\xff\xff\xff", pb.Page))
        self.assertEqual(self.client.health().status, pb.SERVING_STATUS_SERVING)

    def test_page_size_and_page_out_of_range(self) -> None:
        self.assertStatus("INVALID_ARGUMENT", lambda: self.client.list_interviews(page_size=101), "page_size", "1..100")
        self.assertStatus("INVALID_ARGUMENT", lambda: self.client.list_interviews(page=10001), "page", "1..10000")
        self.assertEqual(len(self.client.list_interviews(page_size=100, job_id=unique("none")).interviews), 0)

    def test_undefined_enum_value_is_invalid_argument(self) -> None:
        raw = varint(11 << 3 | 0) + varint(99)  # ListRequest.statuses = 99
        self.assertStatus("INVALID_ARGUMENT",
                          lambda: self.client.unary(INTERVIEWS + "ListInterviews", raw, pb.Page), "statuses")

    def test_stream_deadline_exceeded(self) -> None:
        start = time.monotonic()
        with self.client.watch_interviews(self.client.server_info().last_sequence, timeout=0.3) as watch:
            self.assertStatus("DEADLINE_EXCEEDED", lambda: list(watch))
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(self.client.health().status, pb.SERVING_STATUS_SERVING)

    def test_response_larger_than_the_clients_max_frame_size(self) -> None:
        big = self.client.create_interview(pb.Interview(title="big", remote_data=b"x" * 40_000))
        small = self.connect(api_key=self.key.secret, max_frame_size=16384)
        self.assertEqual(small.server_settings.max_frame_size, 4 * 1024 * 1024)
        self.assertStatus("RESOURCE_EXHAUSTED", lambda: small.get_interview(big.id, include_remote_data=True))
        self.assertEqual(small.get_interview(big.id).id, big.id)  # the connection goes on

    def test_request_larger_than_the_servers_max_frame_size_is_refused_locally(self) -> None:
        huge = pb.Interview(title="huge", remote_data=b"x" * (4 * 1024 * 1024 + 1))
        self.assertStatus("RESOURCE_EXHAUSTED", lambda: self.client.create_interview(huge), "max_frame_size")
        self.assertEqual(self.client.health().status, pb.SERVING_STATUS_SERVING)


if __name__ == "__main__":
    unittest.main()
