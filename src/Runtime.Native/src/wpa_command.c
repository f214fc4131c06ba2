/*
 * Builds wpa_supplicant P2P commands and reads their replies.
 *
 * Every argument that comes from a caller is checked before it is written:
 * a MAC address is exactly xx:xx:xx:xx:xx:xx, an interface name has no space,
 * quote or control character, a PIN is digits. A command is one line the
 * supplicant splits on spaces, so nothing a caller passes can add a second
 * argument or command.
 */
#define _POSIX_C_SOURCE 200809L

#include "peerkit/peerkit_native.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int valid_mac(const char *s)
{
    int i;
    if (s == NULL || strlen(s) != 17)
        return 0;
    for (i = 0; i < 17; ++i)
    {
        char c = s[i];
        if (i % 3 == 2)
        {
            if (c != ':') return 0;
        }
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

static int valid_ifname(const char *s)
{
    size_t i, n;
    if (s == NULL)
        return 0;
    n = strlen(s);
    if (n == 0 || n >= PK_WPA_IFNAME_SIZE)
        return 0;
    for (i = 0; i < n; ++i)
    {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7F || c == '/' || c == '=' || c == '\'' || c == '"')
            return 0;
    }
    return 1;
}

static int valid_pin(const char *s)
{
    size_t i, n = strlen(s);
    if (n != 4 && n != 8)
        return 0;
    for (i = 0; i < n; ++i)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Appends printf-style text; returns 0, or PK_WPA_ERR_TOO_LONG once it no longer fits. */
static int append(char *buffer, int32_t size, int32_t *length, const char *format, ...)
{
    va_list args;
    int n;
    if (*length < 0)
        return PK_WPA_ERR_TOO_LONG;
    va_start(args, format);
    n = vsnprintf(buffer + *length, (size_t)(size - *length), format, args);
    va_end(args);
    if (n < 0 || n >= size - *length)
    {
        *length = -1;
        buffer[0] = '\0';
        return PK_WPA_ERR_TOO_LONG;
    }
    *length += n;
    return 0;
}

#define CHECK_BUFFER(buffer, size) \
    do { if ((buffer) == NULL || (size) < 1) return PK_WPA_ERR_ARGUMENT; (buffer)[0] = '\0'; } while (0)

static int32_t finish(char *buffer, int32_t length)
{
    if (length < 0)
    {
        buffer[0] = '\0';
        return PK_WPA_ERR_TOO_LONG;
    }
    return length;
}

int32_t pk_wpa_build_p2p_find(char *buffer, int32_t size, int32_t timeout_s, int32_t type)
{
    int32_t length = 0;
    CHECK_BUFFER(buffer, size);
    if (timeout_s < 0 || timeout_s > 86400 || type < 0 || type > 2)
        return PK_WPA_ERR_ARGUMENT;
    append(buffer, size, &length, "P2P_FIND");
    if (timeout_s > 0)
        append(buffer, size, &length, " %d", (int)timeout_s);
    if (type == 1)
        append(buffer, size, &length, " type=social");
    else if (type == 2)
        append(buffer, size, &length, " type=progressive");
    return finish(buffer, length);
}

int32_t pk_wpa_build_p2p_stop_find(char *buffer, int32_t size)
{
    int32_t length = 0;
    CHECK_BUFFER(buffer, size);
    append(buffer, size, &length, "P2P_STOP_FIND");
    return finish(buffer, length);
}

int32_t pk_wpa_build_p2p_peer(char *buffer, int32_t size, const char *address, int32_t next)
{
    int32_t length = 0;
    CHECK_BUFFER(buffer, size);
    if (address == NULL || address[0] == '\0')
    {
        if (next)
            return PK_WPA_ERR_ARGUMENT;
        append(buffer, size, &length, "P2P_PEER FIRST");
        return finish(buffer, length);
    }
    if (!valid_mac(address))
        return PK_WPA_ERR_ARGUMENT;
    append(buffer, size, &length, next ? "P2P_PEER NEXT-%s" : "P2P_PEER %s", address);
    return finish(buffer, length);
}

static void append_persistent(char *buffer, int32_t size, int32_t *length, int32_t persistent)
{
    if (persistent == -2)
        append(buffer, size, length, " persistent");
    else if (persistent >= 0)
        append(buffer, size, length, " persistent=%d", (int)persistent);
}

int32_t pk_wpa_build_p2p_connect(char *buffer, int32_t size, const char *address, const char *pin,
                                 int32_t persistent, int32_t join, int32_t go_intent, int32_t freq)
{
    int32_t length = 0;
    CHECK_BUFFER(buffer, size);
    if (!valid_mac(address) || persistent < -2 || go_intent < -1 || go_intent > 15 || freq < 0 || freq > 100000)
        return PK_WPA_ERR_ARGUMENT;
    if (pin == NULL || pin[0] == '\0')
        pin = "pbc";
    if (strcmp(pin, "pbc") != 0 && strcmp(pin, "pin") != 0 && !valid_pin(pin))
        return PK_WPA_ERR_ARGUMENT;
    append(buffer, size, &length, "P2P_CONNECT %s %s", address, pin);
    append_persistent(buffer, size, &length, persistent);
    if (join)
        append(buffer, size, &length, " join");
    if (go_intent >= 0)
        append(buffer, size, &length, " go_intent=%d", (int)go_intent);
    if (freq > 0)
        append(buffer, size, &length, " freq=%d", (int)freq);
    return finish(buffer, length);
}

int32_t pk_wpa_build_p2p_cancel(char *buffer, int32_t size)
{
    int32_t length = 0;
    CHECK_BUFFER(buffer, size);
    append(buffer, size, &length, "P2P_CANCEL");
    return finish(buffer, length);
}

int32_t pk_wpa_build_p2p_group_add(char *buffer, int32_t size, int32_t persistent, int32_t freq)
{
    int32_t length = 0;
    CHECK_BUFFER(buffer, size);
    if (persistent < -2 || freq < 0 || freq > 100000 || freq == 1 || (freq > 5 && freq < 2000) || (freq >= 3 && freq <= 4))
        return PK_WPA_ERR_ARGUMENT;
    append(buffer, size, &length, "P2P_GROUP_ADD");
    append_persistent(buffer, size, &length, persistent);
    if (freq > 0)
        append(buffer, size, &length, " freq=%d", (int)freq);
    return finish(buffer, length);
}

int32_t pk_wpa_build_p2p_group_remove(char *buffer, int32_t size, const char *ifname)
{
    int32_t length = 0;
    CHECK_BUFFER(buffer, size);
    if (!valid_ifname(ifname))
        return PK_WPA_ERR_ARGUMENT;
    append(buffer, size, &length, "P2P_GROUP_REMOVE %s", ifname);
    return finish(buffer, length);
}

int32_t pk_wpa_build_status(char *buffer, int32_t size)
{
    int32_t length = 0;
    CHECK_BUFFER(buffer, size);
    append(buffer, size, &length, "STATUS");
    return finish(buffer, length);
}

int32_t pk_wpa_build_for_interface(char *buffer, int32_t size, const char *ifname)
{
    size_t command, prefix;
    if (buffer == NULL || size < 1 || !valid_ifname(ifname))
        return PK_WPA_ERR_ARGUMENT;
    command = strnlen(buffer, (size_t)size);
    if (command == 0 || command >= (size_t)size)
        return PK_WPA_ERR_ARGUMENT;
    prefix = 7 + strlen(ifname) + 1;
    if (command + prefix >= (size_t)size)
        return PK_WPA_ERR_TOO_LONG;
    memmove(buffer + prefix, buffer, command + 1);
    memcpy(buffer, "IFNAME=", 7);
    memcpy(buffer + 7, ifname, prefix - 8);
    buffer[prefix - 1] = ' ';
    return (int32_t)(command + prefix);
}

/* ---- replies ------------------------------------------------------------ */

static size_t first_line_length(const char *reply, size_t n)
{
    size_t i = 0;
    while (i < n && reply[i] != '\n' && reply[i] != '\0')
        ++i;
    return i;
}

int32_t pk_wpa_reply_kind(const char *reply, int32_t length)
{
    size_t n;
    if (reply == NULL || length < 0)
        return PK_WPA_ERR_ARGUMENT;
    n = first_line_length(reply, (size_t)length);
    if (n == 2 && memcmp(reply, "OK", 2) == 0)
        return PK_WPA_REPLY_OK;
    if (n == 4 && memcmp(reply, "PONG", 4) == 0)
        return PK_WPA_REPLY_PONG;
    if (n >= 4 && memcmp(reply, "FAIL", 4) == 0 && (n == 4 || reply[4] == '-'))
        return PK_WPA_REPLY_FAIL;
    if (n == 15 && memcmp(reply, "UNKNOWN COMMAND", 15) == 0)
        return PK_WPA_REPLY_UNKNOWN_COMMAND;
    return PK_WPA_REPLY_DATA;
}

int32_t pk_wpa_reply_value(const char *reply, int32_t length, const char *key, char *value, int32_t value_size)
{
    size_t key_length, i = 0, n;
    if (reply == NULL || length < 0 || key == NULL || value == NULL || value_size < 1)
        return PK_WPA_ERR_ARGUMENT;
    value[0] = '\0';
    key_length = strlen(key);
    if (key_length == 0)
        return PK_WPA_ERR_ARGUMENT;
    n = (size_t)length;
    while (i < n)
    {
        size_t line = i, end = i;
        while (end < n && reply[end] != '\n' && reply[end] != '\0')
            ++end;
        if (end - line > key_length && memcmp(reply + line, key, key_length) == 0 && reply[line + key_length] == '=')
        {
            size_t start = line + key_length + 1;
            size_t count = end - start;
            if (count > 0 && reply[end - 1] == '\r')
                --count;
            if (count >= (size_t)value_size)
                return PK_WPA_ERR_TOO_LONG;
            memcpy(value, reply + start, count);
            value[count] = '\0';
            return (int32_t)count;
        }
        if (end < n && reply[end] == '\0')
            break;
        i = end + 1;
    }
    return -1;
}

static void peer_int64(const char *reply, int32_t length, const char *key, int64_t *out)
{
    char text[32];
    pk_wpa_event probe;
    char line[64];
    int n = pk_wpa_reply_value(reply, length, key, text, (int32_t)sizeof text);
    *out = -1;
    if (n <= 0)
        return;
    /* Reuse the event parser's number rules: "<key>=<value>" as a DEVICE-FOUND pair. */
    snprintf(line, sizeof line, "P2P-DEVICE-FOUND config_methods=%s", text);
    if (pk_wpa_event_parse(line, (int32_t)strlen(line), &probe) == PK_WPA_OK)
        *out = probe.config_methods;
}

int32_t pk_wpa_peer_parse(const char *reply, int32_t length, pk_wpa_peer *peer)
{
    char address[PK_WPA_ADDR_SIZE];
    char text[PK_WPA_NAME_SIZE];
    int64_t number;
    size_t n;

    if (reply == NULL || length < 0 || peer == NULL)
        return PK_WPA_ERR_ARGUMENT;
    memset(peer, 0, sizeof *peer);
    peer->config_methods = peer->dev_capab = peer->group_capab = -1;
    peer->level = -1;
    peer->persistent = -1;

    n = first_line_length(reply, (size_t)length);
    if (n != 17)
        return PK_WPA_ERR_REPLY;
    memcpy(address, reply, 17);
    address[17] = '\0';
    if (!valid_mac(address))
        return PK_WPA_ERR_REPLY;
    memcpy(peer->device_address, address, sizeof address);

    if (pk_wpa_reply_value(reply, length, "device_name", text, (int32_t)sizeof text) >= 0)
        memcpy(peer->name, text, sizeof text);
    if (pk_wpa_reply_value(reply, length, "pri_dev_type", text, (int32_t)sizeof peer->primary_device_type) >= 0)
        memcpy(peer->primary_device_type, text, sizeof peer->primary_device_type);
    if (pk_wpa_reply_value(reply, length, "interface_addr", text, (int32_t)sizeof text) == 17 && valid_mac(text))
        memcpy(peer->interface_address, text, PK_WPA_ADDR_SIZE);
    peer_int64(reply, length, "config_methods", &peer->config_methods);
    peer_int64(reply, length, "dev_capab", &peer->dev_capab);
    peer_int64(reply, length, "group_capab", &peer->group_capab);
    peer_int64(reply, length, "level", &number);
    if (number >= INT32_MIN && number <= INT32_MAX && number != -1)
        peer->level = (int32_t)number;
    peer_int64(reply, length, "persistent", &number);
    if (number >= 0 && number <= INT32_MAX)
        peer->persistent = (int32_t)number;
    return PK_WPA_OK;
}
