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
