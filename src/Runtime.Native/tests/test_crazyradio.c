/*
 * The Crazyradio backend against a recorded USB: an injected pk_usb_api
 * records every control and bulk transfer and replays scripted device
 * answers, so the request encoding and the error mapping are checked without
 * hardware.
 */
#include "pk_test.h"

#include "peerkit/peerkit_native.h"

#include <stdint.h>

#define MAX_LOG 64

typedef struct transfer
{
    char kind; /* 'c' control, 'b' bulk */
    uint8_t request_type, request, endpoint;
    uint16_t value, index;
    uint8_t data[80];
    int length;
} transfer;

typedef struct fake_usb
{
    /* the device */
    int open_result;
    uint16_t vid, pid, bcd;
    int stall_request;        /* a control request that STALLs (-9), or -1 */
    int bulk_out_result;      /* 0 or a libusb error */
    uint8_t in[4][80];        /* bulk IN answers, in order; after them: timeout */
    int in_length[4];
    int in_count, in_next;
    /* what happened */
    transfer log[MAX_LOG];
    int log_count;
    int opened, closed;
    uint16_t asked_ids[8];
    size_t asked_count;
} fake_usb;

static int fake_open(void *context, const uint16_t *ids, size_t id_count, int index, void **device,
                     uint16_t *vid, uint16_t *pid, uint16_t *bcd)
{
    fake_usb *f = (fake_usb *)context;
    (void)index;
    f->asked_count = id_count;
    memcpy(f->asked_ids, ids, id_count * 2 * sizeof ids[0]);
    if (f->open_result < 0)
        return f->open_result;
    *device = f;
    *vid = f->vid;
    *pid = f->pid;
    *bcd = f->bcd;
    f->opened++;
    return 0;
}

static int fake_control(void *context, void *device, uint8_t request_type, uint8_t request, uint16_t value,
                        uint16_t index, uint8_t *data, uint16_t length, unsigned timeout_ms)
{
    fake_usb *f = (fake_usb *)context;
    transfer *t;
    (void)device;
    (void)timeout_ms;
    if (f->log_count < MAX_LOG)
    {
        t = &f->log[f->log_count++];
        memset(t, 0, sizeof *t);
        t->kind = 'c';
        t->request_type = request_type;
        t->request = request;
        t->value = value;
        t->index = index;
        t->length = length;
        if (data != NULL && length > 0)
            memcpy(t->data, data, length);
    }
    return request == f->stall_request ? -9 : (int)length;
}

static int fake_bulk(void *context, void *device, uint8_t endpoint, uint8_t *data, int length, int *transferred,
                     unsigned timeout_ms)
{
    fake_usb *f = (fake_usb *)context;
    (void)device;
    (void)timeout_ms;
    if (endpoint & 0x80)
    {
        if (f->in_next >= f->in_count)
            return -7; /* LIBUSB_ERROR_TIMEOUT */
        *transferred = f->in_length[f->in_next] < length ? f->in_length[f->in_next] : length;
        memcpy(data, f->in[f->in_next], (size_t)*transferred);
        f->in_next++;
        return 0;
    }
    if (f->log_count < MAX_LOG)
    {
        transfer *t = &f->log[f->log_count++];
        memset(t, 0, sizeof *t);
        t->kind = 'b';
        t->endpoint = endpoint;
        t->length = length;
        memcpy(t->data, data, (size_t)length);
    }
    if (f->bulk_out_result < 0)
        return f->bulk_out_result;
    *transferred = length;
    return 0;
}

static void fake_close(void *context, void *device)
{
    (void)device;
    ((fake_usb *)context)->closed++;
}

static void init_fake(fake_usb *f, pk_usb_api *api, int native)
{
    memset(f, 0, sizeof *f);
    f->vid = native ? 0x35F0 : 0x1915;
    f->pid = native ? 0xAD20 : 0x7777;
    f->bcd = native ? 0x0500 : 0x0052;
    f->stall_request = -1;
    api->context = f;
    api->open = fake_open;
    api->control = fake_control;
    api->bulk = fake_bulk;
    api->close = fake_close;
}

static int open_with(const pk_usb_api *api, int mode, pk_radio **radio, pk_radio_error *error)
{
    pk_crazyradio_config config;
    memset(&config, 0, sizeof config);
    config.usb = api;
    config.mode = mode;
    return pk_radio_open_crazyradio(&config, radio, error);
}

static int is_vendor(const transfer *t, uint8_t request, uint16_t value, int length)
{
    return t->kind == 'c' && t->request_type == 0x40 && t->request == request && t->value == value
        && t->index == 0 && t->length == length;
}

static const uint8_t p2p_address[5] = { 0xFF, 0xE7, 0xE7, 0xE7, 0xE7 };

static int sniffer_mode_opens_with_mode_channel_rate_and_address_requests(void)
{
    fake_usb f;
    pk_usb_api api;
    pk_radio *radio = NULL;
    pk_radio_error error;

    init_fake(&f, &api, 1);
    PK_CHECK(open_with(&api, PK_CRAZYRADIO_AUTO, &radio, &error) == PK_RADIO_OK);
    PK_CHECK(f.asked_count == 2);
    PK_CHECK(f.asked_ids[0] == 0x35F0 && f.asked_ids[1] == 0xAD20 && f.asked_ids[2] == 0x1915 && f.asked_ids[3] == 0x7777);
    PK_CHECK(f.log_count == 4);
    PK_CHECK(is_vendor(&f.log[0], 0x24, 1, 0));    /* SET_RADIO_MODE sniffer */
    PK_CHECK(is_vendor(&f.log[1], 0x01, 80, 0));   /* SET_RADIO_CHANNEL 80 */
    PK_CHECK(is_vendor(&f.log[2], 0x03, 2, 0));    /* SET_DATA_RATE 2M */
    PK_CHECK(is_vendor(&f.log[3], 0x25, 0, 5));    /* SET_SNIFFER_ADDRESS */
    PK_CHECK(memcmp(f.log[3].data, p2p_address, 5) == 0);
    PK_CHECK(pk_radio_max_frame(radio) == 63);
    pk_radio_close(radio);
    PK_CHECK(f.closed == 1);
    return 0;
}

static int legacy_mode_turns_ack_off_before_anything_is_sent(void)
{
    fake_usb f;
    pk_usb_api api;
    pk_radio *radio = NULL;

    init_fake(&f, &api, 0);
    PK_CHECK(open_with(&api, PK_CRAZYRADIO_AUTO, &radio, NULL) == PK_RADIO_OK);
    PK_CHECK(f.log_count == 4);
    PK_CHECK(is_vendor(&f.log[0], 0x03, 2, 0));    /* SET_DATA_RATE 2M */
    PK_CHECK(is_vendor(&f.log[1], 0x10, 0, 0));    /* ACK_ENABLE 0 */
    PK_CHECK(is_vendor(&f.log[2], 0x01, 80, 0));   /* SET_RADIO_CHANNEL 80 */
    PK_CHECK(is_vendor(&f.log[3], 0x02, 0, 5));    /* SET_RADIO_ADDRESS */
    PK_CHECK(memcmp(f.log[3].data, p2p_address, 5) == 0);
    PK_CHECK(pk_radio_max_frame(radio) == 32);
    pk_radio_close(radio);
    return 0;
}

static int settings_become_vendor_requests(void)
{
    static const uint8_t address[5] = { 0xE7, 0xE7, 0xE7, 0xE7, 0x42 };
    fake_usb f;
    pk_usb_api api;
    pk_radio *radio = NULL;

    init_fake(&f, &api, 0);
    PK_CHECK(open_with(&api, PK_CRAZYRADIO_LEGACY, &radio, NULL) == PK_RADIO_OK);
    f.log_count = 0;
    PK_CHECK(pk_radio_set_channel(radio, 125) == PK_RADIO_OK);
    PK_CHECK(pk_radio_set_data_rate(radio, PK_RADIO_RATE_250K) == PK_RADIO_OK);
    PK_CHECK(pk_radio_set_address(radio, address) == PK_RADIO_OK);
    PK_CHECK(pk_radio_set_channel(radio, 126) == PK_RADIO_ERROR_ARGUMENT);
    PK_CHECK(f.log_count == 3);
    PK_CHECK(is_vendor(&f.log[0], 0x01, 125, 0));
    PK_CHECK(is_vendor(&f.log[1], 0x03, 0, 0));
    PK_CHECK(is_vendor(&f.log[2], 0x02, 0, 5) && memcmp(f.log[2].data, address, 5) == 0);
    PK_CHECK(pk_radio_set_position(radio, 1, 2, 3) == PK_RADIO_ERROR_UNSUPPORTED);
    pk_radio_close(radio);
    return 0;
}

static int sniffer_send_puts_the_address_before_the_frame(void)
{
    fake_usb f;
    pk_usb_api api;
    pk_radio *radio = NULL;
    uint8_t data[60], frame[PK_RADIO_MAX_FRAME];
    int n;

    init_fake(&f, &api, 1);
    PK_CHECK(open_with(&api, PK_CRAZYRADIO_SNIFFER, &radio, NULL) == PK_RADIO_OK);
    PK_CHECK(f.asked_count == 1 && f.asked_ids[0] == 0x35F0);
    memset(data, 0xAB, sizeof data);
    n = pk_p2p_encode(3, data, sizeof data, frame, sizeof frame);
    f.log_count = 0;
    PK_CHECK(pk_radio_send(radio, frame, (size_t)n) == PK_RADIO_OK);
    PK_CHECK(f.log_count == 1);
    PK_CHECK(f.log[0].kind == 'b' && f.log[0].endpoint == 0x01 && f.log[0].length == 67);
    PK_CHECK(memcmp(f.log[0].data, p2p_address, 5) == 0);
    PK_CHECK(f.log[0].data[5] == 0xFF && f.log[0].data[6] == 0x83);
    PK_CHECK(memcmp(f.log[0].data + 7, data, 60) == 0);
    pk_radio_close(radio);
    return 0;
}

static int legacy_mode_refuses_frames_over_32_bytes_naming_the_limit(void)
{
    fake_usb f;
    pk_usb_api api;
    pk_radio *radio = NULL;
    uint8_t data[60] = { 0 }, frame[PK_RADIO_MAX_FRAME];
    int n;

    init_fake(&f, &api, 0);
    PK_CHECK(open_with(&api, PK_CRAZYRADIO_LEGACY, &radio, NULL) == PK_RADIO_OK);
    f.log_count = 0;
    n = pk_p2p_encode(0, data, 31, frame, sizeof frame);
    PK_CHECK(pk_radio_send(radio, frame, (size_t)n) == PK_RADIO_ERROR_TOO_LARGE);
    PK_CHECK(strstr(pk_radio_last_error(radio), "at most 32 bytes") != NULL);
    PK_CHECK(strstr(pk_radio_last_error(radio), "33") != NULL);
    PK_CHECK(f.log_count == 0); /* nothing went to the dongle */
    n = pk_p2p_encode(0, data, 30, frame, sizeof frame);
    PK_CHECK(pk_radio_send(radio, frame, (size_t)n) == PK_RADIO_OK);
    PK_CHECK(f.log_count == 1 && f.log[0].kind == 'b' && f.log[0].endpoint == 0x01 && f.log[0].length == 32);
    PK_CHECK(f.log[0].data[0] == 0xFF && f.log[0].data[1] == 0x80);
    pk_radio_close(radio);
    return 0;
}

static int sniffer_packets_are_parsed_and_malformed_ones_skipped(void)
{
    static const uint8_t good[] = { 5, 40, 1, 0x04, 0x03, 0x02, 0x01, 0xFF, 0x87, 'a', 'b', 'c' };
    static const uint8_t too_long[] = { 70, 40, 0, 0, 0, 0, 0, 0xFF };
    static const uint8_t truncated[] = { 9, 40, 0, 0, 0, 0, 0, 0xFF, 0x80 };
    fake_usb f;
    pk_usb_api api;
    pk_radio *radio = NULL;
    pk_radio_frame frame;
    pk_radio_stats stats;

    init_fake(&f, &api, 1);
    memcpy(f.in[0], good, sizeof good);
    f.in_length[0] = sizeof good;
    memcpy(f.in[1], too_long, sizeof too_long);
    f.in_length[1] = sizeof too_long;
    memcpy(f.in[2], truncated, sizeof truncated);
    f.in_length[2] = sizeof truncated;
    f.in_length[3] = 3; /* shorter than a header */
    f.in_count = 4;
    PK_CHECK(open_with(&api, PK_CRAZYRADIO_AUTO, &radio, NULL) == PK_RADIO_OK);
    PK_CHECK(pk_radio_receive(radio, &frame, 10) == PK_RADIO_OK);
    PK_CHECK(frame.length == 5 && frame.rssi_dbm == -40 && frame.pipe == 1);
    PK_CHECK(frame.timestamp_us == 0x01020304u);
    PK_CHECK(memcmp(frame.data, good + 7, 5) == 0 && pk_p2p_accepts(frame.data, frame.length));
    PK_CHECK(pk_radio_receive(radio, &frame, 10) == PK_RADIO_TIMEOUT);
    PK_CHECK(pk_radio_receive(radio, &frame, 10) == PK_RADIO_TIMEOUT);
    PK_CHECK(pk_radio_receive(radio, &frame, 10) == PK_RADIO_TIMEOUT);
    PK_CHECK(pk_radio_receive(radio, &frame, 10) == PK_RADIO_TIMEOUT); /* the device has nothing more */
    PK_CHECK(pk_radio_get_stats(radio, &stats) == PK_RADIO_OK && stats.received == 1);
    pk_radio_close(radio);
    return 0;
}

static int legacy_mode_cannot_receive_and_says_why(void)
{
    fake_usb f;
    pk_usb_api api;
    pk_radio *radio = NULL;
    pk_radio_frame frame;

    init_fake(&f, &api, 0);
    PK_CHECK(open_with(&api, PK_CRAZYRADIO_LEGACY, &radio, NULL) == PK_RADIO_OK);
    PK_CHECK(pk_radio_receive(radio, &frame, 10) == PK_RADIO_ERROR_UNSUPPORTED);
    PK_CHECK(strstr(pk_radio_last_error(radio), "sniffer") != NULL);
    pk_radio_close(radio);
    return 0;
}

static int no_device_no_permission_and_old_firmware_are_typed_errors(void)
{
    fake_usb f;
    pk_usb_api api;
    pk_radio *radio = NULL;
    pk_radio_error error;

    init_fake(&f, &api, 1);
    f.open_result = -5; /* LIBUSB_ERROR_NOT_FOUND */
    PK_CHECK(open_with(&api, PK_CRAZYRADIO_AUTO, &radio, &error) == PK_RADIO_ERROR_NO_DEVICE);
    PK_CHECK(radio == NULL && strstr(error.message, "no Crazyradio found") != NULL);

    init_fake(&f, &api, 1);
    f.open_result = -3; /* LIBUSB_ERROR_ACCESS */
    PK_CHECK(open_with(&api, PK_CRAZYRADIO_AUTO, &radio, &error) == PK_RADIO_ERROR_PERMISSION);
    PK_CHECK(strstr(error.message, "udev") != NULL && strstr(error.message, "1915") != NULL);

    init_fake(&f, &api, 0);
    f.bcd = 0x0020; /* 0.2 */
    PK_CHECK(open_with(&api, PK_CRAZYRADIO_AUTO, &radio, &error) == PK_RADIO_ERROR_OLD_FIRMWARE);
    PK_CHECK(strstr(error.message, "0.20") != NULL);
    PK_CHECK(f.closed == 1);

    init_fake(&f, &api, 1);
    f.stall_request = 0x24; /* no sniffer mode in this firmware */
    PK_CHECK(open_with(&api, PK_CRAZYRADIO_AUTO, &radio, &error) == PK_RADIO_ERROR_OLD_FIRMWARE);
    PK_CHECK(strstr(error.message, "sniffer") != NULL);
    PK_CHECK(f.closed == 1);
    return 0;
}

static int an_unplugged_dongle_is_no_device(void)
{
    fake_usb f;
    pk_usb_api api;
    pk_radio *radio = NULL;

    init_fake(&f, &api, 1);
    PK_CHECK(open_with(&api, PK_CRAZYRADIO_AUTO, &radio, NULL) == PK_RADIO_OK);
    f.bulk_out_result = -4; /* LIBUSB_ERROR_NO_DEVICE */
    PK_CHECK(pk_radio_send(radio, (const uint8_t *)"\xFF\x80", 2) == PK_RADIO_ERROR_NO_DEVICE);
    PK_CHECK(strstr(pk_radio_last_error(radio), "unplugged") != NULL);
    f.bulk_out_result = -1;
    PK_CHECK(pk_radio_send(radio, (const uint8_t *)"\xFF\x80", 2) == PK_RADIO_ERROR_IO);
    pk_radio_close(radio);
    return 0;
}

static int a_missing_libusb_is_a_typed_error(void)
{
    pk_crazyradio_config config;
    pk_radio *radio = NULL;
    pk_radio_error error;

    memset(&config, 0, sizeof config);
    config.libusb_path = "/nonexistent/libusb-1.0.so.0";
    PK_CHECK(pk_radio_open_crazyradio(&config, &radio, &error) == PK_RADIO_ERROR_NO_LIBUSB);
    PK_CHECK(radio == NULL);
    PK_CHECK(strstr(error.message, "apt-get install libusb-1.0-0") != NULL);
    /* A library that is not libusb. */
    config.libusb_path = "libc.so.6";
    PK_CHECK(pk_radio_open_crazyradio(&config, &radio, &error) == PK_RADIO_ERROR_NO_LIBUSB);
    PK_CHECK(strstr(error.message, "libusb_init") != NULL || strstr(error.message, "does not export") != NULL);
    return 0;
}

static int the_real_libusb_finds_no_dongle_here(void)
{
    /* This machine has no Crazyradio: with libusb installed the answer is NO_DEVICE, without it NO_LIBUSB.
       Either way a typed error, never a crash. */
    pk_crazyradio_config config;
    pk_radio *radio = NULL;
    pk_radio_error error;
    int status;

    memset(&config, 0, sizeof config);
    status = pk_radio_open_crazyradio(&config, &radio, &error);
    fprintf(stderr, "open_crazyradio: %s: %s\n", pk_radio_status_string(status), error.message);
    if (status == PK_RADIO_OK)
    {
        pk_radio_close(radio); /* a dongle is plugged in after all */
        return 0;
    }
    PK_CHECK(status == PK_RADIO_ERROR_NO_DEVICE || status == PK_RADIO_ERROR_NO_LIBUSB || status == PK_RADIO_ERROR_PERMISSION
             || status == PK_RADIO_ERROR_IO);
    PK_CHECK(radio == NULL && error.message[0] != '\0');
    return 0;
}

static const pk_test_case cases[] = {
    PK_CASE(sniffer_mode_opens_with_mode_channel_rate_and_address_requests),
    PK_CASE(legacy_mode_turns_ack_off_before_anything_is_sent),
    PK_CASE(settings_become_vendor_requests),
    PK_CASE(sniffer_send_puts_the_address_before_the_frame),
    PK_CASE(legacy_mode_refuses_frames_over_32_bytes_naming_the_limit),
    PK_CASE(sniffer_packets_are_parsed_and_malformed_ones_skipped),
    PK_CASE(legacy_mode_cannot_receive_and_says_why),
    PK_CASE(no_device_no_permission_and_old_firmware_are_typed_errors),
    PK_CASE(an_unplugged_dongle_is_no_device),
    PK_CASE(a_missing_libusb_is_a_typed_error),
    PK_CASE(the_real_libusb_finds_no_dongle_here),
};

int main(int argc, char **argv)
{
    return pk_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
