# Shared set-up for tools/*: installs what a fresh machine lacks.
# Sourced, not executed.

# Installs the system packages the build and tests need, once.
ensure_system_packages() {
  local missing=()
  command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
  command -v protoc-c >/dev/null 2>&1 || missing+=(protobuf-c-compiler)
  [ -f /usr/include/protobuf-c/protobuf-c.h ] || missing+=(libprotobuf-c-dev)
  command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# The Python runtime the polyglot tests and the Python client use. Pinned to
# the release line of the protoc that generates the committed _pb2.py files.
PYTHON_PROTOBUF_SPEC="${PYTHON_PROTOBUF_SPEC:-protobuf>=4.21,<8}"

# The gRPC endpoint's tests (Tests/GRPCPython) use stock gRPC Python: grpcio,
# grpcio-tools (stubs generated from proto/ at test time), grpcio-reflection,
# grpcio-health-checking, and h2 to send malformed HTTP/2.
PYTHON_GRPC_SPECS=(grpcio grpcio-tools grpcio-reflection grpcio-health-checking h2)

ensure_python_packages() {
  if ! python3 -c 'import google.protobuf' >/dev/null 2>&1; then
    echo "setup: installing python3 $PYTHON_PROTOBUF_SPEC" >&2
    python3 -m pip install -q "$PYTHON_PROTOBUF_SPEC" 2>&1 | grep -v -i 'running pip as' >&2 || true
  fi
  if ! python3 -c 'import grpc, grpc_tools, grpc_reflection, grpc_health, h2' >/dev/null 2>&1; then
    echo "setup: installing python3 ${PYTHON_GRPC_SPECS[*]}" >&2
    python3 -m pip install -q "$PYTHON_PROTOBUF_SPEC" "${PYTHON_GRPC_SPECS[@]}" 2>&1 | grep -v -i 'running pip as' >&2 || true
  fi
}
