/*
 * The radio API: argument checks, then the backend's table.
 */
#include "radio_internal.h"

#include <stdio.h>
#include <string.h>

static int vfail(char *buffer, size_t size, int status, const char *format, va_list args)
{
    vsnprintf(buffer, size, format, args);
    return status;
}

int pk_radio_fail(pk_radio_error *error, int status, const char *format, ...)
{
    va_list args;
    if (error == NULL)
        return status;
    va_start(args, format);
    vfail(error->message, sizeof error->message, status, format, args);
    va_end(args);
    return status;
}

int pk_radio_fail_on(pk_radio *radio, int status, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vfail(radio->last_error, sizeof radio->last_error, status, format, args);
    va_end(args);
    return status;
}

PK_NATIVE_API const char *pk_radio_status_string(int status)
{
    switch (status)
    {
    case PK_RADIO_OK: return "ok";
    case PK_RADIO_TIMEOUT: return "timeout: no frame arrived in time";
    case PK_RADIO_ERROR_ARGUMENT: return "invalid argument";
    case PK_RADIO_ERROR_NO_MEMORY: return "out of memory";
    case PK_RADIO_ERROR_TOO_LARGE: return "frame too large";
    case PK_RADIO_ERROR_NO_LIBUSB: return "libusb-1.0 is not installed";
    case PK_RADIO_ERROR_NO_DEVICE: return "no Crazyradio found";
    case PK_RADIO_ERROR_PERMISSION: return "no permission to open the Crazyradio";
    case PK_RADIO_ERROR_OLD_FIRMWARE: return "the Crazyradio firmware is too old";
    case PK_RADIO_ERROR_IO: return "USB transfer failed";
    case PK_RADIO_ERROR_UNSUPPORTED: return "not supported by this radio";
    case PK_RADIO_ERROR_SOCKET: return "socket error on the simulated medium";
    case PK_RADIO_ERROR_IN_USE: return "radio id already attached to the medium";
    default: return "unknown status";
    }
}

PK_NATIVE_API int pk_radio_set_channel(pk_radio *radio, int channel)
{
    if (radio == NULL)
        return PK_RADIO_ERROR_ARGUMENT;
    if (channel < 0 || channel > 125)
        return pk_radio_fail_on(radio, PK_RADIO_ERROR_ARGUMENT, "channel %d is out of range: 0 to 125", channel);
    return radio->ops->set_channel(radio, channel);
}

PK_NATIVE_API int pk_radio_set_address(pk_radio *radio, const uint8_t *address)
{
    if (radio == NULL || address == NULL)
        return PK_RADIO_ERROR_ARGUMENT;
    return radio->ops->set_address(radio, address);
}

PK_NATIVE_API int pk_radio_set_data_rate(pk_radio *radio, int data_rate)
{
    if (radio == NULL)
        return PK_RADIO_ERROR_ARGUMENT;
    if (data_rate < PK_RADIO_RATE_250K || data_rate > PK_RADIO_RATE_2M)
        return pk_radio_fail_on(radio, PK_RADIO_ERROR_ARGUMENT, "data rate %d is not 0 (250K), 1 (1M) or 2 (2M)", data_rate);
    return radio->ops->set_data_rate(radio, data_rate);
}

PK_NATIVE_API int pk_radio_set_position(pk_radio *radio, double x, double y, double z)
{
    if (radio == NULL)
        return PK_RADIO_ERROR_ARGUMENT;
    if (radio->ops->set_position == NULL)
        return pk_radio_fail_on(radio, PK_RADIO_ERROR_UNSUPPORTED, "only simulated radios have a position");
    return radio->ops->set_position(radio, x, y, z);
}

PK_NATIVE_API int pk_radio_max_frame(pk_radio *radio)
{
    if (radio == NULL)
        return PK_RADIO_ERROR_ARGUMENT;
    return radio->ops->max_frame(radio);
}

PK_NATIVE_API int pk_radio_send(pk_radio *radio, const uint8_t *frame, size_t length)
{
    int max;
    if (radio == NULL || (frame == NULL && length > 0))
        return PK_RADIO_ERROR_ARGUMENT;
    if (length == 0)
        return pk_radio_fail_on(radio, PK_RADIO_ERROR_ARGUMENT, "a frame has at least 1 byte");
    max = radio->ops->max_frame(radio);
    if (length > (size_t)max)
        return pk_radio_fail_on(radio, PK_RADIO_ERROR_TOO_LARGE,
            "this radio sends at most %d bytes per frame; the frame has %zu (a P2P frame is 2 + data bytes)%s",
            max, length, max < 62 ? ": a Crazyradio PA in legacy mode cannot carry a full 60-byte P2P packet, use a Crazyradio 2.0 in sniffer mode or send at most 30 data bytes" : "");
    return radio->ops->send(radio, frame, length);
}

PK_NATIVE_API int pk_radio_receive(pk_radio *radio, pk_radio_frame *frame, int timeout_ms)
{
    if (radio == NULL || frame == NULL)
        return PK_RADIO_ERROR_ARGUMENT;
    return radio->ops->receive(radio, frame, timeout_ms);
}

PK_NATIVE_API int pk_radio_get_stats(pk_radio *radio, pk_radio_stats *stats)
{
    if (radio == NULL || stats == NULL)
        return PK_RADIO_ERROR_ARGUMENT;
    memset(stats, 0, sizeof *stats);
    return radio->ops->get_stats(radio, stats);
}

PK_NATIVE_API const char *pk_radio_last_error(pk_radio *radio)
{
    return radio == NULL ? "" : radio->last_error;
}

PK_NATIVE_API void pk_radio_close(pk_radio *radio)
{
    if (radio != NULL)
        radio->ops->close(radio);
}
