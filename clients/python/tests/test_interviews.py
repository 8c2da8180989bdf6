"""Every RPC of interviews.v1.Interviews and interviews.v1.Admin against the real server."""

from __future__ import annotations

import re
import time
import unittest

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from interviews_client import RpcError
from interviews_pb.v1 import admin_pb2, interviews_pb2 as pb

from .server import ServerTestCase, unique

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def ts(seconds: int) -> Timestamp:
    return Timestamp(seconds=seconds)


def sample(**fields: object) -> pb.Interview:
    interview = pb.Interview(
        remote_id=fields.pop("remote_id", ""),  # type: ignore[arg-type]
        candidate_id="cand-1",
        application_id="app-1",
        job_id="job-1",
        agent_id="agent-1",
        job_interview_stage_id="stage-1",
        title="Technical interview",
        organizer=pb.Participant(id="u-1", first_name="Ada", last_name="Lovelace", email="ada@example.com"),
        interviewers=[pb.Participant(id="u-2"), pb.Participant(id="u-3", email="grace@example.com")],
        location=pb.Location(raw="1 Main St, Springfield", city="Springfield", country="US"),
        start_at=ts(1_700_000_000),
        end_at=ts(1_700_003_600),
        status=pb.INTERVIEW_STATUS_SCHEDULED,
        remote_status="scheduled",
        custom_fields={"source": "merge", "level": "senior"},
        remote_data=b'{"raw": true}',
        analysis=pb.Analysis(
            summary="Strong candidate",
            recommendation="STRONG_YES",
            overall_score=4.5,
            scores=[pb.Score(name="communication", value=4, max_value=5)],
            transcript=[pb.TranscriptSegment(speaker="interviewer", text="Hello", start_offset_ms=0, end_offset_ms=900)],
        ),
    )
    for name, value in fields.items():
        if isinstance(value, list):
            getattr(interview, name).extend(value)
        elif isinstance(value, Message):
            getattr(interview, name).CopyFrom(value)
        else:
            setattr(interview, name, value)
    return interview


class InterviewsRPCTests(ServerTestCase):
    def test_health_without_a_key(self) -> None:
        anonymous = self.connect()
        self.assertEqual(anonymous.health().status, pb.SERVING_STATUS_SERVING)

    def test_ping(self) -> None:
        self.assertLess(self.client.ping(), 5.0)

    def test_create_then_get(self) -> None:
        sent = sample(company_id="evil-corp", revision=99, id="chosen-by-client")
        created = self.client.create_interview(sent)
        self.assertRegex(created.id, UUID_RE)
        self.assertEqual(created.company_id, "acme")  # from the key, never the body
        self.assertEqual(created.revision, 1)
        self.assertTrue(created.HasField("created_at"))
        self.assertTrue(created.HasField("updated_at"))
        self.assertFalse(created.HasField("deleted_at"))
        for field in ("title", "candidate_id", "organizer", "interviewers", "location", "start_at", "end_at",
                      "status", "remote_status", "custom_fields", "analysis"):
            self.assertEqual(getattr(created, field), getattr(sent, field), field)

        got = self.client.get_interview(created.id)
        self.assertEqual(got.remote_data, b"")  # only when asked for
        with_data = self.client.get_interview(created.id, include_remote_data=True)
        self.assertEqual(with_data.remote_data, b'{"raw": true}')
        with_data.ClearField("remote_data")
        self.assertEqual(with_data, got)

    def test_create_is_idempotent_with_a_request_id(self) -> None:
        request_id = unique("req")
        first = self.client.create_interview(sample(title="once"), request_id=request_id)
        second = self.client.create_interview(sample(title="once"), request_id=request_id)
        self.assertEqual(first.id, second.id)
        self.assertEqual(first.revision, second.revision)

    def test_create_rejects_end_before_start(self) -> None:
        with self.assertRaises(RpcError) as caught:
            self.client.create_interview(sample(start_at=ts(2_000), end_at=ts(1_000)))
        self.assertEqual(caught.exception.code_name, "INVALID_ARGUMENT")
        self.assertIn("end_at", caught.exception.message)

    def test_list_with_filters_page_numbers_and_page_tokens(self) -> None:
        job = unique("job-list")
        statuses = [pb.INTERVIEW_STATUS_SCHEDULED, pb.INTERVIEW_STATUS_COMPLETED]
        created = [
            self.client.create_interview(
                sample(job_id=job, candidate_id=f"cand-{n % 3}", status=statuses[n % 2], start_at=ts(1_700_000_000 + n),
                       end_at=ts(1_700_003_600 + n))
            )
            for n in range(7)
        ]
        ids = [c.id for c in created]

        # Cursor paging: 3 + 3 + 1, in created_at order, no repeats, no gaps.
        walked, token, pages = [], "", 0
        while True:
            page = self.client.list_interviews(job_id=job, page_size=3, page_token=token)
            pages += 1
            self.assertEqual(page.total_size, 7)
            walked += [i.id for i in page.interviews]
            token = page.next_page_token
            if not token:
                break
        self.assertEqual(pages, 3)
        self.assertEqual(walked, ids)

        # Back with previous_page_token from the second page.
        first = self.client.list_interviews(job_id=job, page_size=3)
        second = self.client.list_interviews(job_id=job, page_size=3, page_token=first.next_page_token)
        self.assertEqual([i.id for i in second.interviews], ids[3:6])
        self.assertTrue(second.previous_page_token)
        back = self.client.list_interviews(job_id=job, page_size=3, page_token=second.previous_page_token)
        self.assertEqual([i.id for i in back.interviews], ids[:3])

        # A token is bound to its filter.
        with self.assertRaises(RpcError) as caught:
            self.client.list_interviews(job_id=job, page_size=3, page_token=first.next_page_token,
                                        statuses=[pb.INTERVIEW_STATUS_COMPLETED])
        self.assertEqual(caught.exception.code_name, "INVALID_ARGUMENT")
        with self.assertRaises(RpcError) as caught:
            self.client.list_interviews(job_id=job, page_size=3, page_token=first.next_page_token[:-2] + "zz")
        self.assertEqual(caught.exception.code_name, "INVALID_ARGUMENT")

        # Page-number paging.
        third = self.client.list_interviews(job_id=job, page=3, page_size=3)
        self.assertEqual(third.page, 3)
        self.assertEqual([i.id for i in third.interviews], ids[6:])

        # Filters: AND across fields, OR within a list.
        completed = self.client.list_interviews(job_id=job, statuses=[pb.INTERVIEW_STATUS_COMPLETED])
        self.assertEqual([i.id for i in completed.interviews], ids[1::2])
        some = self.client.list_interviews(job_id=job, candidate_ids=["cand-0", "cand-2"],
                                           statuses=[pb.INTERVIEW_STATUS_SCHEDULED])
        self.assertEqual([i.id for i in some.interviews], [ids[n] for n in range(7) if n % 3 in (0, 2) and n % 2 == 0])
        by_ids = self.client.list_interviews(ids=[ids[4], ids[1]])
        self.assertEqual(sorted(i.id for i in by_ids.interviews), sorted([ids[1], ids[4]]))
        window = self.client.list_interviews(job_id=job, start_after=ts(1_700_000_002), start_before=ts(1_700_000_005))
        self.assertEqual([i.id for i in window.interviews], ids[2:5])

        # Ordering and field selection.
        desc = self.client.list_interviews(job_id=job, order_by=pb.ORDER_BY_START_AT,
                                           direction=pb.ORDER_DIRECTION_DESCENDING)
        self.assertEqual([i.id for i in desc.interviews], ids[::-1])
        lean = self.client.list_interviews(job_id=job, exclude_analysis=True, exclude_custom_fields=True, page_size=1)
        self.assertFalse(lean.interviews[0].HasField("analysis"))
        self.assertEqual(len(lean.interviews[0].custom_fields), 0)
        self.assertEqual(lean.interviews[0].remote_data, b"")
        rich = self.client.list_interviews(job_id=job, include_remote_data=True, page_size=1)
        self.assertEqual(rich.interviews[0].remote_data, b'{"raw": true}')

    def test_stream_all_of_500_records(self) -> None:
        job = unique("job-stream")
        items = [sample(job_id=job, remote_id=f"{job}-{n}", title=f"#{n}") for n in range(500)]
        results = self.client.upsert_interviews(items).results
        self.assertEqual([r.outcome for r in results], [pb.UPSERT_OUTCOME_CREATED] * 500)
        expected = [r.interview.id for r in results]

        for window in (None, 7):
            with self.subTest(window=window):
                with self.client.stream_interviews(job_id=job, window=window) as stream:
                    got = [i.id for i in stream]
                self.assertEqual(len(got), 500)
                self.assertEqual(got, expected)
                self.assertEqual(stream.code, 0)
        self.assertEqual(self.client.connection.open_calls, 0)

    def test_update_with_mask_and_expected_revision(self) -> None:
        created = self.client.create_interview(sample(title="before"))
        change = pb.Interview(id=created.id, title="after", status=pb.INTERVIEW_STATUS_COMPLETED)
        updated = self.client.update_interview(change, ["title", "status"], expected_revision=created.revision)
        self.assertEqual(updated.revision, created.revision + 1)
        self.assertEqual((updated.title, updated.status), ("after", pb.INTERVIEW_STATUS_COMPLETED))
        self.assertEqual(updated.candidate_id, created.candidate_id)  # not in the mask: kept
        self.assertEqual(updated.analysis, created.analysis)

        # Clearing a field: named in the mask, empty in the body.
        cleared = self.client.update_interview(pb.Interview(id=created.id), ["remote_status"])
        self.assertEqual(cleared.remote_status, "")
        self.assertEqual(cleared.title, "after")

        with self.assertRaises(RpcError) as caught:
            self.client.update_interview(pb.Interview(id=created.id, title="stale"), ["title"],
                                         expected_revision=created.revision)
        self.assertEqual(caught.exception.code_name, "FAILED_PRECONDITION")
        self.assertEqual(self.client.get_interview(created.id).title, "after")

        with self.assertRaises(RpcError) as caught:
            self.client.update_interview(pb.Interview(id=created.id, title="x"), [])
        self.assertEqual(caught.exception.code_name, "INVALID_ARGUMENT")
        self.assertIn("update_mask", caught.exception.message)

    def test_delete_then_get_is_not_found(self) -> None:
        job = unique("job-del")
        created = self.client.create_interview(sample(job_id=job))
        deleted = self.client.delete_interview(created.id, expected_revision=created.revision)
        self.assertTrue(deleted.HasField("deleted_at"))
        with self.assertRaises(RpcError) as caught:
            self.client.get_interview(created.id)
        self.assertEqual(caught.exception.code_name, "NOT_FOUND")
        self.assertEqual(self.client.get_interview(created.id, include_deleted=True).id, created.id)
        self.assertEqual(self.client.list_interviews(job_id=job).total_size, 0)
        self.assertEqual(self.client.list_interviews(job_id=job, include_deleted=True).total_size, 1)

    def test_upsert_created_updated_unchanged(self) -> None:
        job = unique("job-upsert")
        a = sample(job_id=job, remote_id=f"{job}-a", title="A")
        b = sample(job_id=job, remote_id=f"{job}-b", title="B")
        first = self.client.upsert_interviews([a, b]).results
        self.assertEqual([r.outcome for r in first], [pb.UPSERT_OUTCOME_CREATED] * 2)
        self.assertEqual([r.index for r in first], [0, 1])

        b2 = pb.Interview()
        b2.CopyFrom(b)
        b2.title = "B, rescheduled"
        c = sample(job_id=job, remote_id=f"{job}-c")
        second = self.client.upsert_interviews([a, b2, c]).results
        self.assertEqual(
            [r.outcome for r in second],
            [pb.UPSERT_OUTCOME_UNCHANGED, pb.UPSERT_OUTCOME_UPDATED, pb.UPSERT_OUTCOME_CREATED],
        )
        self.assertEqual(second[0].interview.id, first[0].interview.id)
        self.assertEqual(second[0].interview.revision, first[0].interview.revision)
        self.assertEqual(second[1].interview.id, first[1].interview.id)
        self.assertEqual(second[1].interview.title, "B, rescheduled")
        self.assertGreater(second[1].interview.revision, first[1].interview.revision)

        bad = self.client.upsert_interviews([sample(job_id=job)]).results  # no remote_id
        self.assertEqual(bad[0].outcome, pb.UPSERT_OUTCOME_ERROR)
        self.assertEqual(bad[0].error_code, 3)
        self.assertIn("remote_id", bad[0].error_message)

    def test_watch_receives_a_live_create(self) -> None:
        after = self.client.server_info().last_sequence
        with self.client.watch_interviews(after, timeout=20) as watch:
            with self.assertRaises(TimeoutError):
                watch.read(timeout=0.3)  # nothing yet: the watch is live
            created = self.client.create_interview(sample(title="watched"))
            event = watch.read(timeout=10)
            self.assertEqual(event.kind, pb.CHANGE_KIND_CREATED)
            self.assertEqual(event.interview.id, created.id)
            self.assertGreater(event.sequence, after)
            self.client.delete_interview(created.id)
            event2 = watch.read(timeout=10)
            self.assertEqual((event2.kind, event2.interview.id), (pb.CHANGE_KIND_DELETED, created.id))
            self.assertGreater(event2.sequence, event.sequence)

    def test_watch_replays_after_a_sequence(self) -> None:
        before = self.client.server_info().last_sequence
        created = self.client.create_interview(sample(title="replayed"))
        with self.client.watch_interviews(before, timeout=20) as watch:
            event = watch.read(timeout=10)
        self.assertEqual((event.kind, event.interview.id), (pb.CHANGE_KIND_CREATED, created.id))

    def test_watch_marks_where_the_replay_ends(self) -> None:
        before = self.client.server_info().last_sequence
        created = self.client.create_interview(sample(title="before the marker"))
        with self.client.watch_interviews(before, send_caught_up=True, timeout=20) as watch:
            event = watch.read(timeout=10)
            marker = watch.read(timeout=10)
            live = self.client.create_interview(sample(title="after the marker"))
            after = watch.read(timeout=10)
        self.assertEqual((event.interview.id, event.caught_up), (created.id, False))
        self.assertTrue(marker.caught_up)
        self.assertFalse(marker.HasField("interview"))
        self.assertEqual(marker.kind, pb.CHANGE_KIND_UNSPECIFIED)
        self.assertGreaterEqual(marker.sequence, event.sequence)
        self.assertEqual(marker.store_epoch, event.store_epoch)
        self.assertEqual((after.interview.id, after.caught_up), (live.id, False))
        self.assertGreater(after.sequence, marker.sequence)

    def test_watch_checks_the_store_epoch(self) -> None:
        info = self.client.server_info()
        self.assertNotEqual(info.store_epoch, 0)
        created = self.client.create_interview(sample(title="epoch"))
        with self.client.watch_interviews(info.last_sequence, store_epoch=info.store_epoch, timeout=20) as watch:
            event = watch.read(timeout=10)
        self.assertEqual((event.interview.id, event.store_epoch), (created.id, info.store_epoch))
        other = info.store_epoch ^ 1
        with self.client.watch_interviews(info.last_sequence, store_epoch=other, timeout=20) as watch:
            with self.assertRaises(RpcError) as raised:
                watch.read(timeout=10)
        self.assertEqual(raised.exception.code_name, "FAILED_PRECONDITION")
        self.assertIn(str(info.store_epoch), raised.exception.message)

    def test_server_info_counts(self) -> None:
        client = self.company_client(unique("info-co"))
        empty = client.server_info()
        self.assertEqual((empty.interview_count, empty.deleted_count), (0, 0))
        self.assertEqual(empty.backend, "memory")
        self.assertEqual(empty.protocol_version, 1)
        self.assertTrue(empty.version)
        self.assertTrue(empty.writable)
        self.assertTrue(empty.HasField("started_at"))
        ids = [client.create_interview(sample()).id for _ in range(3)]
        client.delete_interview(ids[0])
        info = client.server_info()
        self.assertEqual((info.interview_count, info.deleted_count), (2, 1))
        self.assertGreaterEqual(info.last_sequence, empty.last_sequence + 4)

    def test_admin_keys_create_list_revoke(self) -> None:
        partner = self.admin.create_key("py-partner", admin_pb2.KEY_KIND_PARTNER, ["acme", "globex"])
        self.assertTrue(partner.secret.startswith("ik_"))
        self.assertEqual(partner.key.kind, admin_pb2.KEY_KIND_PARTNER)
        listed = {k.id: k for k in self.admin.list_keys().keys}
        self.assertIn(partner.key.id, listed)
        self.assertIn(self.key.key.id, listed)
        self.assertEqual(list(listed[partner.key.id].company_ids), ["acme", "globex"])

        as_partner = self.connect(api_key=partner.secret)
        self.assertEqual(as_partner.list_interviews(company_id="globex").total_size, 0)
        with self.assertRaises(RpcError) as caught:
            as_partner.list_interviews()  # a partner key must name company_id
        self.assertEqual(caught.exception.code_name, "PERMISSION_DENIED")

        revoked = self.admin.revoke_key(partner.key.id)
        self.assertTrue(revoked.HasField("revoked_at"))
        self.assertNotIn(partner.key.id, {k.id for k in self.admin.list_keys().keys})
        self.assertIn(partner.key.id, {k.id for k in self.admin.list_keys(include_revoked=True).keys})
        with self.assertRaises(RpcError) as caught:
            as_partner.list_interviews(company_id="globex")
        self.assertEqual(caught.exception.code_name, "UNAUTHENTICATED")


if __name__ == "__main__":
    unittest.main()
