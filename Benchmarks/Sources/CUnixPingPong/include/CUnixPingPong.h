// A raw request/response exchange over an AF_UNIX stream socket with
// blocking write(2)/read(2): the floor a unary RPC over the same socket
// cannot beat. The echo server is a forked child process, so that the
// exchange crosses processes as a real call does.
#ifndef C_UNIX_PING_PONG_H
#define C_UNIX_PING_PONG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// Binds and listens on `path` (removing a stale file first), then forks a
/// child that serves connections one after another: it reads exactly
/// `request_size` bytes, writes `response_size` bytes, and repeats until the
/// peer closes. Returns the child's pid, or -1 with errno set.
pid_t pingpong_start_server(const char *path, size_t request_size, size_t response_size);

/// Kills and reaps the server child, and removes `path`.
void pingpong_stop_server(pid_t pid, const char *path);

/// Connects to `path`; returns the socket, or -1 with errno set.
int pingpong_connect(const char *path);

/// Runs `iterations` exchanges on `fd`: write `request_size` bytes, read
/// `response_size` bytes. Stores each exchange's latency in nanoseconds
/// (CLOCK_MONOTONIC) in `latencies`, which holds `iterations` values.
/// Returns 0, or -1 with errno set when a read or write fails.
int pingpong_run(int fd, size_t request_size, size_t response_size, uint64_t *latencies, size_t iterations);

#endif
