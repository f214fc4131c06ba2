/*
 * The simulated medium's rules: who hears a frame (channel, address, data
 * rate), RSSI by distance, loss against distance, collisions by airtime,
 * half duplex, the receive queue's bound, determinism, and radios in several
 * processes through Unix datagram sockets. Most cases use the manual clock,
 * so they are exact and take no real time.
 */
#define _POSIX_C_SOURCE 200809L

#include "pk_test.h"

#include "peerkit/peerkit_native.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pk_sim_medium *manual_medium(uint64_t seed, double extra_loss)
{
    pk_sim_medium_config config;
    pk_sim_medium *medium = NULL;
    pk_sim_medium_config_init(&config);
    config.seed = seed;
    config.clock = PK_SIM_CLOCK_MANUAL;
    config.extra_loss = extra_loss;
    if (pk_sim_medium_create(&config, &medium, NULL) != PK_RADIO_OK)
        return NULL;
    return medium;
}

static pk_radio *open_at(pk_sim_medium *medium, uint32_t id, double x)
{
    pk_radio *radio = NULL;
    pk_radio_error error;
    if (pk_radio_open_sim(medium, id, x, 0, 0, &radio, &error) != PK_RADIO_OK)
        fprintf(stderr, "open_sim(%u): %s\n", id, error.message);
    return radio;
}

static int send_text(pk_radio *radio, const char *text)
{
    return pk_radio_send(radio, (const uint8_t *)text, strlen(text));
}

/* Every frame due at the medium's time, counted. */
static int drain(pk_radio *radio)
{
    pk_radio_frame frame;
    int n = 0;
    while (pk_radio_receive(radio, &frame, 0) == PK_RADIO_OK)
        ++n;
    return n;
}

static int frame_reaches_every_radio_on_the_same_channel_address_and_rate(void)
{
    pk_sim_medium *m = manual_medium(1, 0);
    pk_radio *a = open_at(m, 1, 0), *b = open_at(m, 2, 1), *c = open_at(m, 3, 2);
    pk_radio_frame frame;

    PK_CHECK(m && a && b && c);
    PK_CHECK(send_text(a, "hello") == PK_RADIO_OK);
    PK_CHECK(pk_sim_medium_set_time(m, 1000) == PK_RADIO_OK);
    PK_CHECK(pk_radio_receive(b, &frame, 0) == PK_RADIO_OK);
    PK_CHECK(frame.length == 5 && memcmp(frame.data, "hello", 5) == 0);
    PK_CHECK(frame.sender == 1);
    PK_CHECK(frame.timestamp_us == pk_radio_airtime_us(PK_RADIO_RATE_2M, 5));
    PK_CHECK(pk_radio_receive(c, &frame, 0) == PK_RADIO_OK);
    PK_CHECK(frame.sender == 1);
    PK_CHECK(pk_radio_receive(a, &frame, 0) == PK_RADIO_TIMEOUT); /* a radio does not hear itself */
    PK_CHECK(pk_radio_receive(b, &frame, 0) == PK_RADIO_TIMEOUT); /* once */
    pk_radio_close(a);
    pk_radio_close(b);
    pk_radio_close(c);
    pk_sim_medium_destroy(m);
    return 0;
}

static int nothing_is_delivered_before_the_frame_has_ended_on_the_air(void)
{
    pk_sim_medium *m = manual_medium(1, 0);
    pk_radio *a = open_at(m, 1, 0), *b = open_at(m, 2, 1);
    pk_radio_frame frame;
    uint32_t airtime = pk_radio_airtime_us(PK_RADIO_RATE_2M, 10);

    PK_CHECK(m && a && b);
    PK_CHECK(send_text(a, "0123456789") == PK_RADIO_OK);
    PK_CHECK(pk_radio_receive(b, &frame, 0) == PK_RADIO_TIMEOUT);
    PK_CHECK(pk_sim_medium_set_time(m, airtime - 1) == PK_RADIO_OK);
    PK_CHECK(pk_radio_receive(b, &frame, 0) == PK_RADIO_TIMEOUT);
    PK_CHECK(pk_sim_medium_set_time(m, airtime) == PK_RADIO_OK);
    PK_CHECK(pk_radio_receive(b, &frame, 0) == PK_RADIO_OK);
    PK_CHECK(pk_sim_medium_set_time(m, airtime - 2) == PK_RADIO_ERROR_ARGUMENT); /* time only goes forward */
    pk_radio_close(a);
    pk_radio_close(b);
    pk_sim_medium_destroy(m);
    return 0;
}

static int channels_addresses_and_rates_isolate(void)
{
    static const uint8_t other_address[5] = { 0xE7, 0xE7, 0xE7, 0xE7, 0x01 };
    pk_sim_medium *m = manual_medium(1, 0);
    pk_radio *a = open_at(m, 1, 0), *same = open_at(m, 2, 1), *channel = open_at(m, 3, 1),
             *address = open_at(m, 4, 1), *rate = open_at(m, 5, 1);
    uint64_t t = 0;

    PK_CHECK(m && a && same && channel && address && rate);
    PK_CHECK(pk_radio_set_channel(channel, 81) == PK_RADIO_OK);
    PK_CHECK(pk_radio_set_address(address, other_address) == PK_RADIO_OK);
    PK_CHECK(pk_radio_set_data_rate(rate, PK_RADIO_RATE_1M) == PK_RADIO_OK);
    for (int i = 0; i < 10; ++i)
    {
        PK_CHECK(send_text(a, "x") == PK_RADIO_OK);
        t += 1000;
        PK_CHECK(pk_sim_medium_set_time(m, t) == PK_RADIO_OK);
    }
    PK_CHECK(drain(same) == 10);
    PK_CHECK(drain(channel) == 0);
    PK_CHECK(drain(address) == 0);
    PK_CHECK(drain(rate) == 0);
    /* Moving to the sender's channel makes it hear the next frame. */
    PK_CHECK(pk_radio_set_channel(channel, 80) == PK_RADIO_OK);
    PK_CHECK(send_text(a, "y") == PK_RADIO_OK);
    PK_CHECK(pk_sim_medium_set_time(m, t + 1000) == PK_RADIO_OK);
    PK_CHECK(drain(channel) == 1);
    PK_CHECK(pk_radio_set_channel(channel, 126) == PK_RADIO_ERROR_ARGUMENT);
    PK_CHECK(pk_radio_set_data_rate(channel, 3) == PK_RADIO_ERROR_ARGUMENT);
    pk_radio_close(a);
    pk_radio_close(same);
    pk_radio_close(channel);
    pk_radio_close(address);
    pk_radio_close(rate);
    pk_sim_medium_destroy(m);
    return 0;
}

static int rssi_follows_the_log_distance_model(void)
{
    /* 0 dBm, 40 dB at 1 m, exponent 3: -40 dBm at 1 m, -70 at 10 m, -79 at 20 m (rounded). */
    static const double distances[] = { 1, 10, 20 };
    static const int expected[] = { -40, -70, -79 };
    pk_sim_medium *m = manual_medium(1, 0);
    pk_radio *a = open_at(m, 1, 0), *b = open_at(m, 2, 1);
    pk_radio_frame frame;
    uint64_t t = 0;

    PK_CHECK(m && a && b);
    for (int i = 0; i < 3; ++i)
    {
        PK_CHECK(pk_radio_set_position(b, distances[i], 0, 0) == PK_RADIO_OK);
        /* A few tries: at 20 m a frame is lost now and then. */
        int got = 0;
        for (int k = 0; k < 20 && !got; ++k)
        {
            PK_CHECK(send_text(a, "r") == PK_RADIO_OK);
            t += 1000;
            PK_CHECK(pk_sim_medium_set_time(m, t) == PK_RADIO_OK);
            got = pk_radio_receive(b, &frame, 0) == PK_RADIO_OK;
        }
        PK_CHECK(got);
        if (frame.rssi_dbm != expected[i])
            PK_FAIL("at %.0f m the RSSI is %d dBm, expected %d", distances[i], frame.rssi_dbm, expected[i]);
    }
    pk_radio_close(a);
    pk_radio_close(b);
    pk_sim_medium_destroy(m);
    return 0;
}

/* Sends n frames from a at distance d to b; returns how many arrived. */
static int arrivals_at(double d, int n, pk_radio_stats *stats)
{
    pk_sim_medium *m = manual_medium(7, 0);
    pk_radio *a = open_at(m, 1, 0), *b = open_at(m, 2, d);
    uint64_t t = 0;
    int got = 0;

    if (!m || !a || !b)
        return -1;
    for (int i = 0; i < n; ++i)
    {
        if (send_text(a, "loss") != PK_RADIO_OK)
            return -1;
        t += 1000;
        pk_sim_medium_set_time(m, t);
        got += drain(b);
    }
    pk_radio_get_stats(b, stats);
    pk_radio_close(a);
    pk_radio_close(b);
    pk_sim_medium_destroy(m);
    return got;
}

static int loss_rises_with_distance(void)
{
    /* At 2 Mbit/s half the frames arrive at -82 dBm, about 25 m here. */
    pk_radio_stats near, edge, far;
    int n = 2000;
    int at5 = arrivals_at(5, n, &near), at25 = arrivals_at(25.1, n, &edge), at60 = arrivals_at(100, n, &far);

    fprintf(stderr, "arrived of %d: 5 m %d, 25 m %d, 100 m %d\n", n, at5, at25, at60);
    PK_CHECK(at5 >= n * 99 / 100);
    PK_CHECK(at25 > n * 35 / 100 && at25 < n * 65 / 100);
    PK_CHECK(at60 == 0);
    PK_CHECK(edge.lost_signal == (uint64_t)(n - at25));
    PK_CHECK(far.lost_signal == (uint64_t)n);
    PK_CHECK(edge.received == (uint64_t)at25);
    return 0;
}

static int overlapping_frames_collide_and_separate_frames_do_not(void)
{
    pk_sim_medium *m = manual_medium(1, 0);
    pk_radio *a = open_at(m, 1, -1), *b = open_at(m, 2, 1), *c = open_at(m, 3, 0);
    pk_radio_stats stats;
    uint32_t airtime = pk_radio_airtime_us(PK_RADIO_RATE_2M, 4);

    PK_CHECK(m && a && b && c);
    /* Same start, same strength at c: both lost. */
    PK_CHECK(send_text(a, "aaaa") == PK_RADIO_OK);
    PK_CHECK(send_text(b, "bbbb") == PK_RADIO_OK);
    PK_CHECK(pk_sim_medium_set_time(m, 1000) == PK_RADIO_OK);
    PK_CHECK(drain(c) == 0);
    PK_CHECK(pk_radio_get_stats(c, &stats) == PK_RADIO_OK);
    PK_CHECK(stats.lost_collision == 2);
    /* b starts one microsecond before a's frame ends: still a collision. */
    PK_CHECK(send_text(a, "aaaa") == PK_RADIO_OK);
    PK_CHECK(pk_sim_medium_set_time(m, 1000 + airtime - 1) == PK_RADIO_OK);
    PK_CHECK(send_text(b, "bbbb") == PK_RADIO_OK);
    PK_CHECK(pk_sim_medium_set_time(m, 5000) == PK_RADIO_OK);
    PK_CHECK(drain(c) == 0);
    /* b starts when a's frame ends: both arrive. */
    PK_CHECK(send_text(a, "aaaa") == PK_RADIO_OK);
    PK_CHECK(pk_sim_medium_set_time(m, 5000 + airtime) == PK_RADIO_OK);
    PK_CHECK(send_text(b, "bbbb") == PK_RADIO_OK);
    PK_CHECK(pk_sim_medium_set_time(m, 9000) == PK_RADIO_OK);
    PK_CHECK(drain(c) == 2);
    PK_CHECK(pk_radio_get_stats(c, &stats) == PK_RADIO_OK);
    PK_CHECK(stats.lost_collision == 4);
    pk_radio_close(a);
    pk_radio_close(b);
    pk_radio_close(c);
    pk_sim_medium_destroy(m);
    return 0;
}

static int a_much_stronger_frame_survives_a_collision(void)
{
    pk_sim_medium *m = manual_medium(1, 0);
    pk_radio *near = open_at(m, 1, 1), *far = open_at(m, 2, 15), *c = open_at(m, 3, 0);
    pk_radio_frame frame;

    PK_CHECK(m && near && far && c);
    PK_CHECK(send_text(far, "far") == PK_RADIO_OK);
    PK_CHECK(send_text(near, "near") == PK_RADIO_OK);
    PK_CHECK(pk_sim_medium_set_time(m, 1000) == PK_RADIO_OK);
    PK_CHECK(pk_radio_receive(c, &frame, 0) == PK_RADIO_OK);
    PK_CHECK(frame.sender == 1);
    PK_CHECK(pk_radio_receive(c, &frame, 0) == PK_RADIO_TIMEOUT);
    pk_radio_close(near);
    pk_radio_close(far);
    pk_radio_close(c);
    pk_sim_medium_destroy(m);
    return 0;
}

static int a_radio_hears_nothing_while_it_transmits(void)
{
    pk_sim_medium *m = manual_medium(1, 0);
    pk_radio *a = open_at(m, 1, 0), *b = open_at(m, 2, 1), *c = open_at(m, 3, 50);

    PK_CHECK(m && a && b && c);
    /* c is far from a, so a and c do not collide at b... */
    PK_CHECK(pk_radio_set_position(c, 0, 40, 0) == PK_RADIO_OK);
    PK_CHECK(send_text(a, "to b") == PK_RADIO_OK);
    /* ...but b transmits during a's frame and loses it. */
    PK_CHECK(send_text(b, "busy") == PK_RADIO_OK);
    PK_CHECK(pk_sim_medium_set_time(m, 1000) == PK_RADIO_OK);
    PK_CHECK(drain(b) == 0);
    pk_radio_close(a);
    pk_radio_close(b);
    pk_radio_close(c);
    pk_sim_medium_destroy(m);
    return 0;
}

static int the_receive_queue_is_bounded_and_counts_drops(void)
{
    pk_sim_medium_config config;
    pk_sim_medium *m = NULL;
    pk_radio *a, *b;
    pk_radio_stats stats;

    pk_sim_medium_config_init(&config);
    config.clock = PK_SIM_CLOCK_MANUAL;
    config.queue_frames = 4;
    PK_CHECK(pk_sim_medium_create(&config, &m, NULL) == PK_RADIO_OK);
    a = open_at(m, 1, 0);
    b = open_at(m, 2, 1);
    PK_CHECK(a && b);
    /* Ten frames back to back from one sender: they follow each other on the air. */
    for (int i = 0; i < 10; ++i)
        PK_CHECK(send_text(a, "q") == PK_RADIO_OK);
    PK_CHECK(pk_sim_medium_set_time(m, 100000) == PK_RADIO_OK);
    PK_CHECK(drain(b) == 4);
    PK_CHECK(pk_radio_get_stats(b, &stats) == PK_RADIO_OK);
    PK_CHECK(stats.dropped_queue_full == 6);
    PK_CHECK(stats.received == 4);
    PK_CHECK(pk_radio_get_stats(a, &stats) == PK_RADIO_OK);
    PK_CHECK(stats.sent == 10);
    pk_radio_close(a);
    pk_radio_close(b);
    pk_sim_medium_destroy(m);
    return 0;
}

/* Writes what b receives in a lossy scenario into out; returns the count. */
static int scenario(uint64_t seed, uint32_t *out, int capacity)
{
    pk_sim_medium *m = manual_medium(seed, 0.3);
    pk_radio *a = open_at(m, 1, 0), *b = open_at(m, 2, 20), *c = open_at(m, 3, 10);
    pk_radio_frame frame;
    uint64_t t = 0;
    int n = 0;

    for (int i = 0; i < 200; ++i)
    {
        uint8_t data[2] = { (uint8_t)i, (uint8_t)(i >> 8) };
        pk_radio_send(i % 3 == 0 ? c : a, data, 2);
        if (i % 7 == 0)
            pk_radio_send(c, data, 2); /* now and then a collision */
        t += 400;
        pk_sim_medium_set_time(m, t);
        while (pk_radio_receive(b, &frame, 0) == PK_RADIO_OK && n < capacity)
            out[n++] = (uint32_t)frame.data[0] | (uint32_t)frame.data[1] << 8 | frame.sender << 16 | (uint32_t)(uint8_t)frame.rssi_dbm << 24;
    }
    pk_radio_close(a);
    pk_radio_close(b);
    pk_radio_close(c);
    pk_sim_medium_destroy(m);
    return n;
}

static int the_same_seed_gives_the_same_outcome(void)
{
    static uint32_t first[400], second[400], other[400];
    int n1 = scenario(42, first, 400), n2 = scenario(42, second, 400), n3 = scenario(43, other, 400);

    fprintf(stderr, "received: %d, %d, other seed %d\n", n1, n2, n3);
    PK_CHECK(n1 > 50 && n1 < 200);
    PK_CHECK(n1 == n2);
    PK_CHECK(memcmp(first, second, (size_t)n1 * sizeof first[0]) == 0);
    PK_CHECK(n3 != n1 || memcmp(first, other, (size_t)n1 * sizeof first[0]) != 0);
    return 0;
}

static int bad_arguments_are_refused(void)
{
    pk_sim_medium_config config;
    pk_sim_medium *m = manual_medium(1, 0), *bad = NULL;
    pk_radio *a = open_at(m, 1, 0), *dup = NULL;
    pk_radio_error error;
    uint8_t big[PK_RADIO_MAX_FRAME + 1] = { 0 };

    PK_CHECK(m && a);
    PK_CHECK(pk_radio_open_sim(m, 1, 0, 0, 0, &dup, &error) == PK_RADIO_ERROR_IN_USE);
    PK_CHECK(dup == NULL && strstr(error.message, "already attached") != NULL);
    PK_CHECK(pk_radio_send(a, big, sizeof big) == PK_RADIO_ERROR_TOO_LARGE);
    PK_CHECK(strstr(pk_radio_last_error(a), "64") != NULL);
    PK_CHECK(pk_radio_send(a, big, 0) == PK_RADIO_ERROR_ARGUMENT);
    PK_CHECK(pk_radio_receive(a, NULL, 0) == PK_RADIO_ERROR_ARGUMENT);
    pk_sim_medium_config_init(&config);
    config.extra_loss = 1.5;
    PK_CHECK(pk_sim_medium_create(&config, &bad, &error) == PK_RADIO_ERROR_ARGUMENT && bad == NULL);
    pk_sim_medium_config_init(&config);
    config.path = "/tmp/x";
    config.clock = PK_SIM_CLOCK_MANUAL;
    PK_CHECK(pk_sim_medium_create(&config, &bad, &error) == PK_RADIO_ERROR_ARGUMENT);
    pk_radio_close(a);
    pk_sim_medium_destroy(m);
    return 0;
}

static int real_clock_receive_waits_for_the_frame(void)
{
    pk_sim_medium_config config;
    pk_sim_medium *m = NULL;
    pk_radio *a, *b;
    pk_radio_frame frame;

    pk_sim_medium_config_init(&config);
    PK_CHECK(pk_sim_medium_create(&config, &m, NULL) == PK_RADIO_OK);
    a = open_at(m, 1, 0);
    b = open_at(m, 2, 1);
    PK_CHECK(a && b);
    PK_CHECK(pk_radio_receive(b, &frame, 10) == PK_RADIO_TIMEOUT);
    for (int i = 0; i < 20; ++i)
        PK_CHECK(send_text(a, "realtime") == PK_RADIO_OK);
    for (int i = 0; i < 20; ++i)
        PK_CHECK(pk_radio_receive(b, &frame, 1000) == PK_RADIO_OK);
    PK_CHECK(frame.length == 8 && memcmp(frame.data, "realtime", 8) == 0);
    pk_radio_close(a);
    pk_radio_close(b);
    pk_sim_medium_destroy(m);
    return 0;
}

/* --- across processes --- */

static pk_sim_medium *shared_medium(const char *path)
{
    pk_sim_medium_config config;
    pk_sim_medium *m = NULL;
    pk_radio_error error;
    pk_sim_medium_config_init(&config);
    config.seed = 5;
    config.path = path;
    if (pk_sim_medium_create(&config, &m, &error) != PK_RADIO_OK)
        fprintf(stderr, "medium: %s\n", error.message);
    return m;
}

static int child(const char *path, uint32_t id, double x)
{
    pk_sim_medium *m = shared_medium(path);
    pk_radio *r = m ? open_at(m, id, x) : NULL;
    pk_radio_frame frame;
    char reply[16];
    int answered = 0;

    if (r == NULL)
        return 2;
    snprintf(reply, sizeof reply, "pong %u", id);
    /* Answer pings (three replies each, the medium may collide some) for up to 5 s. */
    for (int i = 0; i < 100 && answered < 3; ++i)
    {
        if (pk_radio_receive(r, &frame, 50) != PK_RADIO_OK)
            continue;
        if (frame.length == 4 && memcmp(frame.data, "ping", 4) == 0 && frame.sender == 1)
        {
            struct timespec pause = { 0, (long)id * 3000000L };
            nanosleep(&pause, NULL); /* stagger the answers */
            pk_radio_send(r, (const uint8_t *)reply, strlen(reply));
            ++answered;
        }
    }
    pk_radio_close(r);
    pk_sim_medium_destroy(m);
    return answered > 0 ? 0 : 3;
}

static int radios_in_three_processes_share_one_medium(void)
{
    char path[] = "/tmp/pkradio-XXXXXX";
    pid_t children[2];
    pk_sim_medium *m;
    pk_radio *r;
    pk_radio_frame frame;
    int heard2 = 0, heard3 = 0, status, ok = 1;
    int16_t rssi2 = 0, rssi3 = 0;

    PK_CHECK(mkdtemp(path) != NULL);
    fflush(NULL);
    for (int i = 0; i < 2; ++i)
    {
        children[i] = fork();
        PK_CHECK(children[i] >= 0);
        if (children[i] == 0)
            _exit(child(path, (uint32_t)(2 + i), i == 0 ? 2.0 : 10.0));
    }
    m = shared_medium(path);
    r = m ? open_at(m, 1, 0) : NULL;
    if (r != NULL)
    {
        struct timespec settle = { 0, 300000000L };
        nanosleep(&settle, NULL); /* the children bind their sockets */
        for (int i = 0; i < 60 && !(heard2 && heard3); ++i)
        {
            pk_radio_send(r, (const uint8_t *)"ping", 4);
            while (pk_radio_receive(r, &frame, 50) == PK_RADIO_OK)
            {
                if (frame.length == 6 && memcmp(frame.data, "pong 2", 6) == 0 && frame.sender == 2)
                    heard2 = 1, rssi2 = frame.rssi_dbm;
                if (frame.length == 6 && memcmp(frame.data, "pong 3", 6) == 0 && frame.sender == 3)
                    heard3 = 1, rssi3 = frame.rssi_dbm;
            }
        }
        pk_radio_close(r);
    }
    if (m)
        pk_sim_medium_destroy(m);
    for (int i = 0; i < 2; ++i)
    {
        if (waitpid(children[i], &status, 0) != children[i] || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        {
            fprintf(stderr, "child %d failed (status %d)\n", i, status);
            ok = 0;
        }
    }
    rmdir(path); /* every radio unlinked its socket on close */
    PK_CHECK(r != NULL);
    PK_CHECK(ok);
    PK_CHECK(heard2 && heard3);
    /* RSSI from the positions each process announced: 2 m and 10 m away. */
    PK_CHECK(rssi2 == -49);
    PK_CHECK(rssi3 == -70);
    return 0;
}

static int malformed_datagrams_on_a_shared_medium_are_ignored(void)
{
    char path[] = "/tmp/pkradio-XXXXXX";
    pk_sim_medium *m;
    pk_radio *a, *b;
    pk_radio_frame frame;
    struct sockaddr_un to;
    uint8_t junk[200];
    int fd;

    PK_CHECK(mkdtemp(path) != NULL);
    m = shared_medium(path);
    PK_CHECK(m != NULL);
    a = open_at(m, 1, 0);
    b = open_at(m, 2, 1);
    PK_CHECK(a && b);
    memset(&to, 0, sizeof to);
    to.sun_family = AF_UNIX;
    snprintf(to.sun_path, sizeof to.sun_path, "%s/r2.sock", path);
    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    PK_CHECK(fd >= 0);
    for (size_t n = 0; n < sizeof junk; n += 7)
    {
        memset(junk, (int)n, sizeof junk);
        if (n >= 4)
            memcpy(junk, "PKRM", 4); /* right magic, wrong everything else */
        PK_CHECK(sendto(fd, junk, n, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to) == (ssize_t)n);
        /* Receiving drains the socket (a Unix datagram socket queues only a few datagrams) and finds nothing. */
        PK_CHECK(pk_radio_receive(b, &frame, 0) == PK_RADIO_TIMEOUT);
    }
    close(fd);
    PK_CHECK(pk_radio_send(a, (const uint8_t *)"real", 4) == PK_RADIO_OK);
    PK_CHECK(pk_radio_receive(b, &frame, 1000) == PK_RADIO_OK);
    PK_CHECK(frame.length == 4 && memcmp(frame.data, "real", 4) == 0);
    PK_CHECK(pk_radio_receive(b, &frame, 20) == PK_RADIO_TIMEOUT);
    pk_radio_close(a);
    pk_radio_close(b);
    pk_sim_medium_destroy(m);
    rmdir(path);
    return 0;
}

static const pk_test_case cases[] = {
    PK_CASE(frame_reaches_every_radio_on_the_same_channel_address_and_rate),
    PK_CASE(nothing_is_delivered_before_the_frame_has_ended_on_the_air),
    PK_CASE(channels_addresses_and_rates_isolate),
    PK_CASE(rssi_follows_the_log_distance_model),
    PK_CASE(loss_rises_with_distance),
    PK_CASE(overlapping_frames_collide_and_separate_frames_do_not),
    PK_CASE(a_much_stronger_frame_survives_a_collision),
    PK_CASE(a_radio_hears_nothing_while_it_transmits),
    PK_CASE(the_receive_queue_is_bounded_and_counts_drops),
    PK_CASE(the_same_seed_gives_the_same_outcome),
    PK_CASE(bad_arguments_are_refused),
    PK_CASE(real_clock_receive_waits_for_the_frame),
    PK_CASE(radios_in_three_processes_share_one_medium),
    PK_CASE(malformed_datagrams_on_a_shared_medium_are_ignored),
};

int main(int argc, char **argv)
{
    return pk_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
