/*
 * The simulated 2.4 GHz medium (after mac80211_hwsim + wmediumd, in user
 * space). Radios attach to a medium; a frame goes to every radio on the same
 * channel, and is delivered to those on the same address and data rate.
 * Each receiver decides for itself: RSSI from the positions by the
 * log-distance model, loss from the SNR (a stateless random number per
 * sender, frame and receiver, so the outcome does not depend on the order of
 * events), collisions with every other frame on its channel that overlaps in
 * airtime, and half duplex (a radio hears nothing while it transmits).
 *
 * A frame is held in the receiver's queue until it has ended on the air (plus
 * a grace period across processes, so a late datagram can still collide), so
 * that a later overlapping frame can destroy it.
 *
 * In-process, senders write straight into the receivers' queues. With a path,
 * each radio binds a Unix datagram socket <path>/r<id>.sock and senders send
 * every frame to all sockets in the directory; time is CLOCK_MONOTONIC, shared
 * by all processes of the machine.
 */
#define _POSIX_C_SOURCE 200809L

#include "radio_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SIM_TX_FIFO 3u
#define SIM_REMOTE_GRACE_US 2000u
#define SIM_MAX_PEERS 256u
#define SIM_PEER_REFRESH_US 200000u
#define SIM_MAX_QUEUE 4096u
#define SIM_MAGIC 0x4D524B50u /* "PKRM" */
#define SIM_WIRE_HEADER 80u

typedef struct sim_tx
{
    uint32_t sender;
    uint64_t sequence;
    uint64_t start_us;
    uint64_t end_us;
    int channel;
    int rate;
    uint8_t address[PK_RADIO_ADDRESS_SIZE];
    double x, y, z;
    double tx_power_dbm;
    uint8_t length;
    uint8_t data[PK_RADIO_MAX_FRAME];
} sim_tx;

typedef struct sim_pending
{
    uint64_t start_us;
    uint64_t end_us;
    uint32_t sender;
    int16_t rssi_dbm;
    uint8_t deliverable; /* same address and rate: handed to receive(); else interference only */
    uint8_t lost;
    uint8_t length;
    uint8_t data[PK_RADIO_MAX_FRAME];
} sim_pending;

typedef struct sim_radio sim_radio;

struct pk_sim_medium
{
    pk_sim_medium_config config;
    char path[80];
    pthread_mutex_t lock;
    sim_radio *radios;
    uint64_t manual_now;
    /* path mode: the sockets found in the directory */
    struct sockaddr_un *peers;
    size_t peer_count;
    uint64_t peers_scanned_at;
    int peers_scanned;
};

struct sim_radio
{
    pk_radio base;
    pk_sim_medium *medium;
    sim_radio *next;
    uint32_t id;
    /* medium->lock: */
    int channel;
    int rate;
    uint8_t address[PK_RADIO_ADDRESS_SIZE];
    double x, y, z;
    uint64_t sequence;
    /* lock: */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint64_t tx_from_us;  /* the current run of back-to-back transmissions: [tx_from, tx_until) */
    uint64_t tx_until_us;
    sim_pending *queue;
    uint32_t count;
    pk_radio_stats stats;
    int fd;
    struct sockaddr_un own;
};

static uint64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t medium_now(pk_sim_medium *medium)
{
    uint64_t now;
    if (medium->config.clock != PK_SIM_CLOCK_MANUAL)
        return monotonic_us();
    pthread_mutex_lock(&medium->lock);
    now = medium->manual_now;
    pthread_mutex_unlock(&medium->lock);
    return now;
}

static uint64_t grace_us(const pk_sim_medium *medium)
{
    return medium->path[0] != '\0' ? SIM_REMOTE_GRACE_US : 0u;
}

PK_NATIVE_API void pk_sim_medium_config_init(pk_sim_medium_config *config)
{
    if (config == NULL)
        return;
    memset(config, 0, sizeof *config);
    config->clock = PK_SIM_CLOCK_REAL;
    config->tx_power_dbm = 0.0;
    config->reference_loss_db = 40.0;
    config->path_loss_exponent = 3.0;
    config->noise_floor_dbm = -100.0;
    config->extra_loss = 0.0;
    config->capture_db = 6.0;
    config->queue_frames = 256;
}

PK_NATIVE_API int pk_sim_medium_create(const pk_sim_medium_config *config, pk_sim_medium **medium, pk_radio_error *error)
{
    pk_sim_medium *m;

    if (config == NULL || medium == NULL)
        return pk_radio_fail(error, PK_RADIO_ERROR_ARGUMENT, "config and medium must not be NULL");
    *medium = NULL;
    if (config->clock != PK_SIM_CLOCK_REAL && config->clock != PK_SIM_CLOCK_MANUAL)
        return pk_radio_fail(error, PK_RADIO_ERROR_ARGUMENT, "clock %d is not PK_SIM_CLOCK_REAL or PK_SIM_CLOCK_MANUAL", config->clock);
    if (!(config->extra_loss >= 0.0 && config->extra_loss <= 1.0))
        return pk_radio_fail(error, PK_RADIO_ERROR_ARGUMENT, "extra_loss must be between 0 and 1");
    if (!(config->path_loss_exponent > 0.0 && config->path_loss_exponent <= 10.0) || !isfinite(config->reference_loss_db)
        || !isfinite(config->tx_power_dbm) || !isfinite(config->noise_floor_dbm) || !(config->capture_db >= 0.0))
        return pk_radio_fail(error, PK_RADIO_ERROR_ARGUMENT, "the path-loss exponent must be in (0, 10] and the powers finite");
    if (config->queue_frames == 0 || config->queue_frames > SIM_MAX_QUEUE)
        return pk_radio_fail(error, PK_RADIO_ERROR_ARGUMENT, "queue_frames must be 1 to %u", SIM_MAX_QUEUE);
    if (config->path != NULL)
    {
        if (config->clock != PK_SIM_CLOCK_REAL)
            return pk_radio_fail(error, PK_RADIO_ERROR_ARGUMENT, "a medium shared by processes needs the real clock");
        if (config->path[0] == '\0' || strlen(config->path) >= 80)
            return pk_radio_fail(error, PK_RADIO_ERROR_ARGUMENT, "the medium path must be 1 to 79 bytes (Unix socket names are short)");
        if (mkdir(config->path, 0700) != 0 && errno != EEXIST)
            return pk_radio_fail(error, PK_RADIO_ERROR_SOCKET, "cannot create the medium directory %s: %s", config->path, strerror(errno));
    }

    m = (pk_sim_medium *)calloc(1, sizeof *m);
    if (m == NULL)
        return pk_radio_fail(error, PK_RADIO_ERROR_NO_MEMORY, "out of memory");
    m->config = *config;
    if (config->path != NULL)
    {
        snprintf(m->path, sizeof m->path, "%s", config->path);
        m->peers = (struct sockaddr_un *)calloc(SIM_MAX_PEERS, sizeof *m->peers);
        if (m->peers == NULL)
        {
            free(m);
            return pk_radio_fail(error, PK_RADIO_ERROR_NO_MEMORY, "out of memory");
        }
    }
    m->config.path = NULL; /* the caller's string is not kept */
    pthread_mutex_init(&m->lock, NULL);
    *medium = m;
    return PK_RADIO_OK;
}

PK_NATIVE_API void pk_sim_medium_destroy(pk_sim_medium *medium)
{
    if (medium == NULL)
        return;
    /* Radios still attached are the caller's bug; they keep a dangling pointer, so refuse quietly. */
    pthread_mutex_lock(&medium->lock);
    if (medium->radios != NULL)
    {
        pthread_mutex_unlock(&medium->lock);
        return;
    }
    pthread_mutex_unlock(&medium->lock);
    pthread_mutex_destroy(&medium->lock);
    free(medium->peers);
    free(medium);
}

PK_NATIVE_API int pk_sim_medium_set_time(pk_sim_medium *medium, uint64_t now_us)
{
    sim_radio *r;
    if (medium == NULL || medium->config.clock != PK_SIM_CLOCK_MANUAL)
        return PK_RADIO_ERROR_ARGUMENT;
    pthread_mutex_lock(&medium->lock);
    if (now_us < medium->manual_now)
    {
        pthread_mutex_unlock(&medium->lock);
        return PK_RADIO_ERROR_ARGUMENT; /* time does not go backwards */
    }
    medium->manual_now = now_us;
    for (r = medium->radios; r != NULL; r = r->next)
    {
        pthread_mutex_lock(&r->lock);
        pthread_cond_broadcast(&r->cond);
        pthread_mutex_unlock(&r->lock);
    }
    pthread_mutex_unlock(&medium->lock);
    return PK_RADIO_OK;
}

PK_NATIVE_API uint64_t pk_sim_medium_time(pk_sim_medium *medium)
{
    return medium == NULL ? 0 : medium_now(medium);
}

/* --- the receiving side --- */

static void mark_lost(sim_radio *r, sim_pending *p, int collision)
{
    if (p->lost)
        return;
    p->lost = 1;
    if (p->deliverable)
    {
        if (collision)
            r->stats.lost_collision++;
        else
            r->stats.lost_signal++;
    }
}

/* Drops entries that ended (plus grace) and were lost or are interference only. Under r->lock. */
static void purge(sim_radio *r, uint64_t now, uint64_t grace)
{
    uint32_t i = 0;
    while (i < r->count)
    {
        sim_pending *p = &r->queue[i];
        if ((p->lost || !p->deliverable) && p->end_us + grace <= now)
            r->queue[i] = r->queue[--r->count];
        else
            ++i;
    }
}

/* A frame reaches radio r. Under r->lock; the medium's config is read-only. */
static void hear(sim_radio *r, const sim_tx *tx, uint64_t now)
{
    const pk_sim_medium_config *c = &r->medium->config;
    double dx = tx->x - r->x, dy = tx->y - r->y, dz = tx->z - r->z;
    double rssi, snr;
    sim_pending p;
    uint32_t i;

    if (tx->channel != r->channel || tx->sender == r->id)
        return;
    memset(&p, 0, sizeof p);
    p.deliverable = tx->rate == r->rate && memcmp(tx->address, r->address, PK_RADIO_ADDRESS_SIZE) == 0;
    rssi = pk_model_rssi_dbm(tx->tx_power_dbm, c->reference_loss_db, c->path_loss_exponent, sqrt(dx * dx + dy * dy + dz * dz));
    if (rssi < c->noise_floor_dbm)
    {
        if (p.deliverable)
            r->stats.lost_signal++;
        return; /* below the noise: neither heard nor interfering */
    }
    p.start_us = tx->start_us;
    p.end_us = tx->end_us;
    p.sender = tx->sender;
    p.rssi_dbm = (int16_t)lround(rssi);
    p.length = tx->length;
    memcpy(p.data, tx->data, tx->length);

    snr = rssi - c->noise_floor_dbm;
    if (pk_model_uniform(c->seed, tx->sender, tx->sequence, r->id, 0) < pk_model_loss_probability(snr, tx->rate)
        || (c->extra_loss > 0.0 && pk_model_uniform(c->seed, tx->sender, tx->sequence, r->id, 1) < c->extra_loss))
        mark_lost(r, &p, 0);

    /* Half duplex: nothing is heard while this radio transmits. */
    if (p.start_us < r->tx_until_us && r->tx_from_us < p.end_us)
        mark_lost(r, &p, 1);

    purge(r, now, grace_us(r->medium));
    for (i = 0; i < r->count; ++i)
    {
        sim_pending *e = &r->queue[i];
        if (e->start_us < p.end_us && p.start_us < e->end_us)
        {
            double mine = rssi, theirs = e->rssi_dbm;
            if (mine >= theirs + c->capture_db)
                mark_lost(r, e, 1);
            else if (theirs >= mine + c->capture_db)
                mark_lost(r, &p, 1);
            else
            {
                mark_lost(r, e, 1);
                mark_lost(r, &p, 1);
            }
        }
    }
    if (r->count >= c->queue_frames)
    {
        if (p.deliverable && !p.lost)
            r->stats.dropped_queue_full++;
        return;
    }
    r->queue[r->count++] = p;
    pthread_cond_broadcast(&r->cond);
}

/* Takes the deliverable frame that ended first, if one is due. Under r->lock. Returns 1 when taken;
   otherwise *next_due is when the next one will be (UINT64_MAX: none). */
static int take(sim_radio *r, uint64_t now, pk_radio_frame *frame, uint64_t *next_due)
{
    uint64_t grace = grace_us(r->medium);
    uint32_t i, best = UINT32_MAX;
    uint64_t due = UINT64_MAX;

    purge(r, now, grace);
    for (i = 0; i < r->count; ++i)
    {
        const sim_pending *p = &r->queue[i];
        if (!p->deliverable || p->lost)
            continue;
        if (p->end_us + grace <= now && (best == UINT32_MAX || p->end_us < r->queue[best].end_us))
            best = i;
        else if (p->end_us + grace < due)
            due = p->end_us + grace;
    }
    *next_due = due;
    if (best == UINT32_MAX)
        return 0;
    {
        const sim_pending *p = &r->queue[best];
        memset(frame, 0, sizeof *frame);
        frame->timestamp_us = p->end_us;
        frame->sender = p->sender;
        frame->rssi_dbm = p->rssi_dbm;
        frame->length = p->length;
        memcpy(frame->data, p->data, p->length);
    }
    r->queue[best] = r->queue[--r->count];
    r->stats.received++;
    return 1;
}

/* --- the wire between processes --- */

static void put_u32(uint8_t *b, uint32_t v) { for (int i = 0; i < 4; ++i) b[i] = (uint8_t)(v >> (8 * i)); }
static void put_u64(uint8_t *b, uint64_t v) { for (int i = 0; i < 8; ++i) b[i] = (uint8_t)(v >> (8 * i)); }
static uint32_t get_u32(const uint8_t *b) { uint32_t v = 0; for (int i = 3; i >= 0; --i) v = (v << 8) | b[i]; return v; }
static uint64_t get_u64(const uint8_t *b) { uint64_t v = 0; for (int i = 7; i >= 0; --i) v = (v << 8) | b[i]; return v; }
static void put_f64(uint8_t *b, double d) { uint64_t v; memcpy(&v, &d, 8); put_u64(b, v); }
static double get_f64(const uint8_t *b) { uint64_t v = get_u64(b); double d; memcpy(&d, &v, 8); return d; }

/* [magic u32][version u8][channel u8][rate u8][length u8][sender u32][sequence u64][start u64][end u64]
   [x f64][y f64][z f64][tx power f64][address 5][pad 3][data length] — little endian. */
static size_t encode_tx(const sim_tx *tx, uint8_t *b)
{
    memset(b, 0, SIM_WIRE_HEADER);
    put_u32(b, SIM_MAGIC);
    b[4] = 1;
    b[5] = (uint8_t)tx->channel;
    b[6] = (uint8_t)tx->rate;
    b[7] = tx->length;
    put_u32(b + 8, tx->sender);
    put_u64(b + 12, tx->sequence);
    put_u64(b + 20, tx->start_us);
    put_u64(b + 28, tx->end_us);
    put_f64(b + 36, tx->x);
    put_f64(b + 44, tx->y);
    put_f64(b + 52, tx->z);
    put_f64(b + 60, tx->tx_power_dbm);
    memcpy(b + 68, tx->address, PK_RADIO_ADDRESS_SIZE);
    memcpy(b + SIM_WIRE_HEADER, tx->data, tx->length);
    return SIM_WIRE_HEADER + tx->length;
}

static int decode_tx(const uint8_t *b, size_t size, sim_tx *tx)
{
    if (size < SIM_WIRE_HEADER || get_u32(b) != SIM_MAGIC || b[4] != 1)
        return 0;
    tx->channel = b[5];
    tx->rate = b[6];
    tx->length = b[7];
    if (tx->channel > 125 || tx->rate > PK_RADIO_RATE_2M || tx->length == 0 || tx->length > PK_RADIO_MAX_FRAME
        || size != SIM_WIRE_HEADER + tx->length)
        return 0;
    tx->sender = get_u32(b + 8);
    tx->sequence = get_u64(b + 12);
    tx->start_us = get_u64(b + 20);
    tx->end_us = get_u64(b + 28);
    tx->x = get_f64(b + 36);
    tx->y = get_f64(b + 44);
    tx->z = get_f64(b + 52);
    tx->tx_power_dbm = get_f64(b + 60);
    if (tx->end_us <= tx->start_us || !isfinite(tx->x) || !isfinite(tx->y) || !isfinite(tx->z) || !isfinite(tx->tx_power_dbm))
        return 0;
    memcpy(tx->address, b + 68, PK_RADIO_ADDRESS_SIZE);
    memcpy(tx->data, b + SIM_WIRE_HEADER, tx->length);
    return 1;
}

/* Reads every datagram waiting on r's socket into its queue. Under r->lock. */
static void drain_socket(sim_radio *r, uint64_t now)
{
    uint8_t buffer[SIM_WIRE_HEADER + PK_RADIO_MAX_FRAME + 1];
    sim_tx tx;
    for (;;)
    {
        ssize_t n = recv(r->fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n < 0)
            return;
        if (decode_tx(buffer, (size_t)n, &tx))
            hear(r, &tx, now);
    }
}

/* Re-reads the directory's sockets. Under medium->lock. */
static void scan_peers(pk_sim_medium *m, uint64_t now)
{
    DIR *dir;
    struct dirent *entry;
    m->peer_count = 0;
    m->peers_scanned_at = now;
    m->peers_scanned = 1;
    dir = opendir(m->path);
    if (dir == NULL)
        return;
    while ((entry = readdir(dir)) != NULL && m->peer_count < SIM_MAX_PEERS)
    {
        unsigned id;
        char tail = 0;
        struct sockaddr_un *a;
        if (sscanf(entry->d_name, "r%u.soc%c", &id, &tail) != 2 || tail != 'k')
            continue;
        a = &m->peers[m->peer_count++];
        memset(a, 0, sizeof *a);
        a->sun_family = AF_UNIX;
        /* The name matched r<id>.sock, so it is rebuilt from the id: short enough by construction. */
        snprintf(a->sun_path, sizeof a->sun_path, "%.79s/r%u.sock", m->path, id);
    }
    closedir(dir);
}

/* --- the radio --- */

static sim_radio *as_sim(pk_radio *radio) { return (sim_radio *)radio; }

static int sim_set_channel(pk_radio *radio, int channel)
{
    sim_radio *r = as_sim(radio);
    pthread_mutex_lock(&r->medium->lock);
    pthread_mutex_lock(&r->lock);
    r->channel = channel;
    r->count = 0; /* what was on the old channel is gone */
    pthread_mutex_unlock(&r->lock);
    pthread_mutex_unlock(&r->medium->lock);
    return PK_RADIO_OK;
}

static int sim_set_address(pk_radio *radio, const uint8_t *address)
{
    sim_radio *r = as_sim(radio);
    pthread_mutex_lock(&r->medium->lock);
    pthread_mutex_lock(&r->lock);
    memcpy(r->address, address, PK_RADIO_ADDRESS_SIZE);
    pthread_mutex_unlock(&r->lock);
    pthread_mutex_unlock(&r->medium->lock);
    return PK_RADIO_OK;
}

static int sim_set_data_rate(pk_radio *radio, int data_rate)
{
    sim_radio *r = as_sim(radio);
    pthread_mutex_lock(&r->medium->lock);
    pthread_mutex_lock(&r->lock);
    r->rate = data_rate;
    pthread_mutex_unlock(&r->lock);
    pthread_mutex_unlock(&r->medium->lock);
    return PK_RADIO_OK;
}

static int sim_set_position(pk_radio *radio, double x, double y, double z)
{
    sim_radio *r = as_sim(radio);
    if (!isfinite(x) || !isfinite(y) || !isfinite(z))
        return pk_radio_fail_on(radio, PK_RADIO_ERROR_ARGUMENT, "a position must be finite");
    pthread_mutex_lock(&r->medium->lock);
    pthread_mutex_lock(&r->lock);
    r->x = x;
    r->y = y;
    r->z = z;
    pthread_mutex_unlock(&r->lock);
    pthread_mutex_unlock(&r->medium->lock);
    return PK_RADIO_OK;
}

static int sim_max_frame(pk_radio *radio)
{
    (void)radio;
    return PK_RADIO_MAX_FRAME;
}

static void sleep_us(uint64_t us)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(us / 1000000u);
    ts.tv_nsec = (long)(us % 1000000u) * 1000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    {
    }
}

static int sim_send(pk_radio *radio, const uint8_t *frame, size_t length)
{
    sim_radio *r = as_sim(radio);
    pk_sim_medium *m = r->medium;
    sim_radio *other;
    sim_tx tx;
    uint64_t now, airtime;

    for (;;)
    {
        pthread_mutex_lock(&m->lock);
        now = m->config.clock == PK_SIM_CLOCK_MANUAL ? m->manual_now : monotonic_us();
        airtime = pk_radio_airtime_us(r->rate, length);
        pthread_mutex_lock(&r->lock);
        /* The TX FIFO holds three frames: with the real clock, wait while it is full. */
        if (m->config.clock == PK_SIM_CLOCK_REAL && r->tx_until_us > now + (SIM_TX_FIFO - 1u) * airtime)
        {
            uint64_t wait = r->tx_until_us - now - (SIM_TX_FIFO - 1u) * airtime;
            pthread_mutex_unlock(&r->lock);
            pthread_mutex_unlock(&m->lock);
            sleep_us(wait);
            continue;
        }
        break;
    }

    memset(&tx, 0, sizeof tx);
    tx.sender = r->id;
    tx.sequence = r->sequence++;
    tx.start_us = r->tx_until_us > now ? r->tx_until_us : now;
    tx.end_us = tx.start_us + airtime;
    tx.channel = r->channel;
    tx.rate = r->rate;
    memcpy(tx.address, r->address, PK_RADIO_ADDRESS_SIZE);
    tx.x = r->x;
    tx.y = r->y;
    tx.z = r->z;
    tx.tx_power_dbm = m->config.tx_power_dbm;
    tx.length = (uint8_t)length;
    memcpy(tx.data, frame, length);

    /* Half duplex: what this radio was receiving during the frame is lost. */
    if (tx.start_us > r->tx_until_us)
        r->tx_from_us = tx.start_us;
    r->tx_until_us = tx.end_us;
    {
        uint32_t i;
        for (i = 0; i < r->count; ++i)
        {
            sim_pending *p = &r->queue[i];
            if (p->start_us < tx.end_us && tx.start_us < p->end_us)
                mark_lost(r, p, 1);
        }
    }
    r->stats.sent++;
    pthread_mutex_unlock(&r->lock);

    if (m->path[0] == '\0')
    {
        for (other = m->radios; other != NULL; other = other->next)
        {
            if (other == r)
                continue;
            pthread_mutex_lock(&other->lock);
            hear(other, &tx, now);
            pthread_mutex_unlock(&other->lock);
        }
    }
    else
    {
        uint8_t wire[SIM_WIRE_HEADER + PK_RADIO_MAX_FRAME];
        size_t size = encode_tx(&tx, wire), i;
        if (!m->peers_scanned || now - m->peers_scanned_at > SIM_PEER_REFRESH_US)
            scan_peers(m, now);
        for (i = 0; i < m->peer_count; ++i)
        {
            if (strcmp(m->peers[i].sun_path, r->own.sun_path) == 0)
                continue;
            /* A full or vanished receiver loses the frame, as on the air. */
            (void)sendto(r->fd, wire, size, MSG_DONTWAIT, (const struct sockaddr *)&m->peers[i], sizeof m->peers[i]);
        }
    }
    pthread_mutex_unlock(&m->lock);
    return PK_RADIO_OK;
}

/* Condition variables wait on CLOCK_MONOTONIC where pthread_condattr_setclock exists; macOS has only the realtime clock. */
#if defined(__APPLE__)
#  define SIM_COND_CLOCK CLOCK_REALTIME
#else
#  define SIM_COND_CLOCK CLOCK_MONOTONIC
#endif

static void deadline_after(struct timespec *ts, uint64_t us)
{
    clock_gettime(SIM_COND_CLOCK, ts);
    ts->tv_sec += (time_t)(us / 1000000u);
    ts->tv_nsec += (long)(us % 1000000u) * 1000L;
    if (ts->tv_nsec >= 1000000000L)
    {
        ts->tv_sec += 1;
        ts->tv_nsec -= 1000000000L;
    }
}

static int sim_receive(pk_radio *radio, pk_radio_frame *frame, int timeout_ms)
{
    sim_radio *r = as_sim(radio);
    pk_sim_medium *m = r->medium;
    int manual = m->config.clock == PK_SIM_CLOCK_MANUAL;
    uint64_t start = monotonic_us();
    uint64_t limit = timeout_ms < 0 ? UINT64_MAX : start + (uint64_t)timeout_ms * 1000u;

    for (;;)
    {
        uint64_t now = medium_now(m), next_due, real = monotonic_us(), wait;
        pthread_mutex_lock(&r->lock);
        if (r->fd >= 0)
            drain_socket(r, now);
        if (take(r, now, frame, &next_due))
        {
            pthread_mutex_unlock(&r->lock);
            return PK_RADIO_OK;
        }
        if (real >= limit)
        {
            pthread_mutex_unlock(&r->lock);
            return PK_RADIO_TIMEOUT;
        }
        wait = limit - real;
        if (!manual && next_due != UINT64_MAX && next_due - now < wait)
            wait = next_due > now ? next_due - now : 0;
        if (wait > 1000000u)
            wait = 1000000u;
        if (r->fd >= 0)
        {
            struct pollfd pfd;
            pthread_mutex_unlock(&r->lock);
            pfd.fd = r->fd;
            pfd.events = POLLIN;
            pfd.revents = 0;
            /* poll() counts milliseconds: round up so a frame due in 300 us is not a busy loop. */
            (void)poll(&pfd, 1, (int)((wait + 999u) / 1000u));
        }
        else
        {
            struct timespec deadline;
            deadline_after(&deadline, wait);
            pthread_cond_timedwait(&r->cond, &r->lock, &deadline);
            pthread_mutex_unlock(&r->lock);
        }
    }
}

static int sim_get_stats(pk_radio *radio, pk_radio_stats *stats)
{
    sim_radio *r = as_sim(radio);
    pthread_mutex_lock(&r->lock);
    *stats = r->stats;
    pthread_mutex_unlock(&r->lock);
    return PK_RADIO_OK;
}

static void sim_close(pk_radio *radio)
{
    sim_radio *r = as_sim(radio);
    pk_sim_medium *m = r->medium;
    sim_radio **link;

    pthread_mutex_lock(&m->lock);
    for (link = &m->radios; *link != NULL; link = &(*link)->next)
    {
        if (*link == r)
        {
            *link = r->next;
            break;
        }
    }
    pthread_mutex_unlock(&m->lock);
    if (r->fd >= 0)
    {
        close(r->fd);
        unlink(r->own.sun_path);
    }
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r->queue);
    free(r);
}

static const pk_radio_ops sim_ops = {
    sim_set_channel, sim_set_address, sim_set_data_rate, sim_set_position,
    sim_max_frame, sim_send, sim_receive, sim_get_stats, sim_close,
};

static int bind_socket(sim_radio *r, pk_radio_error *error)
{
    int fd, size = 1 << 20;
    memset(&r->own, 0, sizeof r->own);
    r->own.sun_family = AF_UNIX;
    snprintf(r->own.sun_path, sizeof r->own.sun_path, "%.79s/r%u.sock", r->medium->path, r->id);
    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0)
        return pk_radio_fail(error, PK_RADIO_ERROR_SOCKET, "socket(AF_UNIX, SOCK_DGRAM) failed: %s", strerror(errno));
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (bind(fd, (const struct sockaddr *)&r->own, sizeof r->own) != 0)
    {
        int bind_errno = errno;
        if (bind_errno == EADDRINUSE)
        {
            /* A socket file nobody listens on is left over from a crashed process: take it over. */
            int probe = socket(AF_UNIX, SOCK_DGRAM, 0);
            int stale = probe >= 0 && connect(probe, (const struct sockaddr *)&r->own, sizeof r->own) != 0 && errno == ECONNREFUSED;
            if (probe >= 0)
                close(probe);
            if (stale && unlink(r->own.sun_path) == 0 && bind(fd, (const struct sockaddr *)&r->own, sizeof r->own) == 0)
            {
                r->fd = fd;
                return PK_RADIO_OK;
            }
            close(fd);
            return pk_radio_fail(error, PK_RADIO_ERROR_IN_USE, "radio id %u is already attached to the medium at %s", r->id, r->medium->path);
        }
        close(fd);
        return pk_radio_fail(error, PK_RADIO_ERROR_SOCKET, "bind(%s) failed: %s", r->own.sun_path, strerror(bind_errno));
    }
    r->fd = fd;
    return PK_RADIO_OK;
}

PK_NATIVE_API int pk_radio_open_sim(pk_sim_medium *medium, uint32_t id, double x, double y, double z, pk_radio **radio, pk_radio_error *error)
{
    static const uint8_t default_address[PK_RADIO_ADDRESS_SIZE] = { 0xE7, 0xE7, 0xE7, 0xE7, 0xE7 };
    sim_radio *r, *other;
    pthread_condattr_t attr;
    int status;

    if (medium == NULL || radio == NULL)
        return pk_radio_fail(error, PK_RADIO_ERROR_ARGUMENT, "medium and radio must not be NULL");
    *radio = NULL;
    if (!isfinite(x) || !isfinite(y) || !isfinite(z))
        return pk_radio_fail(error, PK_RADIO_ERROR_ARGUMENT, "a position must be finite");
    r = (sim_radio *)calloc(1, sizeof *r);
    if (r == NULL)
        return pk_radio_fail(error, PK_RADIO_ERROR_NO_MEMORY, "out of memory");
    r->queue = (sim_pending *)calloc(medium->config.queue_frames, sizeof *r->queue);
    if (r->queue == NULL)
    {
        free(r);
        return pk_radio_fail(error, PK_RADIO_ERROR_NO_MEMORY, "out of memory");
    }
    r->base.ops = &sim_ops;
    r->medium = medium;
    r->id = id;
    r->channel = 80;
    r->rate = PK_RADIO_RATE_2M;
    memcpy(r->address, default_address, sizeof default_address);
    r->x = x;
    r->y = y;
    r->z = z;
    r->fd = -1;
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_init(&attr);
#if !defined(__APPLE__)
    pthread_condattr_setclock(&attr, SIM_COND_CLOCK);
#endif
    pthread_cond_init(&r->cond, &attr);
    pthread_condattr_destroy(&attr);

    pthread_mutex_lock(&medium->lock);
    status = PK_RADIO_OK;
    for (other = medium->radios; other != NULL; other = other->next)
    {
        if (other->id == id)
            status = pk_radio_fail(error, PK_RADIO_ERROR_IN_USE, "radio id %u is already attached to this medium", id);
    }
    if (status == PK_RADIO_OK && medium->path[0] != '\0')
    {
        status = bind_socket(r, error);
        medium->peers_scanned = 0; /* rescan on the next send */
    }
    if (status != PK_RADIO_OK)
    {
        pthread_mutex_unlock(&medium->lock);
        pthread_cond_destroy(&r->cond);
        pthread_mutex_destroy(&r->lock);
        free(r->queue);
        free(r);
        return status;
    }
    r->next = medium->radios;
    medium->radios = r;
    pthread_mutex_unlock(&medium->lock);
    *radio = &r->base;
    return PK_RADIO_OK;
}
