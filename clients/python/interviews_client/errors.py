"""gRPC status codes and the exception every failed call raises."""

from __future__ import annotations

import enum
from typing import Sequence, Tuple

__all__ = ["StatusCode", "RpcError", "code_name"]


class StatusCode(enum.IntEnum):
    """gRPC's status codes, as carried by TRAILERS and GOAWAY frames."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


def code_name(code: int) -> str:
    """Return the gRPC name of `code` ("NOT_FOUND"), or "CODE_<n>" for a code this client does not know."""
    try:
        return StatusCode(code).name
    except ValueError:
        return f"CODE_{code}"


class RpcError(Exception):
    """A call that ended with a status other than OK.

    Attributes:
        code: the numeric gRPC status code (an ``int``; a ``StatusCode`` when known).
        code_name: its name, e.g. ``"NOT_FOUND"``.
        message: the human-readable message from the server (or from this client).
        trailing_metadata: the ``(key, value)`` pairs of the TRAILERS, usually empty.
    """

    def __init__(
        self,
        code: int,
        message: str = "",
        trailing_metadata: Sequence[Tuple[str, str]] = (),
    ) -> None:
        try:
            code = StatusCode(code)
        except ValueError:
            pass
        self.code: int = code
        self.code_name: str = code_name(code)
        self.message: str = message
        self.trailing_metadata: Tuple[Tuple[str, str], ...] = tuple(trailing_metadata)
        super().__init__(code, message)

    def __str__(self) -> str:
        return f"{self.code_name}: {self.message}" if self.message else self.code_name

    def __repr__(self) -> str:
        return f"RpcError({self.code_name}, {self.message!r})"
