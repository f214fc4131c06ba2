#include "pkbaseline.h"

#include <arpa/inet.h>
#include <enet/enet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- ENet */

typedef struct
{
    ENetHost *server;
    ENetHost *client;
    ENetPeer *to_server;
    ENetPeer *to_client;
} enet_pair;

static int enet_pair_open(enet_pair *p)
{
    static int initialized = 0;
    if (!initialized)
    {
        if (enet_initialize() != 0)
        {
            return -1;
        }
        initialized = 1;
    }

    memset(p, 0, sizeof(*p));
    ENetAddress address;
    enet_address_set_host(&address, "127.0.0.1");
    address.port = 0;
    p->server = enet_host_create(&address, 4, 2, 0, 0);
    if (p->server == NULL)
    {
        return -1;
    }

    ENetAddress bound;
    enet_socket_get_address(p->server->socket, &bound);
    enet_address_set_host(&bound, "127.0.0.1");
    p->client = enet_host_create(NULL, 1, 2, 0, 0);
    if (p->client == NULL)
    {
        return -1;
    }

    p->to_server = enet_host_connect(p->client, &bound, 2, 0);
    double deadline = now_seconds() + 5;
    ENetEvent event;
    int client_up = 0;
    while ((!client_up || p->to_client == NULL) && now_seconds() < deadline)
    {
        while (enet_host_service(p->client, &event, 0) > 0)
        {
            if (event.type == ENET_EVENT_TYPE_CONNECT)
            {
                client_up = 1;
            }
        }
        while (enet_host_service(p->server, &event, 0) > 0)
        {
            if (event.type == ENET_EVENT_TYPE_CONNECT)
            {
                p->to_client = event.peer;
            }
        }
    }

    return client_up && p->to_client != NULL ? 0 : -1;
}

static void enet_pair_close(enet_pair *p)
{
    if (p->client != NULL)
    {
        enet_host_destroy(p->client);
    }
    if (p->server != NULL)
    {
        enet_host_destroy(p->server);
    }
}

/* Services both hosts once; returns the number of packets the server received. */
static int enet_pump(enet_pair *p, ENetPeer **echo_to)
{
    ENetEvent event;
    int received = 0;
    while (enet_host_service(p->client, &event, 0) > 0)
    {
        if (event.type == ENET_EVENT_TYPE_RECEIVE)
        {
            enet_packet_destroy(event.packet);
        }
    }
    while (enet_host_service(p->server, &event, 0) > 0)
    {
        if (event.type == ENET_EVENT_TYPE_RECEIVE)
        {
            received++;
            if (echo_to != NULL)
            {
                *echo_to = event.peer;
            }
            enet_packet_destroy(event.packet);
        }
    }
    return received;
}

double pk_enet_reliable(int count, int size)
{
    enet_pair p;
    if (enet_pair_open(&p) != 0)
    {
        enet_pair_close(&p);
        return -1;
    }

    unsigned char buffer[65536];
    memset(buffer, 7, sizeof(buffer));
    int sent = 0;
    int received = 0;
    double start = now_seconds();
    double deadline = start + 60;
    while (received < count && now_seconds() < deadline)
    {
        while (sent < count && sent - received < 1024)
        {
            ENetPacket *packet = enet_packet_create(buffer, (size_t)size, ENET_PACKET_FLAG_RELIABLE);
            enet_peer_send(p.to_server, 0, packet);
            sent++;
        }
        enet_host_flush(p.client);
        received += enet_pump(&p, NULL);
    }

    double elapsed = now_seconds() - start;
    enet_pair_close(&p);
    return received == count ? elapsed : -1;
}

double pk_enet_unreliable(int count, int size, int *received)
{
    enet_pair p;
    *received = 0;
    if (enet_pair_open(&p) != 0)
    {
        enet_pair_close(&p);
        return -1;
    }

    unsigned char buffer[65536];
    memset(buffer, 7, sizeof(buffer));
    double start = now_seconds();
    double last = start;
    for (int sent = 0; sent < count; sent++)
    {
        ENetPacket *packet = enet_packet_create(buffer, (size_t)size, ENET_PACKET_FLAG_UNSEQUENCED);
        enet_peer_send(p.to_server, 0, packet);
        if (sent % 64 == 63)
        {
            enet_host_flush(p.client);
            int got = enet_pump(&p, NULL);
            if (got > 0)
            {
                *received += got;
                last = now_seconds();
            }
        }
    }

    enet_host_flush(p.client);
    double drain = now_seconds() + 0.2;
    while (now_seconds() < drain && *received < count)
    {
        int got = enet_pump(&p, NULL);
        if (got > 0)
        {
            *received += got;
            last = now_seconds();
        }
    }

    enet_pair_close(&p);
    return last - start;
}

double pk_enet_pingpong(int rounds, int size)
{
    enet_pair p;
    if (enet_pair_open(&p) != 0)
    {
        enet_pair_close(&p);
        return -1;
    }

    unsigned char buffer[65536];
    memset(buffer, 7, sizeof(buffer));
    double start = now_seconds();
    for (int i = 0; i < rounds; i++)
    {
        enet_peer_send(p.to_server, 0, enet_packet_create(buffer, (size_t)size, ENET_PACKET_FLAG_RELIABLE));
        enet_host_flush(p.client);
        ENetEvent event;
        int echoed = 0;
        int answered = 0;
        double deadline = now_seconds() + 5;
        while (!answered && now_seconds() < deadline)
        {
            while (!echoed && enet_host_service(p.server, &event, 0) > 0)
            {
                if (event.type == ENET_EVENT_TYPE_RECEIVE)
                {
                    enet_packet_destroy(event.packet);
                    enet_peer_send(p.to_client, 0, enet_packet_create(buffer, (size_t)size, ENET_PACKET_FLAG_RELIABLE));
                    enet_host_flush(p.server);
                    echoed = 1;
                }
            }
            while (enet_host_service(p.client, &event, 0) > 0)
            {
                if (event.type == ENET_EVENT_TYPE_RECEIVE)
                {
                    enet_packet_destroy(event.packet);
                    answered = 1;
                }
            }
            if (echoed)
            {
                enet_host_service(p.server, &event, 0); /* acknowledgements */
            }
        }
        if (!answered)
        {
            enet_pair_close(&p);
            return -1;
        }
    }

    double elapsed = now_seconds() - start;
    enet_pair_close(&p);
    return elapsed;
}

typedef struct
{
    enet_pair *pair;
    int size;
    atomic_int stop;
} enet_echo;

/* The server's own thread: blocks in enet_host_service (poll on the socket, 1 ms at most) and echoes every
 * message, as a server process with a network thread does. */
static void *enet_echo_loop(void *arg)
{
    enet_echo *e = arg;
    unsigned char buffer[65536];
    memset(buffer, 7, sizeof(buffer));
    ENetEvent event;
    while (!atomic_load(&e->stop))
    {
        if (enet_host_service(e->pair->server, &event, 1) > 0 && event.type == ENET_EVENT_TYPE_RECEIVE)
        {
            enet_packet_destroy(event.packet);
            enet_peer_send(e->pair->to_client, 0, enet_packet_create(buffer, (size_t)e->size, ENET_PACKET_FLAG_RELIABLE));
            enet_host_flush(e->pair->server);
        }
    }
    return NULL;
}

double pk_enet_pingpong_threaded(int rounds, int size)
{
    enet_pair p;
    if (enet_pair_open(&p) != 0)
    {
        enet_pair_close(&p);
        return -1;
    }

    enet_echo e = {.pair = &p, .size = size};
    atomic_init(&e.stop, 0);
    pthread_t thread;
    pthread_create(&thread, NULL, enet_echo_loop, &e);
    unsigned char buffer[65536];
    memset(buffer, 7, sizeof(buffer));
    double start = now_seconds();
    int ok = 1;
    for (int i = 0; i < rounds && ok; i++)
    {
        enet_peer_send(p.to_server, 0, enet_packet_create(buffer, (size_t)size, ENET_PACKET_FLAG_RELIABLE));
        enet_host_flush(p.client);
        ENetEvent event;
        int answered = 0;
        double deadline = now_seconds() + 5;
        while (!answered && now_seconds() < deadline)
        {
            if (enet_host_service(p.client, &event, 1) > 0 && event.type == ENET_EVENT_TYPE_RECEIVE)
            {
                enet_packet_destroy(event.packet);
                answered = 1;
            }
        }
        ok = answered;
    }

    double elapsed = now_seconds() - start;
    atomic_store(&e.stop, 1);
    pthread_join(thread, NULL);
    enet_pair_close(&p);
    return ok ? elapsed : -1;
}

/* ---------------------------------------------------------------- raw UDP */

#define BATCH 64

static int udp_socket(struct sockaddr_in *bound)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
    {
        return -1;
    }
    int buffer = 4 * 1024 * 1024;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
    struct sockaddr_in address;
    memset(&address, 0, sizeof(address));
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&address, sizeof(address)) != 0)
    {
        close(fd);
        return -1;
    }
    socklen_t length = sizeof(*bound);
    getsockname(fd, (struct sockaddr *)bound, &length);
    return fd;
}

typedef struct
{
    int fd;
    int size;
    int count;
    atomic_int received;
    atomic_int stop;
    double last;
} blast_receiver;

static void *blast_receive(void *arg)
{
    blast_receiver *r = arg;
    static __thread unsigned char buffers[BATCH][2048];
    struct mmsghdr messages[BATCH];
    struct iovec iovecs[BATCH];
    struct timespec timeout = {0, 100 * 1000 * 1000};
    while (!atomic_load(&r->stop) && atomic_load(&r->received) < r->count)
    {
        for (int i = 0; i < BATCH; i++)
        {
            iovecs[i].iov_base = buffers[i];
            iovecs[i].iov_len = sizeof(buffers[i]);
            memset(&messages[i].msg_hdr, 0, sizeof(messages[i].msg_hdr));
            messages[i].msg_hdr.msg_iov = &iovecs[i];
            messages[i].msg_hdr.msg_iovlen = 1;
        }
        int got = recvmmsg(r->fd, messages, BATCH, MSG_WAITFORONE, &timeout);
        if (got > 0)
        {
            atomic_fetch_add(&r->received, got);
            r->last = now_seconds();
        }
    }
    return NULL;
}

double pk_udp_blast(int count, int size, int *received)
{
    struct sockaddr_in to;
    struct sockaddr_in from;
    int receiver_fd = udp_socket(&to);
    int sender_fd = udp_socket(&from);
    if (receiver_fd < 0 || sender_fd < 0 || size > 2048)
    {
        return -1;
    }
    struct timeval tv = {0, 100 * 1000};
    setsockopt(receiver_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

    blast_receiver r = {.fd = receiver_fd, .size = size, .count = count};
    atomic_init(&r.received, 0);
    atomic_init(&r.stop, 0);
    pthread_t thread;
    pthread_create(&thread, NULL, blast_receive, &r);

    unsigned char payload[2048];
    memset(payload, 7, sizeof(payload));
    struct mmsghdr messages[BATCH];
    struct iovec iovecs[BATCH];
    for (int i = 0; i < BATCH; i++)
    {
        iovecs[i].iov_base = payload;
        iovecs[i].iov_len = (size_t)size;
        memset(&messages[i].msg_hdr, 0, sizeof(messages[i].msg_hdr));
        messages[i].msg_hdr.msg_iov = &iovecs[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = &to;
        messages[i].msg_hdr.msg_namelen = sizeof(to);
    }

    double start = now_seconds();
    r.last = start;
    for (int sent = 0; sent < count;)
    {
        int batch = count - sent < BATCH ? count - sent : BATCH;
        int done = sendmmsg(sender_fd, messages, (unsigned int)batch, 0);
        if (done > 0)
        {
            sent += done;
        }
    }

    double drain = now_seconds() + 0.2;
    while (atomic_load(&r.received) < count && now_seconds() < drain)
    {
        usleep(1000);
    }
    atomic_store(&r.stop, 1);
    pthread_join(thread, NULL);
    *received = atomic_load(&r.received);
    close(receiver_fd);
    close(sender_fd);
    return r.last - start;
}

typedef struct
{
    int fd;
    atomic_int stop;
} echo_server;

static void *echo_loop(void *arg)
{
    echo_server *e = arg;
    unsigned char buffer[2048];
    while (!atomic_load(&e->stop))
    {
        struct sockaddr_in peer;
        socklen_t length = sizeof(peer);
        ssize_t got = recvfrom(e->fd, buffer, sizeof(buffer), 0, (struct sockaddr *)&peer, &length);
        if (got > 0)
        {
            sendto(e->fd, buffer, (size_t)got, 0, (struct sockaddr *)&peer, length);
        }
    }
    return NULL;
}

double pk_udp_pingpong(int rounds, int size)
{
    struct sockaddr_in server;
    struct sockaddr_in client;
    int server_fd = udp_socket(&server);
    int client_fd = udp_socket(&client);
    if (server_fd < 0 || client_fd < 0 || size > 2048)
    {
        return -1;
    }
    struct timeval tv = {0, 100 * 1000};
    setsockopt(server_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(client_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    echo_server e = {.fd = server_fd};
    atomic_init(&e.stop, 0);
    pthread_t thread;
    pthread_create(&thread, NULL, echo_loop, &e);

    unsigned char buffer[2048];
    memset(buffer, 7, sizeof(buffer));
    double start = now_seconds();
    int ok = 1;
    for (int i = 0; i < rounds && ok; i++)
    {
        sendto(client_fd, buffer, (size_t)size, 0, (struct sockaddr *)&server, sizeof(server));
        ok = recv(client_fd, buffer, sizeof(buffer), 0) == size;
    }
    double elapsed = now_seconds() - start;
    atomic_store(&e.stop, 1);
    pthread_join(thread, NULL);
    close(server_fd);
    close(client_fd);
    return ok ? elapsed : -1;
}
