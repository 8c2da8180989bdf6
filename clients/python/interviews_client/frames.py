"""Frame coding of the interviews RPC protocol, version 1 (docs/PROTOCOL.md).

Every frame is a 12-byte big-endian header (payload length u32, type u8,
flags u8, reserved u16 = 0, call id u32) followed by the payload.
"""

from __future__ import annotations

import enum
import struct
from typing import NamedTuple

__all__ = [
    "PREFACE",
    "HEADER_SIZE",
    "DEFAULT_MAX_FRAME_SIZE",
    "MIN_MAX_FRAME_SIZE",
    "DEFAULT_MAX_CONCURRENT_CALLS",
    "DEFAULT_INITIAL_WINDOW",
    "MAX_CREDIT",
    "FLAG_END_STREAM",
    "FLAG_ACK",
    "FrameType",
    "FrameHeader",
    "encode_frame",
    "decode_header",
    "effective_max_frame_size",
]

PREFACE = b"interviews-rpc/1"
HEADER_SIZE = 12
DEFAULT_MAX_FRAME_SIZE = 4 * 1024 * 1024
MIN_MAX_FRAME_SIZE = 16 * 1024
DEFAULT_MAX_CONCURRENT_CALLS = 100
DEFAULT_INITIAL_WINDOW = 64
MAX_CREDIT = 2**31 - 1

FLAG_END_STREAM = 0x1
FLAG_ACK = 0x1

_HEADER = struct.Struct(">IBBHI")


class FrameType(enum.IntEnum):
    """The frame types of version 1."""

    HEADERS = 0x1
    MESSAGE = 0x2
    TRAILERS = 0x3
    SETTINGS = 0x4
    CANCEL = 0x5
    WINDOW_UPDATE = 0x6
    PING = 0x7
    GOAWAY = 0x8


class FrameHeader(NamedTuple):
    """A decoded 12-byte frame header."""

    length: int
    type: int
    flags: int
    reserved: int
    call_id: int


def encode_frame(frame_type: int, call_id: int, payload: bytes = b"", flags: int = 0) -> bytes:
    """Return the bytes of one frame: its 12-byte header followed by `payload`."""
    return _HEADER.pack(len(payload), frame_type, flags, 0, call_id) + payload


def decode_header(data: bytes) -> FrameHeader:
    """Decode the first 12 bytes of `data` as a frame header."""
    return FrameHeader(*_HEADER.unpack_from(data))


def effective_max_frame_size(advertised: int) -> int:
    """The limit a SETTINGS `max_frame_size` means: 0 is the 4 MiB default, below 16 KiB is 16 KiB."""
    if advertised == 0:
        return DEFAULT_MAX_FRAME_SIZE
    return max(advertised, MIN_MAX_FRAME_SIZE)


def type_name(frame_type: int) -> str:
    """The name of a frame type ("HEADERS"), or "0x<type>" when unknown."""
    try:
        return FrameType(frame_type).name
    except ValueError:
        return f"0x{frame_type:x}"
