#include "CUnixPingPong.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fill_address(struct sockaddr_un *address, const char *path) {
    memset(address, 0, sizeof(*address));
    address->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(address->sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(address->sun_path, path);
    return 0;
}

static int read_exactly(int fd, unsigned char *buffer, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = read(fd, buffer + done, size - done);
        if (n > 0) {
            done += (size_t)n;
        } else if (n == 0) {
            errno = ECONNRESET;
            return -1;
        } else if (errno != EINTR) {
            return -1;
        }
    }
    return 0;
}

static int write_exactly(int fd, const unsigned char *buffer, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, buffer + done, size - done);
        if (n >= 0) {
            done += (size_t)n;
        } else if (errno != EINTR) {
            return -1;
        }
    }
    return 0;
}

pid_t pingpong_start_server(const char *path, size_t request_size, size_t response_size) {
    struct sockaddr_un address;
    if (fill_address(&address, path) != 0) return -1;
    // Allocated before fork: the child of a multi-threaded parent calls no malloc.
    unsigned char *request = malloc(request_size ? request_size : 1);
    unsigned char *response = calloc(response_size ? response_size : 1, 1);
    if (request == NULL || response == NULL) {
        free(request);
        free(response);
        errno = ENOMEM;
        return -1;
    }
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    if (listener < 0) goto fail;
    unlink(path);
    if (bind(listener, (struct sockaddr *)&address, sizeof(address)) != 0) goto fail;
    if (listen(listener, 16) != 0) goto fail;
    pid_t pid = fork();
    if (pid < 0) goto fail;
    if (pid == 0) {
        for (;;) {
            int connection = accept(listener, NULL, NULL);
            if (connection < 0) {
                if (errno == EINTR) continue;
                _exit(1);
            }
            while (read_exactly(connection, request, request_size) == 0 &&
                   write_exactly(connection, response, response_size) == 0) {
            }
            close(connection);
        }
    }
    close(listener);
    free(request);
    free(response);
    return pid;
fail: {
    int saved = errno;
    if (listener >= 0) close(listener);
    free(request);
    free(response);
    errno = saved;
    return -1;
}
}

void pingpong_stop_server(pid_t pid, const char *path) {
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    unlink(path);
}

int pingpong_connect(const char *path) {
    struct sockaddr_un address;
    if (fill_address(&address, path) != 0) return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static uint64_t now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

int pingpong_run(int fd, size_t request_size, size_t response_size, uint64_t *latencies, size_t iterations) {
    unsigned char *request = calloc(request_size ? request_size : 1, 1);
    unsigned char *response = malloc(response_size ? response_size : 1);
    int result = -1;
    if (request == NULL || response == NULL) {
        errno = ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < iterations; i++) {
        uint64_t start = now_ns();
        if (write_exactly(fd, request, request_size) != 0) goto done;
        if (read_exactly(fd, response, response_size) != 0) goto done;
        latencies[i] = now_ns() - start;
    }
    result = 0;
done:
    free(request);
    free(response);
    return result;
}
