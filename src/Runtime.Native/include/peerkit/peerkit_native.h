/**
 * @file peerkit_native.h
 * @brief Public C API of the PeerKit native runtime shim (libpeerkit_native).
 *
 * This is the only public header of the shim. Every exported function is
 * declared here with PK_NATIVE_API; everything else in the library is built
 * with hidden visibility and is not part of the ABI.
 *
 * The library keeps no global state: every function is safe to call from any
 * thread at any time, without an initialisation call.
 */
#ifndef PEERKIT_NATIVE_H
#define PEERKIT_NATIVE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * PK_NATIVE_API marks a symbol as part of the exported ABI.
 *
 * - PK_NATIVE_BUILDING is defined (privately) while the library itself is
 *   compiled, so declarations become exports.
 * - PK_NATIVE_STATIC may be defined by code that links a static build, so no
 *   import/export decoration is applied.
 */
#if defined(PK_NATIVE_STATIC)
#  define PK_NATIVE_API
#elif defined(_WIN32) || defined(__CYGWIN__)
#  if defined(PK_NATIVE_BUILDING)
#    define PK_NATIVE_API __declspec(dllexport)
#  else
#    define PK_NATIVE_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define PK_NATIVE_API __attribute__((visibility("default")))
#else
#  define PK_NATIVE_API
#endif

/** Extracts the major component from a value returned by pk_native_version(). */
#define PK_NATIVE_VERSION_GET_MAJOR(version) (((version) >> 16) & 0xFFFFu)
/** Extracts the minor component from a value returned by pk_native_version(). */
#define PK_NATIVE_VERSION_GET_MINOR(version) (((version) >> 8) & 0xFFu)
/** Extracts the patch component from a value returned by pk_native_version(). */
#define PK_NATIVE_VERSION_GET_PATCH(version) ((version) & 0xFFu)

/**
 * Returns the version of the loaded library, packed as
 * (major << 16) | (minor << 8) | patch.
 */
PK_NATIVE_API uint32_t pk_native_version(void);

/**
 * Returns the version of the loaded library as a "major.minor.patch" string,
 * for example "0.1.0". The string is static and must not be freed; it always
 * agrees with pk_native_version().
 */
PK_NATIVE_API const char *pk_native_version_string(void);

/* ==== Radio (issue 16): Crazyflie P2P, the simulated medium, the Crazyradio ====
 *
 * A pk_radio is one 2.4 GHz radio: a simulated one attached to a pk_sim_medium,
 * or a Crazyradio USB dongle. Every function returns PK_RADIO_OK (0) or a
 * negative pk_radio_status; pk_radio_receive() also returns PK_RADIO_TIMEOUT.
 * One thread may receive while others send; close only after every other
 * call on the radio has returned. See docs/radio.md.
 */
#include <stddef.h>

/** Most data bytes of one Crazyflie P2P packet (radiolink.h's P2P_MAX_DATA_SIZE). */
#define PK_P2P_MAX_DATA_SIZE 60
/** Most bytes of one on-air frame the API carries (the Crazyradio 2.0 sniffer's limit is 63). */
#define PK_RADIO_MAX_FRAME 64
/** Length of a radio address. */
#define PK_RADIO_ADDRESS_SIZE 5

/** Result codes. Negative values are errors; pk_radio_status_string() names them. */
typedef enum pk_radio_status
{
    PK_RADIO_OK = 0,
    PK_RADIO_TIMEOUT = 1,
    PK_RADIO_ERROR_ARGUMENT = -1,
    PK_RADIO_ERROR_NO_MEMORY = -2,
    PK_RADIO_ERROR_TOO_LARGE = -3,
    PK_RADIO_ERROR_NO_LIBUSB = -4,
    PK_RADIO_ERROR_NO_DEVICE = -5,
    PK_RADIO_ERROR_PERMISSION = -6,
    PK_RADIO_ERROR_OLD_FIRMWARE = -7,
    PK_RADIO_ERROR_IO = -8,
    PK_RADIO_ERROR_UNSUPPORTED = -9,
    PK_RADIO_ERROR_SOCKET = -10,
    PK_RADIO_ERROR_IN_USE = -11
} pk_radio_status;

/** Air data rates, numbered as the Crazyradio's SET_DATA_RATE request. */
typedef enum pk_radio_data_rate
{
    PK_RADIO_RATE_250K = 0,
    PK_RADIO_RATE_1M = 1,
    PK_RADIO_RATE_2M = 2
} pk_radio_data_rate;

/** How a simulated medium tells time. */
typedef enum pk_sim_clock
{
    /** CLOCK_MONOTONIC; a send waits while the radio's 3-frame TX FIFO is full. Required across processes. */
    PK_SIM_CLOCK_REAL = 0,
    /** Time moves only with pk_sim_medium_set_time(): deterministic, faster than real time. */
    PK_SIM_CLOCK_MANUAL = 1
} pk_sim_clock;

/** One received frame. */
typedef struct pk_radio_frame
{
    uint64_t timestamp_us; /**< when the frame ended on the air (sim: medium time; Crazyradio: dongle timer) */
    uint32_t sender;       /**< sim: the sending radio's id; Crazyradio: 0 */
    int16_t rssi_dbm;      /**< received signal strength in dBm (negative) */
    uint8_t length;        /**< bytes in data */
    uint8_t pipe;          /**< receive pipe (Crazyradio sniffer), 0 in the simulator */
    uint8_t data[PK_RADIO_MAX_FRAME];
} pk_radio_frame;

/** Counters of one radio. */
typedef struct pk_radio_stats
{
    uint64_t sent;              /**< frames put on the air */
    uint64_t received;          /**< frames handed to pk_radio_receive() */
    uint64_t lost_signal;       /**< frames lost to a low SNR (or the medium's extra loss) */
    uint64_t lost_collision;    /**< frames destroyed by an overlapping frame, or sent while this radio transmitted */
    uint64_t dropped_queue_full; /**< frames dropped because the receive queue was full */
} pk_radio_stats;

/** Settings of a simulated medium; pk_sim_medium_config_init() fills the defaults. */
typedef struct pk_sim_medium_config
{
    uint64_t seed;               /**< seeds every random decision (loss) */
    const char *path;            /**< NULL: in-process; else a directory shared by processes (Unix datagram sockets) */
    int clock;                   /**< a pk_sim_clock */
    double tx_power_dbm;         /**< transmit power, default 0 dBm */
    double reference_loss_db;    /**< path loss at 1 m, default 40.0 dB (free space at 2.4 GHz) */
    double path_loss_exponent;   /**< log-distance exponent, default 3.0 */
    double noise_floor_dbm;      /**< default -100 dBm */
    double extra_loss;           /**< probability 0..1 of losing any frame, like the Crazyradio 2.0's loss simulation */
    double capture_db;           /**< a colliding frame this much stronger survives; default 6 dB */
    uint32_t queue_frames;       /**< each radio's receive queue, in frames (default 256, at most 4096) */
} pk_sim_medium_config;

/** Opaque: a simulated medium. */
typedef struct pk_sim_medium pk_sim_medium;
/** Opaque: a radio. */
typedef struct pk_radio pk_radio;

/**
 * The USB functions the Crazyradio backend calls: NULL in pk_crazyradio_config
 * means libusb-1.0, loaded with dlopen() at run time. Tests inject their own.
 * Return values are libusb's: >= 0 success (bytes for transfers), < 0 a LIBUSB_ERROR_*.
 */
typedef struct pk_usb_api
{
    void *context;
    /** Finds the index-th device with one of the ids (pairs of vid, pid); opens it and claims interface 0. */
    int (*open)(void *context, const uint16_t *ids, size_t id_count, int index,
                void **device, uint16_t *vid, uint16_t *pid, uint16_t *bcd_device);
    int (*control)(void *context, void *device, uint8_t request_type, uint8_t request,
                   uint16_t value, uint16_t index, uint8_t *data, uint16_t length, unsigned timeout_ms);
    int (*bulk)(void *context, void *device, uint8_t endpoint, uint8_t *data, int length,
                int *transferred, unsigned timeout_ms);
    void (*close)(void *context, void *device);
} pk_usb_api;

/** Crazyradio modes. */
typedef enum pk_crazyradio_mode
{
    /** Sniffer on a Crazyradio 2.0 (0x35F0:0xAD20), else PA legacy. */
    PK_CRAZYRADIO_AUTO = 0,
    /** Crazyradio 2.0 sniffer mode: sends and receives P2P. */
    PK_CRAZYRADIO_SNIFFER = 1,
    /** Crazyradio PA protocol (0x1915:0x7777): ACK off, sends frames of at most 32 bytes, cannot receive P2P. */
    PK_CRAZYRADIO_LEGACY = 2
} pk_crazyradio_mode;

/** Settings of a Crazyradio; zero-initialise, then set what you need. */
typedef struct pk_crazyradio_config
{
    const pk_usb_api *usb;   /**< NULL: libusb-1.0 through dlopen() */
    const char *libusb_path; /**< NULL: "libusb-1.0.so.0" (the platform's name elsewhere) */
    int device_index;        /**< which dongle, 0 = the first */
    int mode;                /**< a pk_crazyradio_mode */
} pk_crazyradio_config;

/** Room for an error message: what failed and what to do. */
typedef struct pk_radio_error
{
    char message[256];
} pk_radio_error;

/** A static, human-readable name for a pk_radio_status. */
PK_NATIVE_API const char *pk_radio_status_string(int status);
/** Writes the P2P frame [0xFF, 0x80 | port, data] into frame; returns its length, or an error (port > 15: ARGUMENT, length > 60: TOO_LARGE). */
PK_NATIVE_API int pk_p2p_encode(int port, const uint8_t *data, size_t length, uint8_t *frame, size_t capacity);
/** 1 when the Crazyflie firmware takes frame for P2P: >= 2 bytes, (b0 & 0xF3) == 0xF3, (b1 & 0xF0) == 0x80; else 0. */
PK_NATIVE_API int pk_p2p_accepts(const uint8_t *frame, size_t length);
/** Microseconds an Enhanced ShockBurst frame of frame_length payload bytes occupies the air; 0 for a bad rate or length. */
PK_NATIVE_API uint32_t pk_radio_airtime_us(int data_rate, size_t frame_length);

/** Fills config with the defaults (in-process, real clock, seed 0). */
PK_NATIVE_API void pk_sim_medium_config_init(pk_sim_medium_config *config);
/** Creates a medium; with config->path, joins the medium shared by every process that uses that directory. */
PK_NATIVE_API int pk_sim_medium_create(const pk_sim_medium_config *config, pk_sim_medium **medium, pk_radio_error *error);
/** Destroys a medium; close its radios first (a medium with radios is left alone). */
PK_NATIVE_API void pk_sim_medium_destroy(pk_sim_medium *medium);
/** Manual clock only: moves the medium's time forward to now_us and wakes the receivers. */
PK_NATIVE_API int pk_sim_medium_set_time(pk_sim_medium *medium, uint64_t now_us);
/** The medium's time in microseconds. */
PK_NATIVE_API uint64_t pk_sim_medium_time(pk_sim_medium *medium);
/** Attaches a radio with a unique id at a position (metres) to a medium: channel 80, 2 Mbit/s, address FF:E7:E7:E7:E7. */
PK_NATIVE_API int pk_radio_open_sim(pk_sim_medium *medium, uint32_t id, double x, double y, double z, pk_radio **radio, pk_radio_error *error);
/** Moves a simulated radio (UNSUPPORTED on hardware). */
PK_NATIVE_API int pk_radio_set_position(pk_radio *radio, double x, double y, double z);
/** Opens a Crazyradio dongle and configures it for P2P: channel 80, 2 Mbit/s, address FF:E7:E7:E7:E7, no ACK. */
PK_NATIVE_API int pk_radio_open_crazyradio(const pk_crazyradio_config *config, pk_radio **radio, pk_radio_error *error);
/** Sets the channel, 0 to 125 (2400 + channel MHz). */
PK_NATIVE_API int pk_radio_set_channel(pk_radio *radio, int channel);
/** Sets the 5-byte address frames are sent to and received on. */
PK_NATIVE_API int pk_radio_set_address(pk_radio *radio, const uint8_t *address);
/** Sets the data rate, a pk_radio_data_rate. */
PK_NATIVE_API int pk_radio_set_data_rate(pk_radio *radio, int data_rate);
/** The most bytes one frame may have on this radio: 64 simulated, 63 Crazyradio 2.0 sniffer, 32 Crazyradio PA. */
PK_NATIVE_API int pk_radio_max_frame(pk_radio *radio);
/** Puts one frame on the air, without acknowledgement. TOO_LARGE (naming the limit in pk_radio_last_error) above pk_radio_max_frame. */
PK_NATIVE_API int pk_radio_send(pk_radio *radio, const uint8_t *frame, size_t length);
/** Waits up to timeout_ms (< 0: forever, 0: poll) for a frame: PK_RADIO_OK, PK_RADIO_TIMEOUT or an error. */
PK_NATIVE_API int pk_radio_receive(pk_radio *radio, pk_radio_frame *frame, int timeout_ms);
/** Copies the radio's counters. */
PK_NATIVE_API int pk_radio_get_stats(pk_radio *radio, pk_radio_stats *stats);
/** The message of the radio's last error: what failed and what to do. */
PK_NATIVE_API const char *pk_radio_last_error(pk_radio *radio);
/** Closes the radio (detaches it from its medium, or releases the dongle). */
PK_NATIVE_API void pk_radio_close(pk_radio *radio);
/* ==== end of radio ==== */
/* ==== wpa_supplicant control client (src/wpa_ctrl.c, wpa_event.c, wpa_command.c) ====
 *
 * The control interface of wpa_supplicant: a Unix datagram socket per
 * interface (or one global socket); the client binds its own socket, sends
 * text commands and reads text replies. A socket that sent ATTACH receives
 * events as "[IFNAME=<if> ]<level>TEXT". Use one handle for commands and a
 * second, attached one for events. See docs/wifi-direct.md.
 */

/** Results of the pk_wpa_* functions: 0 or a positive length on success, one of these on failure. */
#define PK_WPA_OK 0
#define PK_WPA_ERR_ARGUMENT (-1)   /* a NULL pointer, a bad MAC or interface name, a value out of range */
#define PK_WPA_ERR_PATH (-2)       /* a socket path longer than sun_path allows */
#define PK_WPA_ERR_SOCKET (-3)     /* socket() or bind() of the client's own socket failed (see os_error) */
#define PK_WPA_ERR_CONNECT (-4)    /* no control socket at that path, or nobody listens (see os_error) */
#define PK_WPA_ERR_SEND (-5)       /* send() failed: the supplicant went away (see os_error) */
#define PK_WPA_ERR_RECEIVE (-6)    /* recv()/poll() failed (see os_error) */
#define PK_WPA_ERR_TIMEOUT (-7)    /* no reply (or no event) within the timeout */
#define PK_WPA_ERR_TOO_LONG (-8)   /* the output buffer is too small, or a datagram was longer than it */
#define PK_WPA_ERR_MEMORY (-9)     /* malloc failed */
#define PK_WPA_ERR_REPLY (-10)     /* the supplicant answered something else than expected (e.g. not OK to ATTACH) */

/** Sizes of the text fields below, terminating NUL included. */
#define PK_WPA_ADDR_SIZE 18        /* "02:00:00:00:01:00" */
#define PK_WPA_IFNAME_SIZE 64
#define PK_WPA_NAME_SIZE 64        /* a WPS device name is at most 32 bytes; room for escapes */
#define PK_WPA_DEVTYPE_SIZE 32     /* "1-0050F204-1" */
#define PK_WPA_SSID_SIZE 132       /* 32 octets, printed escaped (\xNN) at most 4 characters each */
#define PK_WPA_PASSPHRASE_SIZE 68  /* 8..63 characters */
#define PK_WPA_PSK_SIZE 68         /* 64 hex digits */
#define PK_WPA_IP_SIZE 16
#define PK_WPA_WORD_SIZE 32        /* a reason, a role, an event name's tail */

/** The events pk_wpa_event_parse() recognizes; anything else is PK_WPA_EVENT_UNKNOWN (fields left empty). */
typedef enum pk_wpa_event_kind
{
    PK_WPA_EVENT_UNKNOWN = 0,
    PK_WPA_EVENT_DEVICE_FOUND = 1,             /* P2P-DEVICE-FOUND <addr> p2p_dev_addr= pri_dev_type= name='' config_methods= dev_capab= group_capab= ... */
    PK_WPA_EVENT_DEVICE_LOST = 2,              /* P2P-DEVICE-LOST p2p_dev_addr= */
    PK_WPA_EVENT_FIND_STOPPED = 3,             /* P2P-FIND-STOPPED */
    PK_WPA_EVENT_GO_NEG_REQUEST = 4,           /* P2P-GO-NEG-REQUEST <addr> dev_passwd_id= go_intent= */
    PK_WPA_EVENT_GO_NEG_SUCCESS = 5,           /* P2P-GO-NEG-SUCCESS role=GO|client freq= ht40= peer_dev= peer_iface= wps_method= */
    PK_WPA_EVENT_GO_NEG_FAILURE = 6,           /* P2P-GO-NEG-FAILURE status= */
    PK_WPA_EVENT_GROUP_FORMATION_SUCCESS = 7,  /* P2P-GROUP-FORMATION-SUCCESS */
    PK_WPA_EVENT_GROUP_FORMATION_FAILURE = 8,  /* P2P-GROUP-FORMATION-FAILURE [reason=] */
    PK_WPA_EVENT_GROUP_STARTED = 9,            /* P2P-GROUP-STARTED <if> GO|client ssid="" freq= [psk=|passphrase=""] go_dev_addr= [[PERSISTENT]] [ip_addr= ip_mask= go_ip_addr=] */
    PK_WPA_EVENT_GROUP_REMOVED = 10,           /* P2P-GROUP-REMOVED <if> GO|client [reason=] */
    PK_WPA_EVENT_INVITATION_RECEIVED = 11,     /* P2P-INVITATION-RECEIVED sa= [go_dev_addr=] [bssid=] [persistent=] ... */
    PK_WPA_EVENT_INVITATION_RESULT = 12,       /* P2P-INVITATION-RESULT status= [bssid] */
    PK_WPA_EVENT_AP_STA_CONNECTED = 13,        /* AP-STA-CONNECTED <addr> [p2p_dev_addr=] */
    PK_WPA_EVENT_AP_STA_DISCONNECTED = 14,     /* AP-STA-DISCONNECTED <addr> [p2p_dev_addr=] */
    PK_WPA_EVENT_TERMINATING = 15              /* CTRL-EVENT-TERMINATING */
} pk_wpa_event_kind;

/**
 * One parsed event. Fields the event does not carry are empty strings or -1
 * (numbers); unknown key=value fields are skipped, so newer supplicants that
 * append fields parse the same.
 */
typedef struct pk_wpa_event
{
    int32_t kind;                            /* pk_wpa_event_kind */
    int32_t level;                           /* the <N> priority, -1 if absent */
    int32_t freq;                            /* MHz */
    int32_t status;                          /* GO-NEG-FAILURE / INVITATION-RESULT status */
    int32_t is_go;                           /* 1 GO, 0 client */
    int32_t persistent;                      /* GROUP-STARTED [PERSISTENT]: 1; INVITATION-RECEIVED persistent=<id>: the id */
    int32_t go_intent;
    int32_t dev_passwd_id;
    int64_t config_methods;
    int64_t dev_capab;
    int64_t group_capab;
    char ifname[PK_WPA_IFNAME_SIZE];         /* the IFNAME= prefix (global socket) */
    char group_ifname[PK_WPA_IFNAME_SIZE];   /* GROUP-STARTED / GROUP-REMOVED interface */
    char address[PK_WPA_ADDR_SIZE];          /* the positional address (DEVICE-FOUND, GO-NEG-REQUEST, AP-STA-*, INVITATION sa=) */
    char device_address[PK_WPA_ADDR_SIZE];   /* p2p_dev_addr= or peer_dev= */
    char go_device_address[PK_WPA_ADDR_SIZE];/* go_dev_addr= */
    char name[PK_WPA_NAME_SIZE];             /* name='...' */
    char primary_device_type[PK_WPA_DEVTYPE_SIZE];
    char ssid[PK_WPA_SSID_SIZE];             /* as printed (escapes kept) */
    char passphrase[PK_WPA_PASSPHRASE_SIZE];
    char psk[PK_WPA_PSK_SIZE];
    char ip_address[PK_WPA_IP_SIZE];         /* ip_addr= */
    char ip_mask[PK_WPA_IP_SIZE];            /* ip_mask= */
    char go_ip_address[PK_WPA_IP_SIZE];      /* go_ip_addr= */
    char reason[PK_WPA_WORD_SIZE];           /* GROUP-REMOVED / FORMATION-FAILURE reason= */
    char wps_method[PK_WPA_WORD_SIZE];
} pk_wpa_event;

/** A peer as P2P_PEER FIRST / NEXT-<addr> / <addr> describes it. Numbers absent from the reply are -1. */
typedef struct pk_wpa_peer
{
    int64_t config_methods;
    int64_t dev_capab;
    int64_t group_capab;
    int32_t level;                           /* signal, dBm */
    int32_t persistent;                      /* the persistent network id shared with it, or -1 */
    char device_address[PK_WPA_ADDR_SIZE];
    char interface_address[PK_WPA_ADDR_SIZE];
    char name[PK_WPA_NAME_SIZE];
    char primary_device_type[PK_WPA_DEVTYPE_SIZE];
} pk_wpa_peer;

/** How a reply reads: the first line. */
#define PK_WPA_REPLY_DATA 0        /* anything else: data (a PIN, a peer, STATUS lines) */
#define PK_WPA_REPLY_OK 1          /* "OK" */
#define PK_WPA_REPLY_PONG 2        /* "PONG" */
#define PK_WPA_REPLY_FAIL 3        /* "FAIL" or "FAIL-<reason>" */
#define PK_WPA_REPLY_UNKNOWN_COMMAND 4 /* "UNKNOWN COMMAND": no such command here (on the global socket: no P2P device) */

/** Opaque handle of one control connection. */
typedef struct pk_wpa_ctrl pk_wpa_ctrl;

/**
 * Connects to the control socket at server_path. The client's own socket is
 * bound in client_dir (NULL: "/tmp"). On failure returns a PK_WPA_ERR_* and
 * sets *os_error (if not NULL) to the errno that caused it.
 */
PK_NATIVE_API int32_t pk_wpa_open(const char *server_path, const char *client_dir, pk_wpa_ctrl **ctrl, int32_t *os_error);
/** Closes the connection and removes the client's socket file. NULL is ignored. */
PK_NATIVE_API void pk_wpa_close(pk_wpa_ctrl *ctrl);
/** The errno of the last failed call on this handle (0 if none). */
PK_NATIVE_API int32_t pk_wpa_os_error(const pk_wpa_ctrl *ctrl);
/**
 * Sends a command and waits up to timeout_ms for its reply, skipping events
 * ("<N>..." datagrams) if the handle is attached. Returns the reply length
 * (NUL-terminated in reply) or a PK_WPA_ERR_*.
 */
PK_NATIVE_API int32_t pk_wpa_request(pk_wpa_ctrl *ctrl, const char *command, char *reply, int32_t reply_size, int32_t timeout_ms);
/** ATTACH: this handle receives events from now on. PK_WPA_OK, or PK_WPA_ERR_REPLY if the answer was not OK. */
PK_NATIVE_API int32_t pk_wpa_attach(pk_wpa_ctrl *ctrl, int32_t timeout_ms);
/**
 * Waits up to timeout_ms for one datagram (an event on an attached handle).
 * Returns its length (NUL-terminated in buffer), PK_WPA_ERR_TIMEOUT, or another PK_WPA_ERR_*.
 */
PK_NATIVE_API int32_t pk_wpa_receive(pk_wpa_ctrl *ctrl, char *buffer, int32_t buffer_size, int32_t timeout_ms);

/** Parses one event line (length bytes, need not be NUL-terminated). Returns PK_WPA_OK (kind may be UNKNOWN) or PK_WPA_ERR_ARGUMENT. */
PK_NATIVE_API int32_t pk_wpa_event_parse(const char *line, int32_t length, pk_wpa_event *event);
/** Classifies a reply by its first line: PK_WPA_REPLY_*. */
PK_NATIVE_API int32_t pk_wpa_reply_kind(const char *reply, int32_t length);
/**
 * Finds "key=value" on its own line of a reply (STATUS, P2P_PEER) and copies
 * the value. Returns its length, -1 if the key is absent, or PK_WPA_ERR_TOO_LONG.
 */
PK_NATIVE_API int32_t pk_wpa_reply_value(const char *reply, int32_t length, const char *key, char *value, int32_t value_size);
/** Parses a P2P_PEER reply. PK_WPA_OK, or PK_WPA_ERR_REPLY if it does not start with a MAC address (e.g. FAIL: no more peers). */
PK_NATIVE_API int32_t pk_wpa_peer_parse(const char *reply, int32_t length, pk_wpa_peer *peer);

/*
 * Command builders. Each writes a NUL-terminated command into buffer and
 * returns its length, or PK_WPA_ERR_ARGUMENT (a malformed MAC address or
 * interface name, an out-of-range number: nothing is written that could
 * smuggle a second command) or PK_WPA_ERR_TOO_LONG.
 */
/** P2P_FIND [timeout_s] [type=social|progressive]: timeout_s 0 = none; type 0 full, 1 social, 2 progressive. */
PK_NATIVE_API int32_t pk_wpa_build_p2p_find(char *buffer, int32_t size, int32_t timeout_s, int32_t type);
/** P2P_STOP_FIND. */
PK_NATIVE_API int32_t pk_wpa_build_p2p_stop_find(char *buffer, int32_t size);
/** P2P_PEER FIRST (address NULL or ""), P2P_PEER NEXT-<address> (next != 0), or P2P_PEER <address>. */
PK_NATIVE_API int32_t pk_wpa_build_p2p_peer(char *buffer, int32_t size, const char *address, int32_t next);
/**
 * P2P_CONNECT <address> <pbc|pin|PIN> [display|keypad] [persistent|persistent=<id>] [join] [go_intent=N] [freq=N].
 * pin NULL or "pbc": push button; "pin": the supplicant generates one; else 4 or 8 digits.
 * persistent: -1 temporary, -2 persistent, >= 0 a stored group's id. go_intent -1 = default, else 0..15. freq 0 = any.
 */
PK_NATIVE_API int32_t pk_wpa_build_p2p_connect(char *buffer, int32_t size, const char *address, const char *pin,
                                               int32_t persistent, int32_t join, int32_t go_intent, int32_t freq);
/** P2P_CANCEL. */
PK_NATIVE_API int32_t pk_wpa_build_p2p_cancel(char *buffer, int32_t size);
/** P2P_GROUP_ADD [persistent|persistent=<id>] [freq=<MHz>|2|5]: persistent as in connect; freq 0 auto, 2 2.4 GHz, 5 5 GHz, or MHz. */
PK_NATIVE_API int32_t pk_wpa_build_p2p_group_add(char *buffer, int32_t size, int32_t persistent, int32_t freq);
/** P2P_GROUP_REMOVE <ifname>. */
PK_NATIVE_API int32_t pk_wpa_build_p2p_group_remove(char *buffer, int32_t size, const char *ifname);
/** STATUS. */
PK_NATIVE_API int32_t pk_wpa_build_status(char *buffer, int32_t size);
/** Prefixes an already built command with "IFNAME=<ifname> " in place (the global socket's addressing). */
PK_NATIVE_API int32_t pk_wpa_build_for_interface(char *buffer, int32_t size, const char *ifname);
/* ==== end of the wpa_supplicant control client ==== */

#ifdef __cplusplus
}
#endif

#endif /* PEERKIT_NATIVE_H */
