/*
 * The Crazyradio backend. A Crazyradio 2.0 in native mode (0x35F0:0xAD20)
 * runs in sniffer mode: a bulk OUT of [address 5][payload 1..63] transmits
 * without acknowledgement, and each received packet streams in on bulk IN as
 * [length, rssi, pipe, timestamp u32 LE, payload]. A Crazyradio PA (or a 2.0
 * in its PA-compatible mode, 0x1915:0x7777) runs the legacy protocol: ACK
 * off, then bulk OUT of at most 32 bytes; it cannot receive P2P.
 *
 * Every USB call goes through a pk_usb_api: libusb via dlopen() by default,
 * or a table the caller injects (the tests record and replay transfers).
 */
#define _POSIX_C_SOURCE 200809L

#include "radio_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CR_VENDOR_OUT 0x40
#define CR_SET_RADIO_CHANNEL 0x01
#define CR_SET_RADIO_ADDRESS 0x02
#define CR_SET_DATA_RATE 0x03
#define CR_ACK_ENABLE 0x10
#define CR_SET_RADIO_MODE 0x24
#define CR_SET_SNIFFER_ADDRESS 0x25
#define CR_RADIO_MODE_SNIFFER 1
#define CR_EP_OUT 0x01
#define CR_EP_IN 0x81
#define CR_TIMEOUT_MS 1000u
#define CR_LEGACY_MAX 32
#define CR_SNIFFER_MAX 63
#define CR_SNIFFER_HEADER 7
/* The PA firmware this backend needs: 0.3 (bcdDevice 0x0030), as the Python library requires. */
#define CR_LEGACY_MIN_BCD 0x0030

static const uint16_t native_ids[] = { 0x35F0, 0xAD20 };
static const uint16_t legacy_ids[] = { 0x1915, 0x7777 };
static const uint16_t any_ids[] = { 0x35F0, 0xAD20, 0x1915, 0x7777 };

typedef struct crazyradio
{
    pk_radio base;
    pk_usb_api usb;
    int owns_libusb;
    void *device;
    int sniffer;
    uint8_t address[PK_RADIO_ADDRESS_SIZE];
    pthread_mutex_t lock; /* control transfers and bulk OUT; bulk IN runs beside them */
    pk_radio_stats stats;
} crazyradio;

static crazyradio *as_cr(pk_radio *radio) { return (crazyradio *)radio; }

static int usb_status(pk_radio *radio, int code, const char *what)
{
    if (code == PK_LIBUSB_ERROR_NO_DEVICE)
        return pk_radio_fail_on(radio, PK_RADIO_ERROR_NO_DEVICE, "%s: the Crazyradio was unplugged", what);
    return pk_radio_fail_on(radio, PK_RADIO_ERROR_IO, "%s failed (libusb error %d)", what, code);
}

static int vendor(crazyradio *cr, uint8_t request, uint16_t value, uint8_t *data, uint16_t length, const char *what)
{
    int code;
    pthread_mutex_lock(&cr->lock);
    code = cr->usb.control(cr->usb.context, cr->device, CR_VENDOR_OUT, request, value, 0, data, length, CR_TIMEOUT_MS);
    pthread_mutex_unlock(&cr->lock);
    return code < 0 ? usb_status(&cr->base, code, what) : PK_RADIO_OK;
}

static int cr_set_channel(pk_radio *radio, int channel)
{
    return vendor(as_cr(radio), CR_SET_RADIO_CHANNEL, (uint16_t)channel, NULL, 0, "SET_RADIO_CHANNEL");
}

static int cr_set_address(pk_radio *radio, const uint8_t *address)
{
    crazyradio *cr = as_cr(radio);
    uint8_t copy[PK_RADIO_ADDRESS_SIZE];
    int status;
    memcpy(copy, address, sizeof copy);
    status = cr->sniffer
        ? vendor(cr, CR_SET_SNIFFER_ADDRESS, 0, copy, sizeof copy, "SET_SNIFFER_ADDRESS")
        : vendor(cr, CR_SET_RADIO_ADDRESS, 0, copy, sizeof copy, "SET_RADIO_ADDRESS");
    if (status == PK_RADIO_OK)
    {
        pthread_mutex_lock(&cr->lock);
        memcpy(cr->address, address, PK_RADIO_ADDRESS_SIZE);
        pthread_mutex_unlock(&cr->lock);
    }
    return status;
}

static int cr_set_data_rate(pk_radio *radio, int data_rate)
{
    return vendor(as_cr(radio), CR_SET_DATA_RATE, (uint16_t)data_rate, NULL, 0, "SET_DATA_RATE");
}

static int cr_max_frame(pk_radio *radio)
{
    return as_cr(radio)->sniffer ? CR_SNIFFER_MAX : CR_LEGACY_MAX;
}

static int cr_send(pk_radio *radio, const uint8_t *frame, size_t length)
{
    crazyradio *cr = as_cr(radio);
    uint8_t out[PK_RADIO_ADDRESS_SIZE + CR_SNIFFER_MAX];
    int size, transferred = 0, code;

    pthread_mutex_lock(&cr->lock);
    if (cr->sniffer)
    {
        memcpy(out, cr->address, PK_RADIO_ADDRESS_SIZE);
        memcpy(out + PK_RADIO_ADDRESS_SIZE, frame, length);
        size = (int)(PK_RADIO_ADDRESS_SIZE + length);
    }
    else
    {
        memcpy(out, frame, length);
        size = (int)length;
    }
    code = cr->usb.bulk(cr->usb.context, cr->device, CR_EP_OUT, out, size, &transferred, CR_TIMEOUT_MS);
    if (code >= 0 && transferred == size)
        cr->stats.sent++;
    pthread_mutex_unlock(&cr->lock);
    if (code < 0)
        return usb_status(radio, code, "bulk OUT");
    if (transferred != size)
        return pk_radio_fail_on(radio, PK_RADIO_ERROR_IO, "bulk OUT took %d of %d bytes", transferred, size);
    return PK_RADIO_OK;
}

static int cr_receive(pk_radio *radio, pk_radio_frame *frame, int timeout_ms)
{
    crazyradio *cr = as_cr(radio);
    uint8_t in[CR_SNIFFER_HEADER + CR_SNIFFER_MAX + 1];

    if (!cr->sniffer)
        return pk_radio_fail_on(radio, PK_RADIO_ERROR_UNSUPPORTED,
            "a Crazyradio in PA legacy mode only transmits (with ACK off there is no IN transfer): "
            "receiving P2P needs a Crazyradio 2.0 in sniffer mode");
    for (;;)
    {
        int transferred = 0;
        unsigned wait = timeout_ms < 0 ? CR_TIMEOUT_MS : (unsigned)timeout_ms;
        int code = cr->usb.bulk(cr->usb.context, cr->device, CR_EP_IN, in, (int)sizeof in, &transferred, wait == 0 ? 1u : wait);
        if (code == PK_LIBUSB_ERROR_TIMEOUT)
        {
            if (timeout_ms < 0)
                continue;
            return PK_RADIO_TIMEOUT;
        }
        if (code < 0)
            return usb_status(radio, code, "bulk IN");
        /* [length, rssi, pipe, timestamp u32 LE, payload]: anything shorter or inconsistent is skipped. */
        if (transferred < CR_SNIFFER_HEADER || in[0] == 0 || in[0] > CR_SNIFFER_MAX || transferred < CR_SNIFFER_HEADER + in[0])
        {
            if (timeout_ms >= 0)
                return PK_RADIO_TIMEOUT;
            continue;
        }
        memset(frame, 0, sizeof *frame);
        frame->length = in[0];
        frame->rssi_dbm = (int16_t)-(int)in[1];
        frame->pipe = in[2];
        frame->timestamp_us = (uint64_t)in[3] | (uint64_t)in[4] << 8 | (uint64_t)in[5] << 16 | (uint64_t)in[6] << 24;
        memcpy(frame->data, in + CR_SNIFFER_HEADER, in[0]);
        pthread_mutex_lock(&cr->lock);
        cr->stats.received++;
        pthread_mutex_unlock(&cr->lock);
        return PK_RADIO_OK;
    }
}

static int cr_get_stats(pk_radio *radio, pk_radio_stats *stats)
{
    crazyradio *cr = as_cr(radio);
    pthread_mutex_lock(&cr->lock);
    *stats = cr->stats;
    pthread_mutex_unlock(&cr->lock);
    return PK_RADIO_OK;
}

static void cr_close(pk_radio *radio)
{
    crazyradio *cr = as_cr(radio);
    cr->usb.close(cr->usb.context, cr->device);
    if (cr->owns_libusb)
        pk_libusb_unload(&cr->usb);
    pthread_mutex_destroy(&cr->lock);
    free(cr);
}

static const pk_radio_ops crazyradio_ops = {
    cr_set_channel, cr_set_address, cr_set_data_rate, NULL,
    cr_max_frame, cr_send, cr_receive, cr_get_stats, cr_close,
};

static const char udev_hint[] =
    "add a udev rule such as SUBSYSTEM==\"usb\", ATTRS{idVendor}==\"1915\", ATTRS{idProduct}==\"7777\", MODE=\"0664\", GROUP=\"plugdev\" "
    "(and the same for 35f0:ad20) in /etc/udev/rules.d/99-crazyradio.rules, run `udevadm control --reload-rules && udevadm trigger`, "
    "and join the plugdev group (see docs/radio.md)";

/* Sends the configuration requests; returns a status with the message in error. */
static int configure(crazyradio *cr, pk_radio_error *error)
{
    static const uint8_t p2p_address[PK_RADIO_ADDRESS_SIZE] = { 0xFF, 0xE7, 0xE7, 0xE7, 0xE7 };
    int status;

    memcpy(cr->address, p2p_address, sizeof p2p_address);
    if (cr->sniffer)
    {
        int code = cr->usb.control(cr->usb.context, cr->device, CR_VENDOR_OUT, CR_SET_RADIO_MODE, CR_RADIO_MODE_SNIFFER, 0, NULL, 0, CR_TIMEOUT_MS);
        if (code == PK_LIBUSB_ERROR_PIPE)
            return pk_radio_fail(error, PK_RADIO_ERROR_OLD_FIRMWARE,
                "the Crazyradio 2.0 refused SET_RADIO_MODE (0x24): its firmware has no sniffer mode; update it from "
                "https://github.com/bitcraze/crazyradio2-firmware/releases");
        if (code < 0)
            return pk_radio_fail(error, code == PK_LIBUSB_ERROR_NO_DEVICE ? PK_RADIO_ERROR_NO_DEVICE : PK_RADIO_ERROR_IO,
                "SET_RADIO_MODE failed (libusb error %d)", code);
    }
    else
    {
        status = cr_set_data_rate(&cr->base, PK_RADIO_RATE_2M);
        if (status == PK_RADIO_OK)
            status = vendor(cr, CR_ACK_ENABLE, 0, NULL, 0, "ACK_ENABLE");
        if (status != PK_RADIO_OK)
            return pk_radio_fail(error, status, "%s", cr->base.last_error);
    }
    status = cr_set_channel(&cr->base, 80);
    if (status == PK_RADIO_OK && cr->sniffer)
        status = cr_set_data_rate(&cr->base, PK_RADIO_RATE_2M);
    if (status == PK_RADIO_OK)
        status = cr_set_address(&cr->base, p2p_address);
    if (status != PK_RADIO_OK)
        return pk_radio_fail(error, status, "%s", cr->base.last_error);
    return PK_RADIO_OK;
}

PK_NATIVE_API int pk_radio_open_crazyradio(const pk_crazyradio_config *config, pk_radio **radio, pk_radio_error *error)
{
    crazyradio *cr;
    const uint16_t *ids;
    size_t id_count;
    uint16_t vid = 0, pid = 0, bcd = 0;
    int code, status;

    if (config == NULL || radio == NULL)
        return pk_radio_fail(error, PK_RADIO_ERROR_ARGUMENT, "config and radio must not be NULL");
    *radio = NULL;
    if (config->mode < PK_CRAZYRADIO_AUTO || config->mode > PK_CRAZYRADIO_LEGACY || config->device_index < 0)
        return pk_radio_fail(error, PK_RADIO_ERROR_ARGUMENT, "mode must be a pk_crazyradio_mode and device_index >= 0");
    if (config->usb != NULL && (config->usb->open == NULL || config->usb->control == NULL || config->usb->bulk == NULL || config->usb->close == NULL))
        return pk_radio_fail(error, PK_RADIO_ERROR_ARGUMENT, "every function of the pk_usb_api must be set");
    cr = (crazyradio *)calloc(1, sizeof *cr);
    if (cr == NULL)
        return pk_radio_fail(error, PK_RADIO_ERROR_NO_MEMORY, "out of memory");
    cr->base.ops = &crazyradio_ops;
    pthread_mutex_init(&cr->lock, NULL);
    if (config->usb != NULL)
        cr->usb = *config->usb;
    else
    {
        status = pk_libusb_load(config->libusb_path, &cr->usb, error);
        if (status != PK_RADIO_OK)
        {
            pthread_mutex_destroy(&cr->lock);
            free(cr);
            return status;
        }
        cr->owns_libusb = 1;
    }

    ids = config->mode == PK_CRAZYRADIO_SNIFFER ? native_ids : config->mode == PK_CRAZYRADIO_LEGACY ? legacy_ids : any_ids;
    id_count = config->mode == PK_CRAZYRADIO_AUTO ? 2 : 1;
    code = cr->usb.open(cr->usb.context, ids, id_count, config->device_index, &cr->device, &vid, &pid, &bcd);
    if (code < 0)
    {
        if (code == PK_LIBUSB_ERROR_ACCESS)
            status = pk_radio_fail(error, PK_RADIO_ERROR_PERMISSION, "no permission to open the Crazyradio: %s", udev_hint);
        else if (code == PK_LIBUSB_ERROR_NOT_FOUND || code == PK_LIBUSB_ERROR_NO_DEVICE)
            status = pk_radio_fail(error, PK_RADIO_ERROR_NO_DEVICE,
                "no Crazyradio found (looked for %s, device #%d): plug one in%s",
                config->mode == PK_CRAZYRADIO_SNIFFER ? "a Crazyradio 2.0 in native mode, 35f0:ad20"
                : config->mode == PK_CRAZYRADIO_LEGACY ? "1915:7777" : "35f0:ad20 and 1915:7777",
                config->device_index, ", or use the simulated medium");
        else if (code == PK_LIBUSB_ERROR_BUSY)
            status = pk_radio_fail(error, PK_RADIO_ERROR_IO, "the Crazyradio is in use by another program (libusb error %d)", code);
        else
            status = pk_radio_fail(error, PK_RADIO_ERROR_IO, "opening the Crazyradio failed (libusb error %d)", code);
        goto fail;
    }
    cr->sniffer = vid == native_ids[0] && pid == native_ids[1];
    if (!cr->sniffer && bcd < CR_LEGACY_MIN_BCD)
    {
        cr->usb.close(cr->usb.context, cr->device);
        status = pk_radio_fail(error, PK_RADIO_ERROR_OLD_FIRMWARE,
            "the Crazyradio PA runs firmware %x.%02x; PeerKit needs 0.3 or later: update it with cfloader", bcd >> 8, bcd & 0xFF);
        goto fail;
    }
    status = configure(cr, error);
    if (status != PK_RADIO_OK)
    {
        cr->usb.close(cr->usb.context, cr->device);
        goto fail;
    }
    *radio = &cr->base;
    return PK_RADIO_OK;

fail:
    if (cr->owns_libusb)
        pk_libusb_unload(&cr->usb);
    pthread_mutex_destroy(&cr->lock);
    free(cr);
    return status;
}
