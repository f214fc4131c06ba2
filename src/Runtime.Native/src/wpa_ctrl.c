/*
 * The wpa_supplicant control socket: a Unix datagram socket, bound to a file
 * of the client's own so the supplicant can send replies (and, after ATTACH,
 * events) back to it, and connected to the supplicant's socket file.
 *
 * A handle is used by one thread at a time; distinct handles are independent
 * (no globals). Windows has no such socket: the functions report
 * PK_WPA_ERR_SOCKET there.
 */
#define _POSIX_C_SOURCE 200809L

#include "peerkit/peerkit_native.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)

struct pk_wpa_ctrl { int unused; };

int32_t pk_wpa_open(const char *server_path, const char *client_dir, pk_wpa_ctrl **ctrl, int32_t *os_error)
{
    (void)server_path; (void)client_dir;
    if (ctrl != NULL) *ctrl = NULL;
    if (os_error != NULL) *os_error = 0;
    return PK_WPA_ERR_SOCKET;
}
void pk_wpa_close(pk_wpa_ctrl *ctrl) { (void)ctrl; }
int32_t pk_wpa_os_error(const pk_wpa_ctrl *ctrl) { (void)ctrl; return 0; }
int32_t pk_wpa_request(pk_wpa_ctrl *ctrl, const char *command, char *reply, int32_t reply_size, int32_t timeout_ms)
{
    (void)ctrl; (void)command; (void)reply; (void)reply_size; (void)timeout_ms;
    return PK_WPA_ERR_SOCKET;
}
int32_t pk_wpa_attach(pk_wpa_ctrl *ctrl, int32_t timeout_ms) { (void)ctrl; (void)timeout_ms; return PK_WPA_ERR_SOCKET; }
int32_t pk_wpa_receive(pk_wpa_ctrl *ctrl, char *buffer, int32_t buffer_size, int32_t timeout_ms)
{
    (void)ctrl; (void)buffer; (void)buffer_size; (void)timeout_ms;
    return PK_WPA_ERR_SOCKET;
}

#else

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct pk_wpa_ctrl
{
    int fd;
    int last_errno;
    struct sockaddr_un local;
    struct sockaddr_un remote;
};

/* Milliseconds of a monotonic clock, for deadlines that survive EINTR and skipped events. */
static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fill_address(struct sockaddr_un *address, const char *path)
{
    size_t length = strlen(path);
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    if (length == 0 || length >= sizeof address->sun_path)
        return PK_WPA_ERR_PATH;
    memcpy(address->sun_path, path, length + 1);
    return PK_WPA_OK;
}

int32_t pk_wpa_open(const char *server_path, const char *client_dir, pk_wpa_ctrl **ctrl, int32_t *os_error)
{
    pk_wpa_ctrl *c;
    int attempt;
    int result;

    if (os_error != NULL)
        *os_error = 0;
    if (ctrl == NULL || server_path == NULL)
        return PK_WPA_ERR_ARGUMENT;
    *ctrl = NULL;
    if (client_dir == NULL || client_dir[0] == '\0')
        client_dir = "/tmp";

    c = (pk_wpa_ctrl *)calloc(1, sizeof *c);
    if (c == NULL)
        return PK_WPA_ERR_MEMORY;

    result = fill_address(&c->remote, server_path);
    if (result != PK_WPA_OK)
    {
        free(c);
        return result;
    }

    c->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (c->fd < 0)
    {
        if (os_error != NULL) *os_error = errno;
        free(c);
        return PK_WPA_ERR_SOCKET;
    }
    (void)fcntl(c->fd, F_SETFD, FD_CLOEXEC);

    /* The client's name: pid and handle address keep concurrent clients apart; a
     * name left behind by a crashed process with the same pid is replaced. */
    for (attempt = 0;; ++attempt)
    {
        char path[sizeof c->local.sun_path];
        int n = snprintf(path, sizeof path, "%s/pk_wpa_%ld_%lx_%d", client_dir, (long)getpid(),
                         (unsigned long)(uintptr_t)c, attempt);
        if (n < 0 || (size_t)n >= sizeof path)
        {
            close(c->fd);
            free(c);
            return PK_WPA_ERR_PATH;
        }
        (void)fill_address(&c->local, path);
        if (bind(c->fd, (struct sockaddr *)&c->local, sizeof c->local) == 0)
            break;
        if (errno == EADDRINUSE && attempt < 4)
        {
            (void)unlink(path);
            continue;
        }
        if (os_error != NULL) *os_error = errno;
        close(c->fd);
        free(c);
        return PK_WPA_ERR_SOCKET;
    }

    if (connect(c->fd, (struct sockaddr *)&c->remote, sizeof c->remote) != 0)
    {
        if (os_error != NULL) *os_error = errno;
        (void)unlink(c->local.sun_path);
        close(c->fd);
        free(c);
        return PK_WPA_ERR_CONNECT;
    }

    *ctrl = c;
    return PK_WPA_OK;
}

void pk_wpa_close(pk_wpa_ctrl *ctrl)
{
    if (ctrl == NULL)
        return;
    (void)unlink(ctrl->local.sun_path);
    close(ctrl->fd);
    free(ctrl);
}

int32_t pk_wpa_os_error(const pk_wpa_ctrl *ctrl)
{
    return ctrl == NULL ? 0 : ctrl->last_errno;
}

/* Waits until the socket is readable or the deadline passes. */
static int wait_readable(pk_wpa_ctrl *ctrl, int64_t deadline)
{
    for (;;)
    {
        struct pollfd p;
        int64_t left = deadline - now_ms();
        int r;
        if (left < 0)
            left = 0;
        p.fd = ctrl->fd;
        p.events = POLLIN;
        p.revents = 0;
        r = poll(&p, 1, (int)(left > 0x7FFFFFFF ? 0x7FFFFFFF : left));
        if (r > 0)
            return PK_WPA_OK;
        if (r == 0)
            return PK_WPA_ERR_TIMEOUT;
        if (errno == EINTR)
            continue;
        ctrl->last_errno = errno;
        return PK_WPA_ERR_RECEIVE;
    }
}

/* Reads one datagram; a datagram longer than the buffer is an error, never a silent cut. */
static int32_t read_datagram(pk_wpa_ctrl *ctrl, char *buffer, int32_t size)
{
    ssize_t n;
    do
        n = recv(ctrl->fd, buffer, (size_t)size, MSG_TRUNC | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0)
    {
        ctrl->last_errno = errno;
        /* A reply to a send that found nobody (the supplicant quit) shows up here. */
        return errno == ECONNREFUSED || errno == ENOTCONN ? PK_WPA_ERR_SEND : PK_WPA_ERR_RECEIVE;
    }
    if (n >= size)
    {
        buffer[size - 1] = '\0';
        return PK_WPA_ERR_TOO_LONG;
    }
    buffer[n] = '\0';
    return (int32_t)n;
}

int32_t pk_wpa_request(pk_wpa_ctrl *ctrl, const char *command, char *reply, int32_t reply_size, int32_t timeout_ms)
{
    size_t length;
    int64_t deadline;

    if (ctrl == NULL || command == NULL || reply == NULL || reply_size < 2 || timeout_ms < 0)
        return PK_WPA_ERR_ARGUMENT;
    length = strlen(command);
    if (length == 0)
        return PK_WPA_ERR_ARGUMENT;

    if (send(ctrl->fd, command, length, 0) < 0)
    {
        ctrl->last_errno = errno;
        return PK_WPA_ERR_SEND;
    }

    deadline = now_ms() + timeout_ms;
    for (;;)
    {
        int32_t n;
        int r = wait_readable(ctrl, deadline);
        if (r != PK_WPA_OK)
            return r;
        n = read_datagram(ctrl, reply, reply_size);
        if (n == PK_WPA_ERR_RECEIVE && ctrl->last_errno == EAGAIN)
            continue;
        if (n < 0)
            return n;
        /* An attached handle can get an event before the reply: skip it. */
        if (n > 0 && reply[0] == '<')
            continue;
        if (n >= 7 && strncmp(reply, "IFNAME=", 7) == 0)
            continue;
        return n;
    }
}

int32_t pk_wpa_attach(pk_wpa_ctrl *ctrl, int32_t timeout_ms)
{
    char reply[64];
    int32_t n = pk_wpa_request(ctrl, "ATTACH", reply, (int32_t)sizeof reply, timeout_ms);
    if (n < 0)
        return n;
    return n >= 2 && strncmp(reply, "OK", 2) == 0 ? PK_WPA_OK : PK_WPA_ERR_REPLY;
}

int32_t pk_wpa_receive(pk_wpa_ctrl *ctrl, char *buffer, int32_t buffer_size, int32_t timeout_ms)
{
    int64_t deadline;
    if (ctrl == NULL || buffer == NULL || buffer_size < 2 || timeout_ms < 0)
        return PK_WPA_ERR_ARGUMENT;
    deadline = now_ms() + timeout_ms;
    for (;;)
    {
        int32_t n;
        int r = wait_readable(ctrl, deadline);
        if (r != PK_WPA_OK)
            return r;
        n = read_datagram(ctrl, buffer, buffer_size);
        if (n == PK_WPA_ERR_RECEIVE && ctrl->last_errno == EAGAIN)
            continue;
        return n;
    }
}

#endif
