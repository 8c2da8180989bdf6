#!/usr/bin/env python3
"""Polyglot proof: the official google.protobuf runtime and the Swift wire
layer (protobuf-c) agree on every byte of Interview, ListRequest and Page.

Usage: polyglot.py DIR
  Reads DIR/swift-<Message>.bin (written by the Swift test), checks each
  decodes to the same values as the fixtures below (the twins of
  Tests/InterviewsWireTests/Fixtures.swift), and writes DIR/py-<Message>.bin
  for the Swift side to decode. Exits 1 with a diff on any mismatch.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "clients", "python"))

from interviews_pb.v1 import interviews_pb2 as pb  # noqa: E402


def ts(msg, seconds, nanos=0):
    msg.seconds = seconds
    msg.nanos = nanos


def interview(n=1):
    i = pb.Interview(
        id="0190b7a8-7c2e-7d40-8f00-00000000000%d" % (n % 10),
        remote_id="remote-%d" % n,
        company_id="acme",
        candidate_id="cand-1",
        application_id="app-1",
        job_id="job-1",
        agent_id="agent-1",
        job_interview_stage_id="stage-1",
        title="Entretien technique — Zoë 面接 🎯",
        status=pb.INTERVIEW_STATUS_AWAITING_FEEDBACK,
        remote_status="feedback_pending",
        remote_data=b'{"/interviews":{"id":"32","canceled":false}}' + bytes([0, 255, 1]),
        revision=7,
    )
    i.organizer.CopyFrom(pb.Participant(id="u-1", remote_id="r-u-1", first_name="Ada", last_name="Lovelace", email="ada@example.com"))
    i.interviewers.add(id="u-2", remote_id="r-u-2", first_name="Grace", last_name="Hopper", email="grace@example.com")
    i.interviewers.add(id="u-3", first_name="Jürgen", last_name="Müller")
    i.location.CopyFrom(pb.Location(raw="Lohmühlenstraße 65, Berlin", street_1="Lohmühlenstraße 65", street_2="Hinterhof",
                                    city="Berlin", state="Berlin", zip_code="12435", country="DE"))
    ts(i.start_at, 1_687_789_800, 500_000_000)
    ts(i.end_at, 1_687_793_400)
    ts(i.created_at, 1_700_000_000, 1)
    ts(i.updated_at, 1_700_000_100, 999_999_999)
    ts(i.remote_created_at, 1_659_880_889, 196_000_000)
    ts(i.remote_updated_at, 1_659_880_890)
    ts(i.deleted_at, 1_700_000_200)
    ts(i.remote_deleted_at, -62_135_596_800)
    i.custom_fields["priority"] = "high"
    i.custom_fields["région"] = "Île-de-France"
    i.custom_fields["empty"] = ""
    a = i.analysis
    a.summary = "Strong candidate."
    a.recommendation = "STRONG_YES"
    a.overall_score = 4.5
    a.scores.add(name="communication", value=4, max_value=5)
    a.scores.add(name="coding", value=4.75, max_value=5)
    a.transcript.add(speaker="interviewer", text="Bonjour ! Can you hear me?", start_offset_ms=0, end_offset_ms=2_500)
    a.transcript.add(speaker="candidate", text="Yes — 聞こえます.", start_offset_ms=2_600, end_offset_ms=4_000)
    return i


def list_request():
    r = pb.ListRequest(
        company_id="acme", candidate_ids=["cand-1", "cand-2"], ids=["id-1"], remote_ids=["r-1", "r-2"],
        application_id="app-1", job_id="job-1", agent_id="agent-1", job_interview_stage_id="stage-1",
        organizer_id="u-1", interviewer_id="u-2",
        statuses=[pb.INTERVIEW_STATUS_SCHEDULED, pb.INTERVIEW_STATUS_COMPLETED],
        include_deleted=True, page=3, page_size=100, page_token="tok_ü",
        order_by=pb.ORDER_BY_UPDATED_AT, direction=pb.ORDER_DIRECTION_DESCENDING,
        include_remote_data=True, exclude_custom_fields=True, exclude_analysis=True,
    )
    for name, sec in [("created_after", 1), ("created_before", 2), ("updated_after", 3), ("updated_before", 4),
                      ("start_after", 5), ("start_before", 6), ("end_after", 7)]:
        ts(getattr(r, name), sec)
    ts(r.end_before, 253_402_300_799, 999_999_999)
    r.read_mask.paths.extend(["id", "title", "start_at"])
    return r


def page():
    p = pb.Page(next_page_token="next", previous_page_token="prev", total_size=12_345, page=2, page_size=20)
    for n in range(1, 21):
        p.interviews.append(interview(n))
    return p


FIXTURES = {"Interview": (pb.Interview, interview), "ListRequest": (pb.ListRequest, list_request), "Page": (pb.Page, page)}


def main():
    directory = sys.argv[1]
    failures = 0
    for name, (cls, build) in FIXTURES.items():
        expected = build()
        with open(os.path.join(directory, "swift-%s.bin" % name), "rb") as f:
            data = f.read()
        got = cls()
        got.ParseFromString(data)
        if got != expected:
            failures += 1
            print("MISMATCH %s\n--- python expected ---\n%s\n--- decoded from swift ---\n%s" % (name, expected, got))
        # Deterministic so the Swift side sees map entries in a fixed order.
        with open(os.path.join(directory, "py-%s.bin" % name), "wb") as f:
            f.write(expected.SerializeToString(deterministic=True))
    print("polyglot: %d passed, %d failed" % (len(FIXTURES) - failures, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
