"""`Client`: the typed Python client of the interviews service."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple, Type, TypeVar, Union

from google.protobuf.message import Message

from interviews_pb.v1 import admin_pb2, interviews_pb2

from . import frames
from .connection import DEFAULT_AGENT, Connection, Metadata, ResponseStream, unary_future

__all__ = ["Client", "INTERVIEWS", "ADMIN"]

M = TypeVar("M", bound=Message)

#: The full name prefix of the Interviews service's methods.
INTERVIEWS = "/interviews.v1.Interviews/"
#: The full name prefix of the Admin service's methods.
ADMIN = "/interviews.v1.Admin/"

_GET_INTERVIEW = INTERVIEWS + "GetInterview"
_HEALTH = INTERVIEWS + "Health"


class Client:
    """A connection to the interviews server over its Unix domain socket.

    One connection carries any number of concurrent calls from any number of
    threads. Every failed call raises `RpcError` (``.code``, ``.code_name``,
    ``.message``).

    Args:
        socket_path: the server's socket file.
        api_key: sent as ``authorization: Bearer <api_key>`` on every call
            (unless a call's metadata carries its own ``authorization``).
        timeout: the default deadline of every call, in seconds (None: none).
            A call's own ``timeout`` replaces it; ``math.inf`` means none.
        connect_timeout: how long to wait for the server's SETTINGS.
        max_frame_size: the largest frame payload this client accepts.
        agent: the ``agent`` of this client's SETTINGS.
        trusted_server_uids: uids besides this process's own and root's
            that the server may run as. Before sending anything (the API key
            included) the client checks the listening process's uid
            (``SO_PEERCRED``) and refuses any other with PERMISSION_DENIED.

    Use it as a context manager, or call `close()`.
    """

    def __init__(
        self,
        socket_path: str,
        api_key: Optional[str] = None,
        timeout: Optional[float] = None,
        *,
        connect_timeout: Optional[float] = 10.0,
        max_frame_size: int = frames.DEFAULT_MAX_FRAME_SIZE,
        agent: str = DEFAULT_AGENT,
        trusted_server_uids: Iterable[int] = (),
    ) -> None:
        self.api_key = api_key
        self.timeout = timeout
        self._default_metadata: Tuple[Optional[str], Tuple[Tuple[str, str], ...]] = (None, ())
        self.connection = Connection(
            socket_path,
            connect_timeout=connect_timeout,
            max_frame_size=max_frame_size,
            agent=agent,
            trusted_server_uids=trusted_server_uids,
        )

    # ------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close the connection; calls still open fail with CANCELLED."""
        self.connection.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """True once the client was closed or its connection was lost."""
        return self.connection.closed

    @property
    def goaway(self) -> Any:
        """The server's GOAWAY (`interviews_pb.rpc.v1.rpc_pb2.GoAway`), or None."""
        return self.connection.goaway

    @property
    def server_settings(self) -> Any:
        """The server's SETTINGS (`interviews_pb.rpc.v1.rpc_pb2.Settings`)."""
        return self.connection.server_settings

    def ping(self, timeout: float = 5.0) -> float:
        """Send a PING; return the round-trip time in seconds."""
        return self.connection.ping(timeout)

    # ------------------------------------------------------------ generic calls

    def _metadata(self, metadata: Optional[Metadata]) -> Sequence[Tuple[str, str]]:
        if metadata is None and self.api_key is not None:
            default = self._default_metadata
            if default[0] != self.api_key:  # the key was changed
                default = self._default_metadata = (self.api_key, (("authorization", f"Bearer {self.api_key}"),))
            return default[1]
        pairs: List[Tuple[str, str]] = []
        if metadata is not None:
            items = metadata.items() if isinstance(metadata, Mapping) else metadata
            pairs = [(str(k), str(v)) for k, v in items]
        if self.api_key is not None and not any(k == "authorization" for k, _ in pairs):
            pairs.insert(0, ("authorization", f"Bearer {self.api_key}"))
        return pairs

    def _timeout(self, timeout: Optional[float]) -> Optional[float]:
        return self.timeout if timeout is None else timeout

    def unary_future(
        self,
        method: str,
        request: Union[Message, bytes],
        response_type: Optional[Type[M]],
        timeout: Optional[float] = None,
        metadata: Optional[Metadata] = None,
    ) -> "Future[M]":
        """Start a unary call without waiting; return a `concurrent.futures.Future` of the response.

        The future's exception is an `RpcError` when the call fails. Starting
        the call may block while the connection has `max_concurrent_calls`
        calls open; it raises `RpcError` when the call cannot start at all.
        """
        return unary_future(
            self.connection,
            method,
            request,
            response_type,
            timeout=self._timeout(timeout),
            metadata=self._metadata(metadata),
        )

    def unary(
        self,
        method: str,
        request: Union[Message, bytes],
        response_type: Optional[Type[M]],
        timeout: Optional[float] = None,
        metadata: Optional[Metadata] = None,
    ) -> M:
        """Call a unary method and return its response.

        Args:
            method: the full method name, e.g. ``"/interviews.v1.Interviews/GetInterview"``.
            request: the request message, or its already-encoded bytes (sent as they are).
            response_type: the response message class (None: return the raw bytes).
            timeout: the deadline in seconds (None: the client's default).
            metadata: extra call metadata.

        Raises:
            RpcError: the call's status when it is not OK.
        """
        return self.connection.unary(
            method, request, response_type, timeout=self._timeout(timeout), metadata=self._metadata(metadata)
        )

    def stream(
        self,
        method: str,
        request: Union[Message, bytes],
        response_type: Optional[Type[M]],
        timeout: Optional[float] = None,
        metadata: Optional[Metadata] = None,
        window: Optional[int] = None,
    ) -> ResponseStream[M]:
        """Call a server-streaming method; return an iterator over its responses.

        `window` is the message credit the server starts with (None: the
        server's ``initial_window``); the iterator returns credit as it is
        consumed. Close the stream (or use it in a ``with`` block) to cancel
        it early. The deadline covers the whole stream.
        """
        w = window if window is not None else self.connection.initial_window
        if w < 1:
            raise ValueError("window must be at least 1")
        w = min(w, frames.MAX_CREDIT)
        call = self.connection.start_call(
            method,
            request,
            timeout=self._timeout(timeout),
            metadata=self._metadata(metadata),
            initial_window=w,
        )
        return ResponseStream(self.connection, call, response_type, w)

    # ------------------------------------------------------------ Interviews

    def list_interviews(
        self,
        request: Optional[interviews_pb2.ListRequest] = None,
        *,
        timeout: Optional[float] = None,
        metadata: Optional[Metadata] = None,
        **fields: Any,
    ) -> interviews_pb2.Page:
        """ListInterviews: one page of matching interviews.

        Pass a `ListRequest`, or its fields as keywords
        (``list_interviews(page_size=10, statuses=[...])``).
        """
        return self.unary(
            INTERVIEWS + "ListInterviews",
            _request(interviews_pb2.ListRequest, request, fields),
            interviews_pb2.Page,
            timeout,
            metadata,
        )

    def stream_interviews(
        self,
        request: Optional[interviews_pb2.ListRequest] = None,
        *,
        timeout: Optional[float] = None,
        metadata: Optional[Metadata] = None,
        window: Optional[int] = None,
        **fields: Any,
    ) -> ResponseStream[interviews_pb2.Interview]:
        """StreamInterviews: every matching interview, flow-controlled (an iterator of `Interview`)."""
        return self.stream(
            INTERVIEWS + "StreamInterviews",
            _request(interviews_pb2.ListRequest, request, fields),
            interviews_pb2.Interview,
            timeout,
            metadata,
            window,
        )

    def get_interview(
        self,
        id: str,
        *,
        company_id: str = "",
        include_remote_data: bool = False,
        include_deleted: bool = False,
        timeout: Optional[float] = None,
        metadata: Optional[Metadata] = None,
    ) -> interviews_pb2.Interview:
        """GetInterview: one interview by id (NOT_FOUND also for another tenant's id)."""
        request = interviews_pb2.GetInterviewRequest(id=id)
        # Only the fields that are set (the same bytes: proto3 leaves defaults out), a third of the cost.
        if company_id:
            request.company_id = company_id
        if include_remote_data:
            request.include_remote_data = True
        if include_deleted:
            request.include_deleted = True
        return self.unary(_GET_INTERVIEW, request, interviews_pb2.Interview, timeout, metadata)

    def create_interview(
        self,
        interview: interviews_pb2.Interview,
        *,
        company_id: str = "",
        request_id: str = "",
        timeout: Optional[float] = None,
        metadata: Optional[Metadata] = None,
    ) -> interviews_pb2.Interview:
        """CreateInterview: store a new interview; return it with id, timestamps and revision.

        A `request_id` makes the call idempotent (a retry returns the original result).
        """
        request = interviews_pb2.CreateInterviewRequest(
            company_id=company_id, interview=interview, request_id=request_id
        )
        return self.unary(INTERVIEWS + "CreateInterview", request, interviews_pb2.Interview, timeout, metadata)

    def update_interview(
        self,
        interview: interviews_pb2.Interview,
        update_mask: Sequence[str],
        *,
        expected_revision: int = 0,
        company_id: str = "",
        timeout: Optional[float] = None,
        metadata: Optional[Metadata] = None,
    ) -> interviews_pb2.Interview:
        """UpdateInterview: copy the fields named in `update_mask` from `interview` (its id names the record).

        A non-zero `expected_revision` makes the update conditional
        (FAILED_PRECONDITION when the stored revision differs).
        """
        request = interviews_pb2.UpdateInterviewRequest(
            company_id=company_id, interview=interview, expected_revision=expected_revision
        )
        request.update_mask.paths.extend(update_mask)
        return self.unary(INTERVIEWS + "UpdateInterview", request, interviews_pb2.Interview, timeout, metadata)

    def delete_interview(
        self,
        id: str,
        *,
        expected_revision: int = 0,
        company_id: str = "",
        timeout: Optional[float] = None,
        metadata: Optional[Metadata] = None,
    ) -> interviews_pb2.Interview:
        """DeleteInterview: soft-delete; return the record with deleted_at set."""
        request = interviews_pb2.DeleteInterviewRequest(
            company_id=company_id, id=id, expected_revision=expected_revision
        )
        return self.unary(INTERVIEWS + "DeleteInterview", request, interviews_pb2.Interview, timeout, metadata)

    def upsert_interviews(
        self,
        interviews: Iterable[interviews_pb2.Interview],
        *,
        company_id: str = "",
        timeout: Optional[float] = None,
        metadata: Optional[Metadata] = None,
    ) -> interviews_pb2.UpsertInterviewsResponse:
        """UpsertInterviews: create or update by remote_id; per-item results in request order."""
        request = interviews_pb2.UpsertInterviewsRequest(company_id=company_id, interviews=list(interviews))
        return self.unary(
            INTERVIEWS + "UpsertInterviews", request, interviews_pb2.UpsertInterviewsResponse, timeout, metadata
        )

    def watch_interviews(
        self,
        after_sequence: int = 0,
        *,
        company_id: str = "",
        include_remote_data: bool = False,
        store_epoch: int = 0,
        send_caught_up: bool = False,
        timeout: Optional[float] = None,
        metadata: Optional[Metadata] = None,
        window: Optional[int] = None,
    ) -> ResponseStream[interviews_pb2.WatchEvent]:
        """WatchInterviews: change events after `after_sequence`, then live (an iterator of `WatchEvent`).

        Each event carries the `store_epoch` its sequence belongs to; resume
        with both (`after_sequence=event.sequence, store_epoch=event.store_epoch`).
        A server whose store has another epoch (a memory server that restarted)
        then ends the stream with FAILED_PRECONDITION instead of skipping
        changes; 0 (the default) is not checked.

        With `send_caught_up`, one event with `caught_up` set (and no
        interview) follows the replay: every kept change up to its `sequence`
        has been sent, and every later event is live.

        The stream does not end by itself: close it, or give it a timeout.
        """
        request = interviews_pb2.WatchRequest(
            company_id=company_id,
            after_sequence=after_sequence,
            include_remote_data=include_remote_data,
            store_epoch=store_epoch,
            send_caught_up=send_caught_up,
        )
        return self.stream(
            INTERVIEWS + "WatchInterviews", request, interviews_pb2.WatchEvent, timeout, metadata, window
        )

    def health(
        self, *, timeout: Optional[float] = None, metadata: Optional[Metadata] = None
    ) -> interviews_pb2.HealthResponse:
        """Health: whether the server is serving (callable without a key)."""
        return self.unary(
            _HEALTH, interviews_pb2.HealthRequest(), interviews_pb2.HealthResponse, timeout, metadata
        )

    def server_info(
        self, *, company_id: str = "", timeout: Optional[float] = None, metadata: Optional[Metadata] = None
    ) -> interviews_pb2.ServerInfoResponse:
        """ServerInfo: version, backend, uptime and the caller's record counts."""
        return self.unary(
            INTERVIEWS + "ServerInfo",
            interviews_pb2.ServerInfoRequest(company_id=company_id),
            interviews_pb2.ServerInfoResponse,
            timeout,
            metadata,
        )

    # ------------------------------------------------------------ Admin

    def create_key(
        self,
        label: str,
        kind: int,
        company_ids: Sequence[str],
        *,
        timeout: Optional[float] = None,
        metadata: Optional[Metadata] = None,
    ) -> admin_pb2.CreateKeyResponse:
        """Admin.CreateKey: a new API key (`kind` is `admin_pb2.KEY_KIND_COMPANY` or `KEY_KIND_PARTNER`).

        The response's ``secret`` is shown this once. Allowed only to processes
        running as the server's uid (or root).
        """
        request = admin_pb2.CreateKeyRequest(label=label, kind=kind, company_ids=list(company_ids))
        return self.unary(ADMIN + "CreateKey", request, admin_pb2.CreateKeyResponse, timeout, metadata)

    def list_keys(
        self,
        include_revoked: bool = False,
        *,
        timeout: Optional[float] = None,
        metadata: Optional[Metadata] = None,
    ) -> admin_pb2.ListKeysResponse:
        """Admin.ListKeys: the stored keys (never their secrets)."""
        return self.unary(
            ADMIN + "ListKeys",
            admin_pb2.ListKeysRequest(include_revoked=include_revoked),
            admin_pb2.ListKeysResponse,
            timeout,
            metadata,
        )

    def revoke_key(
        self, id: str, *, timeout: Optional[float] = None, metadata: Optional[Metadata] = None
    ) -> admin_pb2.ApiKey:
        """Admin.RevokeKey: revoke a key by id; return it with revoked_at set."""
        return self.unary(ADMIN + "RevokeKey", admin_pb2.RevokeKeyRequest(id=id), admin_pb2.ApiKey, timeout, metadata)


def _request(message_type: Type[M], request: Optional[M], fields: Mapping[str, Any]) -> M:
    if request is not None:
        if fields:
            raise TypeError(f"pass either a {message_type.__name__} or its fields as keywords, not both")
        return request
    return message_type(**fields)

