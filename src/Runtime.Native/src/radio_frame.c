/*
 * Crazyflie P2P on the air: [0xFF, 0x80 | port, data...], and the test the
 * nRF firmware applies to decide that a received packet is P2P.
 */
#include "radio_internal.h"

#include <string.h>

PK_NATIVE_API int pk_p2p_encode(int port, const uint8_t *data, size_t length, uint8_t *frame, size_t capacity)
{
    if (port < 0 || port > 15 || frame == NULL || (data == NULL && length > 0))
        return PK_RADIO_ERROR_ARGUMENT;
    if (length > PK_P2P_MAX_DATA_SIZE)
        return PK_RADIO_ERROR_TOO_LARGE;
    if (capacity < length + 2)
        return PK_RADIO_ERROR_ARGUMENT;
    frame[0] = 0xFF;
    frame[1] = (uint8_t)(0x80 | (port & 0x0F));
    if (length > 0)
        memcpy(frame + 2, data, length);
    return (int)(length + 2);
}

PK_NATIVE_API int pk_p2p_accepts(const uint8_t *frame, size_t length)
{
    if (frame == NULL || length < 2)
        return 0;
    return (frame[0] & 0xF3) == 0xF3 && (frame[1] & 0xF0) == 0x80;
}
