"""Python client of the interviews service (framed RPC over a Unix domain socket).

Standard library only, plus `google.protobuf` for the generated messages in
`interviews_pb`. See clients/python/README.md and docs/PROTOCOL.md.

    from interviews_client import Client, RpcError
    from interviews_pb.v1 import interviews_pb2

    with Client("/tmp/interviews.sock", api_key="ik_...") as client:
        created = client.create_interview(interviews_pb2.Interview(title="Onsite"))
        page = client.list_interviews(page_size=10)
"""

from .client import ADMIN, INTERVIEWS, Client
from .connection import Connection, ResponseStream
from .errors import RpcError, StatusCode, code_name

__all__ = [
    "Client",
    "Connection",
    "ResponseStream",
    "RpcError",
    "StatusCode",
    "code_name",
    "INTERVIEWS",
    "ADMIN",
]
__version__ = "1.0.0"
