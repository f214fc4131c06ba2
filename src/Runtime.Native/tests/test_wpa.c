/*
 * The wpa_supplicant control client: event lines as wpa_supplicant prints them
 * (formats from hostap's p2p_supplicant.c and ctrl_iface.c, old and current),
 * command building, reply reading, and the socket against a forked server that
 * answers like the supplicant's control interface.
 */
#define _POSIX_C_SOURCE 200809L

#include "pk_test.h"

#include "peerkit/peerkit_native.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int parse(const char *line, pk_wpa_event *e)
{
    return pk_wpa_event_parse(line, (int32_t)strlen(line), e);
}

/* ---- events --------------------------------------------------------------- */

static int device_found_current_format_with_trailing_fields(void)
{
    pk_wpa_event e;
    PK_CHECK(parse("<3>P2P-DEVICE-FOUND 02:00:00:00:01:00 p2p_dev_addr=02:00:00:00:01:00 "
                   "pri_dev_type=1-0050F204-1 name='Device A' config_methods=0x188 dev_capab=0x25 "
                   "group_capab=0x0 vendor_elems=1 new=1 pcea_cap_info=0x0 bootstrap_methods=0x0 pasn_type=0x0",
                   &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_DEVICE_FOUND);
    PK_CHECK(e.level == 3);
    PK_CHECK(strcmp(e.address, "02:00:00:00:01:00") == 0);
    PK_CHECK(strcmp(e.device_address, "02:00:00:00:01:00") == 0);
    PK_CHECK(strcmp(e.primary_device_type, "1-0050F204-1") == 0);
    PK_CHECK(strcmp(e.name, "Device A") == 0);
    PK_CHECK(e.config_methods == 0x188);
    PK_CHECK(e.dev_capab == 0x25);
    PK_CHECK(e.group_capab == 0);
    PK_CHECK(e.ifname[0] == '\0');
    return 0;
}

static int device_found_old_format_from_hostap_docs(void)
{
    pk_wpa_event e;
    PK_CHECK(parse("<2>P2P-DEVICE-FOUND 02:40:61:c2:f3:b7 p2p_dev_addr=02:40:61:c2:f3:b7 "
                   "pri_dev_type=1-0050F204-1 name='Wireless Client 2' config_methods=0x18c dev_capab=0x1 group_capab=0x0",
                   &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_DEVICE_FOUND);
    PK_CHECK(e.level == 2);
    PK_CHECK(strcmp(e.name, "Wireless Client 2") == 0);
    PK_CHECK(e.config_methods == 0x18c);
    PK_CHECK(e.dev_capab == 1);
    return 0;
}

static int device_found_on_global_socket_carries_ifname(void)
{
    pk_wpa_event e;
    PK_CHECK(parse("IFNAME=p2p-dev-wlan0 <3>P2P-DEVICE-FOUND 02:00:00:00:02:00 p2p_dev_addr=02:00:00:00:02:00 "
                   "pri_dev_type=10-0050F204-5 name='Bob's phone' config_methods=0x3108 dev_capab=0x25 group_capab=0x2b new=0",
                   &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_DEVICE_FOUND);
    PK_CHECK(strcmp(e.ifname, "p2p-dev-wlan0") == 0);
    PK_CHECK(strcmp(e.name, "Bob's phone") == 0);
    PK_CHECK(e.group_capab == 0x2b);
    PK_CHECK(strcmp(e.primary_device_type, "10-0050F204-5") == 0);
    return 0;
}

static int device_found_asp_variant_parses(void)
{
    pk_wpa_event e;
    PK_CHECK(parse("<3>P2P-DEVICE-FOUND 00:11:22:33:44:55 p2p_dev_addr=00:11:22:33:44:55 pri_dev_type=0-00000000-0 "
                   "name='' config_methods=0x108 dev_capab=0x21 group_capab=0x0 adv_id=111 asp_svc=alt.example.chat",
                   &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_DEVICE_FOUND);
    PK_CHECK(e.name[0] == '\0');
    PK_CHECK(e.dev_capab == 0x21);
    return 0;
}

static int device_lost(void)
{
    pk_wpa_event e;
    PK_CHECK(parse("<3>P2P-DEVICE-LOST p2p_dev_addr=02:00:00:00:01:00", &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_DEVICE_LOST);
    PK_CHECK(strcmp(e.device_address, "02:00:00:00:01:00") == 0);
    PK_CHECK(e.address[0] == '\0');
    return 0;
}

static int find_stopped(void)
{
    pk_wpa_event e;
    PK_CHECK(parse("<3>P2P-FIND-STOPPED ", &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_FIND_STOPPED);
    PK_CHECK(parse("<3>P2P-FIND-STOPPED", &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_FIND_STOPPED);
    return 0;
}

static int go_negotiation_request(void)
{
    pk_wpa_event e;
    PK_CHECK(parse("<3>P2P-GO-NEG-REQUEST 02:00:00:00:01:00 dev_passwd_id=4 go_intent=7", &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_GO_NEG_REQUEST);
    PK_CHECK(strcmp(e.address, "02:00:00:00:01:00") == 0);
    PK_CHECK(e.dev_passwd_id == 4);
    PK_CHECK(e.go_intent == 7);
    return 0;
}

static int go_negotiation_success_as_client(void)
{
    pk_wpa_event e;
    PK_CHECK(parse("<3>P2P-GO-NEG-SUCCESS role=client freq=2437 ht40=0 peer_dev=02:00:00:00:01:00 "
                   "peer_iface=02:00:00:00:01:01 wps_method=PBC",
                   &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_GO_NEG_SUCCESS);
    PK_CHECK(e.is_go == 0);
    PK_CHECK(e.freq == 2437);
    PK_CHECK(strcmp(e.device_address, "02:00:00:00:01:00") == 0);
    PK_CHECK(strcmp(e.wps_method, "PBC") == 0);
    PK_CHECK(parse("<3>P2P-GO-NEG-SUCCESS role=GO freq=5180 ht40=1 peer_dev=02:00:00:00:01:00 "
                   "peer_iface=02:00:00:00:01:01 wps_method=Display",
                   &e) == PK_WPA_OK);
    PK_CHECK(e.is_go == 1);
    PK_CHECK(e.freq == 5180);
    return 0;
}

static int go_negotiation_failure_status(void)
{
    pk_wpa_event e;
    PK_CHECK(parse("<3>P2P-GO-NEG-FAILURE status=1", &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_GO_NEG_FAILURE);
    PK_CHECK(e.status == 1);
    return 0;
}

static int group_started_go_persistent_with_passphrase(void)
{
    pk_wpa_event e;
    PK_CHECK(parse("<3>P2P-GROUP-STARTED p2p-wlan0-0 GO ssid=\"DIRECT-3F Testing\" freq=2412 "
                   "passphrase=\"12345678\" go_dev_addr=02:40:61:c2:f3:b7 [PERSISTENT]",
                   &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_GROUP_STARTED);
    PK_CHECK(strcmp(e.group_ifname, "p2p-wlan0-0") == 0);
    PK_CHECK(e.is_go == 1);
    PK_CHECK(strcmp(e.ssid, "DIRECT-3F Testing") == 0);
    PK_CHECK(e.freq == 2412);
    PK_CHECK(strcmp(e.passphrase, "12345678") == 0);
    PK_CHECK(strcmp(e.go_device_address, "02:40:61:c2:f3:b7") == 0);
    PK_CHECK(e.persistent == 1);
    PK_CHECK(e.ip_address[0] == '\0');
    return 0;
}

static int group_started_client_with_ip_addresses(void)
{
    pk_wpa_event e;
    PK_CHECK(parse("IFNAME=p2p-dev-wlan1 <3>P2P-GROUP-STARTED p2p-wlan1-0 client ssid=\"DIRECT-xy\" freq=2437 "
                   "psk=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef go_dev_addr=02:00:00:00:01:00 "
                   "ip_addr=192.168.49.10 ip_mask=255.255.255.0 go_ip_addr=192.168.49.1",
                   &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_GROUP_STARTED);
    PK_CHECK(strcmp(e.ifname, "p2p-dev-wlan1") == 0);
    PK_CHECK(strcmp(e.group_ifname, "p2p-wlan1-0") == 0);
    PK_CHECK(e.is_go == 0);
    PK_CHECK(e.persistent == 0);
    PK_CHECK(strlen(e.psk) == 64);
    PK_CHECK(strcmp(e.ip_address, "192.168.49.10") == 0);
    PK_CHECK(strcmp(e.ip_mask, "255.255.255.0") == 0);
    PK_CHECK(strcmp(e.go_ip_address, "192.168.49.1") == 0);
    return 0;
}

static int group_started_ssid_keeps_escapes(void)
{
    pk_wpa_event e;
    PK_CHECK(parse("<3>P2P-GROUP-STARTED p2p-wlan0-1 GO ssid=\"DIRECT-a\\\" b\\\\\" freq=2412 go_dev_addr=02:00:00:00:01:00",
                   &e) == PK_WPA_OK);
    PK_CHECK(strcmp(e.ssid, "DIRECT-a\\\" b\\\\") == 0);
    PK_CHECK(e.freq == 2412);
    PK_CHECK(strcmp(e.go_device_address, "02:00:00:00:01:00") == 0);
    return 0;
}

static int group_removed_with_and_without_reason(void)
{
    pk_wpa_event e;
    PK_CHECK(parse("<3>P2P-GROUP-REMOVED p2p-wlan0-0 GO reason=REQUESTED", &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_GROUP_REMOVED);
    PK_CHECK(strcmp(e.group_ifname, "p2p-wlan0-0") == 0);
    PK_CHECK(e.is_go == 1);
    PK_CHECK(strcmp(e.reason, "REQUESTED") == 0);
    PK_CHECK(parse("<3>P2P-GROUP-REMOVED wlan0-p2p-0 client", &e) == PK_WPA_OK);
    PK_CHECK(e.is_go == 0);
    PK_CHECK(e.reason[0] == '\0');
    return 0;
}

static int group_formation_and_station_events(void)
{
    pk_wpa_event e;
    PK_CHECK(parse("<3>P2P-GROUP-FORMATION-FAILURE ", &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_GROUP_FORMATION_FAILURE);
    PK_CHECK(parse("<3>P2P-GROUP-FORMATION-SUCCESS ", &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_GROUP_FORMATION_SUCCESS);
    PK_CHECK(parse("<3>AP-STA-CONNECTED 02:00:00:00:02:01 p2p_dev_addr=02:00:00:00:02:00", &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_AP_STA_CONNECTED);
    PK_CHECK(strcmp(e.address, "02:00:00:00:02:01") == 0);
    PK_CHECK(strcmp(e.device_address, "02:00:00:00:02:00") == 0);
    PK_CHECK(parse("<3>P2P-INVITATION-RECEIVED sa=02:00:00:00:01:00 go_dev_addr=02:00:00:00:01:00 "
                   "bssid=02:00:00:00:01:01 persistent=0 freq=2412", &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_INVITATION_RECEIVED);
    PK_CHECK(strcmp(e.address, "02:00:00:00:01:00") == 0);
    PK_CHECK(e.persistent == 0);
    PK_CHECK(parse("<3>CTRL-EVENT-TERMINATING ", &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_TERMINATING);
    return 0;
}

static int unknown_events_are_reported_as_unknown(void)
{
    pk_wpa_event e;
    PK_CHECK(parse("<3>CTRL-EVENT-SCAN-RESULTS ", &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_UNKNOWN);
    PK_CHECK(e.level == 3);
    PK_CHECK(parse("<3>P2P-DEVICE-FOUNDX 02:00:00:00:01:00", &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_UNKNOWN);
    PK_CHECK(parse("", &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_UNKNOWN);
    PK_CHECK(pk_wpa_event_parse(NULL, 0, &e) == PK_WPA_ERR_ARGUMENT);
    PK_CHECK(pk_wpa_event_parse("x", -1, &e) == PK_WPA_ERR_ARGUMENT);
    return 0;
}

static int unknown_fields_of_any_shape_are_skipped(void)
{
    pk_wpa_event e;
    PK_CHECK(parse("<3>P2P-GROUP-STARTED p2p-wlan0-0 client ssid=\"DIRECT-xy\" freq=2437 future=\"a b c\" "
                   "other='x y' flag [NEW-FLAG] psk=00 go_dev_addr=02:00:00:00:01:00 ip_addr=10.0.0.2 "
                   "ip_mask=255.0.0.0 go_ip_addr=10.0.0.1 more_stuff=0x1234",
                   &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_GROUP_STARTED);
    PK_CHECK(strcmp(e.group_ifname, "p2p-wlan0-0") == 0);
    PK_CHECK(e.is_go == 0);
    PK_CHECK(strcmp(e.go_device_address, "02:00:00:00:01:00") == 0);
    PK_CHECK(strcmp(e.go_ip_address, "10.0.0.1") == 0);
    return 0;
}

static int malformed_values_leave_fields_empty(void)
{
    pk_wpa_event e;
    char long_name[400];
    int n;

    /* A bad MAC, a bad IP and a bad number are dropped, not half-taken. */
    PK_CHECK(parse("<3>P2P-GROUP-STARTED p2p-wlan0-0 client ssid=\"x\" freq=24x7 go_dev_addr=02:00:00:00:01 "
                   "ip_addr=192.168.49.300 ip_mask=255.255.255.0 go_ip_addr=1.2.3",
                   &e) == PK_WPA_OK);
    PK_CHECK(e.kind == PK_WPA_EVENT_GROUP_STARTED);
    PK_CHECK(e.freq == -1);
    PK_CHECK(e.go_device_address[0] == '\0');
    PK_CHECK(e.ip_address[0] == '\0');
    PK_CHECK(strcmp(e.ip_mask, "255.255.255.0") == 0);
    PK_CHECK(e.go_ip_address[0] == '\0');

    /* An unterminated quote ends the line; what came before stays. */
    PK_CHECK(parse("<3>P2P-DEVICE-FOUND 02:00:00:00:01:00 p2p_dev_addr=02:00:00:00:01:00 name='never closed config_methods=0x1",
                   &e) == PK_WPA_OK);
    PK_CHECK(strcmp(e.device_address, "02:00:00:00:01:00") == 0);
    PK_CHECK(e.name[0] == '\0');
    PK_CHECK(e.config_methods == -1);

    /* A name longer than the field is dropped rather than cut. */
    n = snprintf(long_name, sizeof long_name, "<3>P2P-DEVICE-FOUND 02:00:00:00:01:00 name='%0200d' dev_capab=0x5", 7);
    PK_CHECK(n > 0 && (size_t)n < sizeof long_name);
    PK_CHECK(parse(long_name, &e) == PK_WPA_OK);
    PK_CHECK(e.name[0] == '\0');
    PK_CHECK(e.dev_capab == 5);

    /* A number too big for its field. */
    PK_CHECK(parse("<3>P2P-GO-NEG-FAILURE status=99999999999", &e) == PK_WPA_OK);
    PK_CHECK(e.status == -1);

    /* An interface name with a path separator is not taken. */
    PK_CHECK(parse("<3>P2P-GROUP-REMOVED ../../etc GO reason=IDLE", &e) == PK_WPA_OK);
    PK_CHECK(e.group_ifname[0] == '\0');
    PK_CHECK(strcmp(e.reason, "IDLE") == 0);
    return 0;
}

static int every_prefix_and_random_bytes_parse_without_harm(void)
{
    static const char *const lines[] = {
        "IFNAME=p2p-dev-wlan1 <3>P2P-GROUP-STARTED p2p-wlan1-0 client ssid=\"DIRECT-\\\"xy\" freq=2437 psk=0123 "
        "go_dev_addr=02:00:00:00:01:00 [PERSISTENT] ip_addr=192.168.49.10 ip_mask=255.255.255.0 go_ip_addr=192.168.49.1",
        "<3>P2P-DEVICE-FOUND 02:00:00:00:01:00 p2p_dev_addr=02:00:00:00:01:00 pri_dev_type=1-0050F204-1 "
        "name='Device A' config_methods=0x188 dev_capab=0x25 group_capab=0x0 new=1",
    };
    char buffer[512];
    uint32_t state = 12345;
    size_t i, cut;
    int round;
    pk_wpa_event e;

    for (i = 0; i < sizeof lines / sizeof lines[0]; ++i)
    {
        size_t n = strlen(lines[i]);
        for (cut = 0; cut <= n; ++cut)
            PK_CHECK(pk_wpa_event_parse(lines[i], (int32_t)cut, &e) == PK_WPA_OK);
    }
    for (round = 0; round < 20000; ++round)
    {
        size_t n = (size_t)(round % (int)sizeof buffer);
        size_t j;
        memset(buffer, 'x', sizeof buffer);
        memcpy(buffer, lines[round & 1], strlen(lines[round & 1]) < n ? strlen(lines[round & 1]) : n);
        for (j = 0; j < n; ++j)
        {
            state = state * 1664525u + 1013904223u;
            if ((state >> 28) < 3)
                buffer[j] = (char)(state >> 16);
        }
        PK_CHECK(pk_wpa_event_parse(buffer, (int32_t)n, &e) == PK_WPA_OK);
        PK_CHECK(memchr(e.name, '\0', sizeof e.name) != NULL);
        PK_CHECK(memchr(e.ssid, '\0', sizeof e.ssid) != NULL);
        PK_CHECK(memchr(e.group_ifname, '\0', sizeof e.group_ifname) != NULL);
    }
    return 0;
}

/* ---- commands ------------------------------------------------------------- */

static int find_and_stop_find_commands(void)
{
    char b[128];
    PK_CHECK(pk_wpa_build_p2p_find(b, sizeof b, 0, 0) == 8 && strcmp(b, "P2P_FIND") == 0);
    PK_CHECK(pk_wpa_build_p2p_find(b, sizeof b, 120, 1) > 0 && strcmp(b, "P2P_FIND 120 type=social") == 0);
    PK_CHECK(pk_wpa_build_p2p_find(b, sizeof b, 0, 2) > 0 && strcmp(b, "P2P_FIND type=progressive") == 0);
    PK_CHECK(pk_wpa_build_p2p_find(b, sizeof b, -1, 0) == PK_WPA_ERR_ARGUMENT);
    PK_CHECK(pk_wpa_build_p2p_find(b, sizeof b, 0, 3) == PK_WPA_ERR_ARGUMENT);
    PK_CHECK(pk_wpa_build_p2p_stop_find(b, sizeof b) > 0 && strcmp(b, "P2P_STOP_FIND") == 0);
    PK_CHECK(pk_wpa_build_p2p_cancel(b, sizeof b) > 0 && strcmp(b, "P2P_CANCEL") == 0);
    PK_CHECK(pk_wpa_build_status(b, sizeof b) > 0 && strcmp(b, "STATUS") == 0);
    return 0;
}

static int peer_walk_commands(void)
{
    char b[64];
    PK_CHECK(pk_wpa_build_p2p_peer(b, sizeof b, NULL, 0) > 0 && strcmp(b, "P2P_PEER FIRST") == 0);
    PK_CHECK(pk_wpa_build_p2p_peer(b, sizeof b, "02:00:00:00:01:00", 1) > 0 && strcmp(b, "P2P_PEER NEXT-02:00:00:00:01:00") == 0);
    PK_CHECK(pk_wpa_build_p2p_peer(b, sizeof b, "02:00:00:00:01:00", 0) > 0 && strcmp(b, "P2P_PEER 02:00:00:00:01:00") == 0);
    PK_CHECK(pk_wpa_build_p2p_peer(b, sizeof b, NULL, 1) == PK_WPA_ERR_ARGUMENT);
    PK_CHECK(pk_wpa_build_p2p_peer(b, sizeof b, "02:00:00:00:01:0G", 0) == PK_WPA_ERR_ARGUMENT);
    return 0;
}

static int connect_commands(void)
{
    char b[160];
    PK_CHECK(pk_wpa_build_p2p_connect(b, sizeof b, "02:00:00:00:01:00", NULL, -1, 0, -1, 0) > 0);
    PK_CHECK(strcmp(b, "P2P_CONNECT 02:00:00:00:01:00 pbc") == 0);
    PK_CHECK(pk_wpa_build_p2p_connect(b, sizeof b, "02:00:00:00:01:00", "12345670", -2, 0, 15, 2437) > 0);
    PK_CHECK(strcmp(b, "P2P_CONNECT 02:00:00:00:01:00 12345670 persistent go_intent=15 freq=2437") == 0);
    PK_CHECK(pk_wpa_build_p2p_connect(b, sizeof b, "02:00:00:00:01:00", "pin", 3, 1, 0, 0) > 0);
    PK_CHECK(strcmp(b, "P2P_CONNECT 02:00:00:00:01:00 pin persistent=3 join go_intent=0") == 0);
    PK_CHECK(pk_wpa_build_p2p_connect(b, sizeof b, "02:00:00:00:01:00", "pbc", -1, 0, 16, 0) == PK_WPA_ERR_ARGUMENT);
    PK_CHECK(pk_wpa_build_p2p_connect(b, sizeof b, "02:00:00:00:01:00", "123", -1, 0, -1, 0) == PK_WPA_ERR_ARGUMENT);
    PK_CHECK(pk_wpa_build_p2p_connect(b, sizeof b, "02:00:00:00:01:00", "pbc join", -1, 0, -1, 0) == PK_WPA_ERR_ARGUMENT);
    PK_CHECK(pk_wpa_build_p2p_connect(b, sizeof b, "02:00:00:00:01:00", "pbc", -3, 0, -1, 0) == PK_WPA_ERR_ARGUMENT);
    return 0;
}

static int group_add_and_remove_commands(void)
{
    char b[96];
    PK_CHECK(pk_wpa_build_p2p_group_add(b, sizeof b, -1, 0) > 0 && strcmp(b, "P2P_GROUP_ADD") == 0);
    PK_CHECK(pk_wpa_build_p2p_group_add(b, sizeof b, -2, 2) > 0 && strcmp(b, "P2P_GROUP_ADD persistent freq=2") == 0);
    PK_CHECK(pk_wpa_build_p2p_group_add(b, sizeof b, 0, 5) > 0 && strcmp(b, "P2P_GROUP_ADD persistent=0 freq=5") == 0);
    PK_CHECK(pk_wpa_build_p2p_group_add(b, sizeof b, -1, 5180) > 0 && strcmp(b, "P2P_GROUP_ADD freq=5180") == 0);
    PK_CHECK(pk_wpa_build_p2p_group_add(b, sizeof b, -1, 3) == PK_WPA_ERR_ARGUMENT);
    PK_CHECK(pk_wpa_build_p2p_group_add(b, sizeof b, -1, 100) == PK_WPA_ERR_ARGUMENT);
    PK_CHECK(pk_wpa_build_p2p_group_remove(b, sizeof b, "p2p-wlan0-0") > 0 && strcmp(b, "P2P_GROUP_REMOVE p2p-wlan0-0") == 0);
    PK_CHECK(pk_wpa_build_p2p_group_remove(b, sizeof b, "*") > 0 && strcmp(b, "P2P_GROUP_REMOVE *") == 0);
    return 0;
}

static int nothing_a_caller_passes_can_smuggle_a_second_command(void)
{
    char b[128];
    PK_CHECK(pk_wpa_build_p2p_group_remove(b, sizeof b, "p2p-wlan0-0\nTERMINATE") == PK_WPA_ERR_ARGUMENT);
    PK_CHECK(pk_wpa_build_p2p_group_remove(b, sizeof b, "wlan0 TERMINATE") == PK_WPA_ERR_ARGUMENT);
    PK_CHECK(pk_wpa_build_p2p_group_remove(b, sizeof b, "") == PK_WPA_ERR_ARGUMENT);
    PK_CHECK(pk_wpa_build_p2p_group_remove(b, sizeof b, NULL) == PK_WPA_ERR_ARGUMENT);
    PK_CHECK(pk_wpa_build_p2p_connect(b, sizeof b, "02:00:00:00:01:00 join", "pbc", -1, 0, -1, 0) == PK_WPA_ERR_ARGUMENT);
    PK_CHECK(pk_wpa_build_p2p_peer(b, sizeof b, "02:00:00:00:01:00\n", 0) == PK_WPA_ERR_ARGUMENT);
    PK_CHECK(pk_wpa_build_status(b, sizeof b) > 0);
    PK_CHECK(pk_wpa_build_for_interface(b, sizeof b, "wlan0\nX") == PK_WPA_ERR_ARGUMENT);
    return 0;
}

static int too_small_buffers_fail_cleanly(void)
{
    char b[12];
    PK_CHECK(pk_wpa_build_p2p_connect(b, sizeof b, "02:00:00:00:01:00", "pbc", -1, 0, -1, 0) == PK_WPA_ERR_TOO_LONG);
    PK_CHECK(b[0] == '\0');
    PK_CHECK(pk_wpa_build_p2p_stop_find(b, sizeof b) == PK_WPA_ERR_TOO_LONG);
    PK_CHECK(pk_wpa_build_status(b, 6) == PK_WPA_ERR_TOO_LONG);
    PK_CHECK(pk_wpa_build_status(b, 7) == 6);
    PK_CHECK(pk_wpa_build_status(NULL, 7) == PK_WPA_ERR_ARGUMENT);
    return 0;
}

static int interface_prefix_for_the_global_socket(void)
{
    char b[64];
    PK_CHECK(pk_wpa_build_p2p_find(b, sizeof b, 30, 0) > 0);
    PK_CHECK(pk_wpa_build_for_interface(b, sizeof b, "p2p-dev-wlan0") == (int32_t)strlen("IFNAME=p2p-dev-wlan0 P2P_FIND 30"));
    PK_CHECK(strcmp(b, "IFNAME=p2p-dev-wlan0 P2P_FIND 30") == 0);
    PK_CHECK(pk_wpa_build_status(b, 20) > 0);
    PK_CHECK(pk_wpa_build_for_interface(b, 20, "p2p-dev-wlan0") == PK_WPA_ERR_TOO_LONG);
    PK_CHECK(strcmp(b, "STATUS") == 0);
    return 0;
}

/* ---- replies -------------------------------------------------------------- */

static int reply_kinds(void)
{
    PK_CHECK(pk_wpa_reply_kind("OK\n", 3) == PK_WPA_REPLY_OK);
    PK_CHECK(pk_wpa_reply_kind("PONG\n", 5) == PK_WPA_REPLY_PONG);
    PK_CHECK(pk_wpa_reply_kind("FAIL\n", 5) == PK_WPA_REPLY_FAIL);
    PK_CHECK(pk_wpa_reply_kind("FAIL-BUSY\n", 10) == PK_WPA_REPLY_FAIL);
    PK_CHECK(pk_wpa_reply_kind("UNKNOWN COMMAND\n", 16) == PK_WPA_REPLY_UNKNOWN_COMMAND);
    PK_CHECK(pk_wpa_reply_kind("12345670\n", 9) == PK_WPA_REPLY_DATA);
    PK_CHECK(pk_wpa_reply_kind("OKAY\n", 5) == PK_WPA_REPLY_DATA);
    PK_CHECK(pk_wpa_reply_kind("FAILURE", 7) == PK_WPA_REPLY_DATA);
    PK_CHECK(pk_wpa_reply_kind("", 0) == PK_WPA_REPLY_DATA);
    return 0;
}

static int status_values(void)
{
    static const char status[] =
        "bssid=02:00:00:00:01:00\nfreq=2437\nssid=DIRECT-xy\nid=0\nmode=P2P GO\npairwise_cipher=CCMP\n"
        "wpa_state=COMPLETED\nip_address=192.168.49.1\np2p_device_address=02:00:00:00:01:00\n"
        "address=02:00:00:00:01:01\nuuid=8a3d7c2e-1111-2222-3333-444455556666\n";
    char v[32];
    PK_CHECK(pk_wpa_reply_value(status, (int32_t)strlen(status), "mode", v, sizeof v) == 6 && strcmp(v, "P2P GO") == 0);
    PK_CHECK(pk_wpa_reply_value(status, (int32_t)strlen(status), "address", v, sizeof v) == 17 &&
             strcmp(v, "02:00:00:00:01:01") == 0);
    PK_CHECK(pk_wpa_reply_value(status, (int32_t)strlen(status), "p2p_device_address", v, sizeof v) == 17 &&
             strcmp(v, "02:00:00:00:01:00") == 0);
    PK_CHECK(pk_wpa_reply_value(status, (int32_t)strlen(status), "ip_address", v, sizeof v) > 0 &&
             strcmp(v, "192.168.49.1") == 0);
    PK_CHECK(pk_wpa_reply_value(status, (int32_t)strlen(status), "missing", v, sizeof v) == -1);
    PK_CHECK(pk_wpa_reply_value(status, (int32_t)strlen(status), "uuid", v, 8) == PK_WPA_ERR_TOO_LONG);
    return 0;
}

static int peer_reply_from_p2p_peer(void)
{
    static const char reply[] =
        "02:00:00:00:02:00\npri_dev_type=10-0050F204-5\ndevice_name=Bob's phone\nmanufacturer=\nmodel_name=\n"
        "model_number=\nserial_number=\nconfig_methods=0x3108\ndev_capab=0x25\ngroup_capab=0x9\nlevel=-42\n"
        "age=3\nlisten_freq=2412\nwps_method=not-ready\ninterface_addr=02:00:00:00:02:01\n"
        "member_in_go_dev=00:00:00:00:00:00\npersistent=1\nnew_field=whatever\n";
    pk_wpa_peer p;
    PK_CHECK(pk_wpa_peer_parse(reply, (int32_t)strlen(reply), &p) == PK_WPA_OK);
    PK_CHECK(strcmp(p.device_address, "02:00:00:00:02:00") == 0);
    PK_CHECK(strcmp(p.name, "Bob's phone") == 0);
    PK_CHECK(strcmp(p.primary_device_type, "10-0050F204-5") == 0);
    PK_CHECK(p.config_methods == 0x3108);
    PK_CHECK(p.dev_capab == 0x25);
    PK_CHECK(p.group_capab == 9);
    PK_CHECK(p.level == -42);
    PK_CHECK(p.persistent == 1);
    PK_CHECK(strcmp(p.interface_address, "02:00:00:00:02:01") == 0);
    PK_CHECK(pk_wpa_peer_parse("FAIL\n", 5, &p) == PK_WPA_ERR_REPLY);
    PK_CHECK(pk_wpa_peer_parse("02:00:00:00:02\n", 15, &p) == PK_WPA_ERR_REPLY);
    return 0;
}

/* ---- the socket ----------------------------------------------------------- */

typedef struct server
{
    char dir[64];
    char path[128];
    pid_t pid;
} server;

/*
 * A forked process bound at <dir>/ctrl answering as wpa_supplicant does:
 * PING -> PONG, ATTACH -> OK (and then an event to the attached client),
 * SILENT -> nothing, BURST -> an event to the asking client before its reply,
 * anything else -> UNKNOWN COMMAND. It exits on QUIT or after 10 s.
 */
static int start_server(server *s)
{
    struct sockaddr_un address;
    int fd;

    strcpy(s->dir, "/tmp/pk_wpa_test_XXXXXX");
    if (mkdtemp(s->dir) == NULL)
        return -1;
    snprintf(s->path, sizeof s->path, "%s/ctrl", s->dir);
    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    strcpy(address.sun_path, s->path);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0)
    {
        close(fd);
        return -1;
    }
    s->pid = fork();
    if (s->pid < 0)
    {
        close(fd);
        return -1;
    }
    if (s->pid == 0)
    {
        alarm(10);
        for (;;)
        {
            char in[256];
            struct sockaddr_un from;
            socklen_t from_length = sizeof from;
            ssize_t n = recvfrom(fd, in, sizeof in - 1, 0, (struct sockaddr *)&from, &from_length);
            const char *reply = "UNKNOWN COMMAND\n";
            if (n < 0)
                _exit(1);
            in[n] = '\0';
            if (strcmp(in, "QUIT") == 0)
                _exit(0);
            if (strcmp(in, "SILENT") == 0)
                continue;
            if (strcmp(in, "PING") == 0)
                reply = "PONG\n";
            else if (strcmp(in, "ATTACH") == 0)
                reply = "OK\n";
            else if (strcmp(in, "BURST") == 0)
            {
                const char *event = "<3>P2P-FIND-STOPPED ";
                (void)sendto(fd, event, strlen(event), 0, (struct sockaddr *)&from, from_length);
                reply = "OK\n";
            }
            (void)sendto(fd, reply, strlen(reply), 0, (struct sockaddr *)&from, from_length);
            if (strcmp(in, "ATTACH") == 0)
            {
                const char *event = "<3>P2P-DEVICE-LOST p2p_dev_addr=02:00:00:00:01:00";
                (void)sendto(fd, event, strlen(event), 0, (struct sockaddr *)&from, from_length);
            }
        }
    }
    close(fd);
    return 0;
}

static void stop_server(server *s)
{
    if (s->pid > 0)
    {
        kill(s->pid, SIGKILL);
        (void)waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
    (void)unlink(s->path);
    (void)rmdir(s->dir);
}

static int ping_attach_and_events_body(server *s)
{
    pk_wpa_ctrl *command = NULL, *monitor = NULL;
    int32_t err = -1;
    char buffer[256];
    pk_wpa_event e;
    int32_t n;
    int result = 1;

    if (pk_wpa_open(s->path, s->dir, &command, &err) != PK_WPA_OK || err != 0)
        goto done;
    if (pk_wpa_open(s->path, s->dir, &monitor, &err) != PK_WPA_OK)
        goto done;
    n = pk_wpa_request(command, "PING", buffer, sizeof buffer, 2000);
    if (n != 5 || pk_wpa_reply_kind(buffer, n) != PK_WPA_REPLY_PONG)
        goto done;
    n = pk_wpa_request(command, "P2P_FIND", buffer, sizeof buffer, 2000);
    if (n < 0 || pk_wpa_reply_kind(buffer, n) != PK_WPA_REPLY_UNKNOWN_COMMAND)
        goto done;
    if (pk_wpa_attach(monitor, 2000) != PK_WPA_OK)
        goto done;
    n = pk_wpa_receive(monitor, buffer, sizeof buffer, 2000);
    if (n <= 0 || pk_wpa_event_parse(buffer, n, &e) != PK_WPA_OK || e.kind != PK_WPA_EVENT_DEVICE_LOST)
        goto done;
    /* The reply is found behind an event sent to the same (attached) socket. */
    n = pk_wpa_request(monitor, "BURST", buffer, sizeof buffer, 2000);
    if (n < 0 || pk_wpa_reply_kind(buffer, n) != PK_WPA_REPLY_OK)
        goto done;
    /* Nothing more: receive times out. */
    if (pk_wpa_receive(monitor, buffer, sizeof buffer, 50) != PK_WPA_ERR_TIMEOUT)
        goto done;
    /* A command the server never answers times out. */
    if (pk_wpa_request(command, "SILENT", buffer, sizeof buffer, 100) != PK_WPA_ERR_TIMEOUT)
        goto done;
    result = 0;
done:
    pk_wpa_close(command);
    pk_wpa_close(monitor);
    return result;
}

static int socket_ping_attach_events_and_timeouts(void)
{
    server s;
    int result;
    PK_CHECK(start_server(&s) == 0);
    result = ping_attach_and_events_body(&s);
    stop_server(&s);
    PK_CHECK(result == 0);
    return 0;
}

static int supplicant_gone_mid_session_fails_the_next_request(void)
{
    server s;
    pk_wpa_ctrl *c = NULL;
    char buffer[64];
    int32_t first, second;

    PK_CHECK(start_server(&s) == 0);
    if (pk_wpa_open(s.path, s.dir, &c, NULL) != PK_WPA_OK)
    {
        stop_server(&s);
        PK_FAIL("open failed");
    }
    first = pk_wpa_request(c, "PING", buffer, sizeof buffer, 2000);
    stop_server(&s);
    second = pk_wpa_request(c, "PING", buffer, sizeof buffer, 200);
    pk_wpa_close(c);
    (void)rmdir(s.dir); /* the client's socket file was still in it when the server stopped */
    PK_CHECK(first == 5);
    PK_CHECK(second == PK_WPA_ERR_SEND || second == PK_WPA_ERR_TIMEOUT);
    return 0;
}

static int supplicant_absent_is_a_connect_error_with_errno(void)
{
    pk_wpa_ctrl *c = (pk_wpa_ctrl *)1;
    int32_t err = 0;
    PK_CHECK(pk_wpa_open("/tmp/pk_wpa_no_such_dir/wlan0", NULL, &c, &err) == PK_WPA_ERR_CONNECT);
    PK_CHECK(c == NULL);
    PK_CHECK(err == ENOENT);
    PK_CHECK(pk_wpa_open("", NULL, &c, &err) == PK_WPA_ERR_PATH);
    {
        char long_path[200];
        memset(long_path, 'a', sizeof long_path - 1);
        long_path[0] = '/';
        long_path[sizeof long_path - 1] = '\0';
        PK_CHECK(pk_wpa_open(long_path, NULL, &c, &err) == PK_WPA_ERR_PATH);
    }
    PK_CHECK(pk_wpa_open(NULL, NULL, &c, &err) == PK_WPA_ERR_ARGUMENT);
    PK_CHECK(pk_wpa_request(NULL, "PING", (char *)&err, 4, 10) == PK_WPA_ERR_ARGUMENT);
    pk_wpa_close(NULL);
    return 0;
}

static int oversized_datagram_is_an_error_not_a_cut(void)
{
    server s;
    pk_wpa_ctrl *c = NULL;
    char small[8];
    int32_t n;
    PK_CHECK(start_server(&s) == 0);
    if (pk_wpa_open(s.path, s.dir, &c, NULL) != PK_WPA_OK)
    {
        stop_server(&s);
        PK_FAIL("open failed");
    }
    n = pk_wpa_request(c, "NOPE", small, sizeof small, 2000); /* "UNKNOWN COMMAND\n" is 16 bytes */
    pk_wpa_close(c);
    stop_server(&s);
    PK_CHECK(n == PK_WPA_ERR_TOO_LONG);
    return 0;
}

int main(int argc, char **argv)
{
    static const pk_test_case cases[] = {
        PK_CASE(device_found_current_format_with_trailing_fields),
        PK_CASE(device_found_old_format_from_hostap_docs),
        PK_CASE(device_found_on_global_socket_carries_ifname),
        PK_CASE(device_found_asp_variant_parses),
        PK_CASE(device_lost),
        PK_CASE(find_stopped),
        PK_CASE(go_negotiation_request),
        PK_CASE(go_negotiation_success_as_client),
        PK_CASE(go_negotiation_failure_status),
        PK_CASE(group_started_go_persistent_with_passphrase),
        PK_CASE(group_started_client_with_ip_addresses),
        PK_CASE(group_started_ssid_keeps_escapes),
        PK_CASE(group_removed_with_and_without_reason),
        PK_CASE(group_formation_and_station_events),
        PK_CASE(unknown_events_are_reported_as_unknown),
        PK_CASE(unknown_fields_of_any_shape_are_skipped),
        PK_CASE(malformed_values_leave_fields_empty),
        PK_CASE(every_prefix_and_random_bytes_parse_without_harm),
        PK_CASE(find_and_stop_find_commands),
        PK_CASE(peer_walk_commands),
        PK_CASE(connect_commands),
        PK_CASE(group_add_and_remove_commands),
        PK_CASE(nothing_a_caller_passes_can_smuggle_a_second_command),
        PK_CASE(too_small_buffers_fail_cleanly),
        PK_CASE(interface_prefix_for_the_global_socket),
        PK_CASE(reply_kinds),
        PK_CASE(status_values),
        PK_CASE(peer_reply_from_p2p_peer),
        PK_CASE(socket_ping_attach_events_and_timeouts),
        PK_CASE(supplicant_gone_mid_session_fails_the_next_request),
        PK_CASE(supplicant_absent_is_a_connect_error_with_errno),
        PK_CASE(oversized_datagram_is_an_error_not_a_cut),
    };
    return pk_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
