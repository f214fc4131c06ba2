/*
 * Parses wpa_supplicant's P2P event lines ("[IFNAME=<if> ]<level>NAME args").
 *
 * The parser walks the arguments as positional words and key=value pairs,
 * values bare, '...' or "..." (with \-escapes kept as printed). It takes the
 * keys it knows and skips the rest, so the fields newer supplicants append
 * (new=, pcea_cap_info=, wfd_dev_info=, vendor_elems=...) change nothing.
 * A value too long for its field leaves the field empty rather than cut, so a
 * caller never acts on half an address.
 */
#include "peerkit/peerkit_native.h"

#include <string.h>

typedef struct span
{
    const char *p;
    size_t n;
} span;

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static int is_key_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; }

static int span_eq(span s, const char *text)
{
    size_t n = strlen(text);
    return s.n == n && memcmp(s.p, text, n) == 0;
}

static void copy_field(char *out, size_t size, span value)
{
    if (value.n >= size)
    {
        out[0] = '\0';
        return;
    }
    memcpy(out, value.p, value.n);
    out[value.n] = '\0';
}

/* Parses a decimal (optionally negative) or 0x-hex number; 0 on malformed input. */
static int parse_number(span value, int64_t *out)
{
    size_t i = 0;
    int negative = 0;
    int64_t result = 0;
    int base = 10;

    if (value.n == 0)
        return 0;
    if (value.p[0] == '-')
    {
        negative = 1;
        i = 1;
    }
    if (value.n - i > 2 && value.p[i] == '0' && (value.p[i + 1] == 'x' || value.p[i + 1] == 'X'))
    {
        base = 16;
        i += 2;
    }
    if (i >= value.n)
        return 0;
    for (; i < value.n; ++i)
    {
        char c = value.p[i];
        int digit;
        if (c >= '0' && c <= '9') digit = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        else if (base == 16 && c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        else return 0;
        if (result > (INT64_MAX - digit) / base)
            return 0;
        result = result * base + digit;
    }
    *out = negative ? -result : result;
    return 1;
}

static void set_int32(int32_t *field, span value)
{
    int64_t v;
    if (parse_number(value, &v) && v >= INT32_MIN && v <= INT32_MAX)
        *field = (int32_t)v;
}

static void set_int64(int64_t *field, span value)
{
    int64_t v;
    if (parse_number(value, &v))
        *field = v;
}

/* A MAC address "xx:xx:xx:xx:xx:xx", hex digits either case. */
static int is_mac(span s)
{
    size_t i;
    if (s.n != 17)
        return 0;
    for (i = 0; i < 17; ++i)
    {
        char c = s.p[i];
        if (i % 3 == 2)
        {
            if (c != ':') return 0;
        }
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

static void set_mac(char *out, span value)
{
    if (is_mac(value))
        copy_field(out, PK_WPA_ADDR_SIZE, value);
}

/* A dotted IPv4 address, so a malformed one is never handed on. */
static int is_ipv4(span s)
{
    size_t i;
    int dots = 0, digits = 0, octet = 0;
    for (i = 0; i < s.n; ++i)
    {
        char c = s.p[i];
        if (c == '.')
        {
            if (digits == 0) return 0;
            ++dots;
            digits = 0;
            octet = 0;
        }
        else if (c >= '0' && c <= '9')
        {
            octet = octet * 10 + (c - '0');
            if (++digits > 3 || octet > 255) return 0;
        }
        else
            return 0;
    }
    return dots == 3 && digits > 0;
}

static void set_ip(char *out, span value)
{
    if (is_ipv4(value))
        copy_field(out, PK_WPA_IP_SIZE, value);
}

/*
 * One argument: a key (may be empty for a positional word) and a value. A
 * quoted value ends at the matching quote that is followed by a space or the
 * end: a name such as 'Bob's phone' keeps its inner quote.
 */
typedef struct argument
{
    span key;
    span value;
    int quoted;
} argument;

static int next_argument(const char **cursor, const char *end, argument *arg)
{
    const char *p = *cursor;
    const char *start;

    while (p < end && is_space(*p))
        ++p;
    if (p >= end)
        return 0;

    memset(arg, 0, sizeof *arg);
    start = p;
    while (p < end && is_key_char(*p))
        ++p;
    if (p < end && *p == '=' && p > start)
    {
        arg->key.p = start;
        arg->key.n = (size_t)(p - start);
        ++p;
    }
    else
        p = start;

    if (p < end && (*p == '\'' || *p == '"'))
    {
        char quote = *p++;
        const char *value = p;
        const char *close = NULL;
        for (; p < end; ++p)
        {
            if (quote == '"' && *p == '\\' && p + 1 < end)
            {
                ++p;
                continue;
            }
            if (*p == quote && (p + 1 == end || is_space(p[1])))
            {
                close = p;
                break;
            }
        }
        if (close == NULL)
        {
            /* An unterminated quote: the value is malformed; take nothing from it. */
            arg->value.p = value;
            arg->value.n = 0;
            arg->quoted = -1;
            *cursor = end;
            return 1;
        }
        arg->value.p = value;
        arg->value.n = (size_t)(close - value);
        arg->quoted = 1;
        *cursor = close + 1;
        return 1;
    }

    arg->value.p = p;
    while (p < end && !is_space(*p))
        ++p;
    arg->value.n = (size_t)(p - arg->value.p);
    *cursor = p;
    return 1;
}

static const struct
{
    const char *name;
    pk_wpa_event_kind kind;
} kinds[] = {
    { "P2P-DEVICE-FOUND", PK_WPA_EVENT_DEVICE_FOUND },
    { "P2P-DEVICE-LOST", PK_WPA_EVENT_DEVICE_LOST },
    { "P2P-FIND-STOPPED", PK_WPA_EVENT_FIND_STOPPED },
    { "P2P-GO-NEG-REQUEST", PK_WPA_EVENT_GO_NEG_REQUEST },
    { "P2P-GO-NEG-SUCCESS", PK_WPA_EVENT_GO_NEG_SUCCESS },
    { "P2P-GO-NEG-FAILURE", PK_WPA_EVENT_GO_NEG_FAILURE },
    { "P2P-GROUP-FORMATION-SUCCESS", PK_WPA_EVENT_GROUP_FORMATION_SUCCESS },
    { "P2P-GROUP-FORMATION-FAILURE", PK_WPA_EVENT_GROUP_FORMATION_FAILURE },
    { "P2P-GROUP-STARTED", PK_WPA_EVENT_GROUP_STARTED },
    { "P2P-GROUP-REMOVED", PK_WPA_EVENT_GROUP_REMOVED },
    { "P2P-INVITATION-RECEIVED", PK_WPA_EVENT_INVITATION_RECEIVED },
    { "P2P-INVITATION-RESULT", PK_WPA_EVENT_INVITATION_RESULT },
    { "AP-STA-CONNECTED", PK_WPA_EVENT_AP_STA_CONNECTED },
    { "AP-STA-DISCONNECTED", PK_WPA_EVENT_AP_STA_DISCONNECTED },
    { "CTRL-EVENT-TERMINATING", PK_WPA_EVENT_TERMINATING },
};

static void clear_event(pk_wpa_event *e)
{
    memset(e, 0, sizeof *e);
    e->kind = PK_WPA_EVENT_UNKNOWN;
    e->level = -1;
    e->freq = -1;
    e->status = -1;
    e->is_go = -1;
    e->persistent = -1;
    e->go_intent = -1;
    e->dev_passwd_id = -1;
    e->config_methods = -1;
    e->dev_capab = -1;
    e->group_capab = -1;
}

/* The key=value pairs any event may carry; positional words are handled per event. */
static void apply_pair(pk_wpa_event *e, const argument *a)
{
    span k = a->key;
    if (a->quoted < 0)
        return;
    if (span_eq(k, "p2p_dev_addr") || span_eq(k, "peer_dev")) set_mac(e->device_address, a->value);
    else if (span_eq(k, "go_dev_addr")) set_mac(e->go_device_address, a->value);
    else if (span_eq(k, "sa")) set_mac(e->address, a->value);
    else if (span_eq(k, "pri_dev_type")) copy_field(e->primary_device_type, sizeof e->primary_device_type, a->value);
    else if (span_eq(k, "name")) copy_field(e->name, sizeof e->name, a->value);
    else if (span_eq(k, "config_methods")) set_int64(&e->config_methods, a->value);
    else if (span_eq(k, "dev_capab")) set_int64(&e->dev_capab, a->value);
    else if (span_eq(k, "group_capab")) set_int64(&e->group_capab, a->value);
    else if (span_eq(k, "freq")) set_int32(&e->freq, a->value);
    else if (span_eq(k, "status")) set_int32(&e->status, a->value);
    else if (span_eq(k, "go_intent")) set_int32(&e->go_intent, a->value);
    else if (span_eq(k, "dev_passwd_id")) set_int32(&e->dev_passwd_id, a->value);
    else if (span_eq(k, "persistent")) set_int32(&e->persistent, a->value);
    else if (span_eq(k, "ssid")) copy_field(e->ssid, sizeof e->ssid, a->value);
    else if (span_eq(k, "passphrase")) copy_field(e->passphrase, sizeof e->passphrase, a->value);
    else if (span_eq(k, "psk")) copy_field(e->psk, sizeof e->psk, a->value);
    else if (span_eq(k, "ip_addr")) set_ip(e->ip_address, a->value);
    else if (span_eq(k, "ip_mask")) set_ip(e->ip_mask, a->value);
    else if (span_eq(k, "go_ip_addr")) set_ip(e->go_ip_address, a->value);
    else if (span_eq(k, "reason")) copy_field(e->reason, sizeof e->reason, a->value);
    else if (span_eq(k, "wps_method")) copy_field(e->wps_method, sizeof e->wps_method, a->value);
    else if (span_eq(k, "role"))
    {
        if (span_eq(a->value, "GO")) e->is_go = 1;
        else if (span_eq(a->value, "client")) e->is_go = 0;
    }
}

static int is_ifname(span s)
{
    size_t i;
    if (s.n == 0 || s.n >= PK_WPA_IFNAME_SIZE)
        return 0;
    for (i = 0; i < s.n; ++i)
    {
        char c = s.p[i];
        if (c <= ' ' || c == '/' || c == '=' || c == '\'' || c == '"' || (unsigned char)c >= 0x7F)
            return 0;
    }
    return 1;
}

int32_t pk_wpa_event_parse(const char *line, int32_t length, pk_wpa_event *e)
{
    const char *p, *end;
    span name;
    size_t i;
    int positional = 0;
    argument a;

    if (line == NULL || e == NULL || length < 0)
        return PK_WPA_ERR_ARGUMENT;
    clear_event(e);
    p = line;
    end = line + length;
    /* Stop at an embedded NUL, so a C caller's buffer length and strlen() agree. */
    {
        const char *nul = (const char *)memchr(line, '\0', (size_t)length);
        if (nul != NULL)
            end = nul;
    }

    /* "IFNAME=<if> " from the global socket. */
    if (end - p > 7 && memcmp(p, "IFNAME=", 7) == 0)
    {
        span ifname;
        p += 7;
        ifname.p = p;
        while (p < end && !is_space(*p))
            ++p;
        ifname.n = (size_t)(p - ifname.p);
        if (is_ifname(ifname))
            copy_field(e->ifname, sizeof e->ifname, ifname);
        while (p < end && *p == ' ')
            ++p;
    }

    /* "<level>" */
    if (p < end && *p == '<')
    {
        const char *q = p + 1;
        int level = 0, digits = 0;
        while (q < end && *q >= '0' && *q <= '9' && digits < 3)
        {
            level = level * 10 + (*q - '0');
            ++q;
            ++digits;
        }
        if (digits > 0 && q < end && *q == '>')
        {
            e->level = level;
            p = q + 1;
        }
    }

    name.p = p;
    while (p < end && !is_space(*p))
        ++p;
    name.n = (size_t)(p - name.p);
    for (i = 0; i < sizeof kinds / sizeof kinds[0]; ++i)
    {
        if (span_eq(name, kinds[i].name))
        {
            e->kind = kinds[i].kind;
            break;
        }
    }
    if (e->kind == PK_WPA_EVENT_UNKNOWN)
        return PK_WPA_OK;

    while (next_argument(&p, end, &a))
    {
        if (a.key.n > 0)
        {
            apply_pair(e, &a);
            continue;
        }
        if (a.quoted != 0)
            continue;
        /* Positional words. */
        if (span_eq(a.value, "[PERSISTENT]"))
        {
            e->persistent = 1;
            continue;
        }
        switch (e->kind)
        {
        case PK_WPA_EVENT_DEVICE_FOUND:
        case PK_WPA_EVENT_GO_NEG_REQUEST:
        case PK_WPA_EVENT_AP_STA_CONNECTED:
        case PK_WPA_EVENT_AP_STA_DISCONNECTED:
            if (positional == 0)
                set_mac(e->address, a.value);
            break;
        case PK_WPA_EVENT_GROUP_STARTED:
        case PK_WPA_EVENT_GROUP_REMOVED:
            if (positional == 0 && is_ifname(a.value))
                copy_field(e->group_ifname, sizeof e->group_ifname, a.value);
            else if (positional == 1)
            {
                if (span_eq(a.value, "GO")) e->is_go = 1;
                else if (span_eq(a.value, "client")) e->is_go = 0;
            }
            break;
        case PK_WPA_EVENT_INVITATION_RESULT:
            if (positional == 0)
                set_mac(e->address, a.value);
            break;
        default:
            break;
        }
        ++positional;
    }

    if (e->kind == PK_WPA_EVENT_GROUP_STARTED && e->persistent < 0)
        e->persistent = 0;
    return PK_WPA_OK;
}
