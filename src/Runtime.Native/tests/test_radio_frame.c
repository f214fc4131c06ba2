/*
 * Crazyflie P2P framing: what PeerKit puts on the air passes the nRF
 * firmware's acceptance rule, and frames that are not P2P are refused.
 */
#include "pk_test.h"

#include "peerkit/peerkit_native.h"

#include <stdint.h>

static int encode_writes_ff_then_80_or_port_then_data(void)
{
    uint8_t frame[PK_RADIO_MAX_FRAME];
    int n = pk_p2p_encode(5, (const uint8_t *)"Hello", 5, frame, sizeof frame);

    PK_CHECK(n == 7);
    PK_CHECK(frame[0] == 0xFF);
    PK_CHECK(frame[1] == 0x85);
    PK_CHECK(memcmp(frame + 2, "Hello", 5) == 0);
    return 0;
}

static int every_frame_peerkit_sends_passes_the_firmware_acceptance_rule(void)
{
    uint8_t data[PK_P2P_MAX_DATA_SIZE], frame[PK_RADIO_MAX_FRAME];
    int port, size, i;

    for (i = 0; i < PK_P2P_MAX_DATA_SIZE; ++i)
        data[i] = (uint8_t)(i * 37);
    for (port = 0; port <= 15; ++port)
    {
        for (size = 0; size <= PK_P2P_MAX_DATA_SIZE; ++size)
        {
            int n = pk_p2p_encode(port, data, (size_t)size, frame, sizeof frame);
            if (n != size + 2)
                PK_FAIL("port %d size %d: encode returned %d", port, size, n);
            /* The rule of the nRF firmware (esb.c): >= 2 bytes, (b0 & 0xF3) == 0xF3, (b1 & 0xF0) == 0x80. */
            PK_CHECK(n >= 2 && (frame[0] & 0xF3) == 0xF3 && (frame[1] & 0xF0) == 0x80);
            PK_CHECK(pk_p2p_accepts(frame, (size_t)n));
            PK_CHECK((frame[1] & 0x0F) == port);
            PK_CHECK(memcmp(frame + 2, data, (size_t)size) == 0);
        }
    }
    return 0;
}

static int port_above_15_and_data_above_60_are_refused(void)
{
    uint8_t data[61] = { 0 }, frame[PK_RADIO_MAX_FRAME + 8];

    PK_CHECK(pk_p2p_encode(16, data, 1, frame, sizeof frame) == PK_RADIO_ERROR_ARGUMENT);
    PK_CHECK(pk_p2p_encode(-1, data, 1, frame, sizeof frame) == PK_RADIO_ERROR_ARGUMENT);
    PK_CHECK(pk_p2p_encode(0, data, 61, frame, sizeof frame) == PK_RADIO_ERROR_TOO_LARGE);
    PK_CHECK(pk_p2p_encode(0, data, 60, frame, 61) == PK_RADIO_ERROR_ARGUMENT); /* no room */
    PK_CHECK(pk_p2p_encode(0, NULL, 3, frame, sizeof frame) == PK_RADIO_ERROR_ARGUMENT);
    return 0;
}

static int foreign_frames_on_the_channel_are_not_p2p(void)
{
    /* CRTP packets (header = port << 4 | link bits | channel), the null packet, a link-control
       packet, empty and one-byte frames: none is P2P. */
    static const uint8_t foreign[][3] = {
        { 0x30, 0x00, 0x00 }, /* CRTP param */
        { 0x3C, 0x01, 0x02 }, /* CRTP commander */
        { 0xF3, 0x00, 0x00 }, /* link control, second byte not 0x8x */
        { 0xFF, 0x01, 0x00 }, /* link control */
        { 0xF0, 0x80, 0x00 }, /* low bits of b0 not set */
        { 0xFF, 0x90, 0x00 }, /* b1 high nibble 9 */
        { 0xFF, 0x00, 0x00 },
    };
    static const uint8_t null_packet[1] = { 0xFF };
    size_t i;

    for (i = 0; i < sizeof foreign / sizeof foreign[0]; ++i)
    {
        if (pk_p2p_accepts(foreign[i], 3))
            PK_FAIL("foreign frame %zu (%02X %02X) was taken for P2P", i, foreign[i][0], foreign[i][1]);
    }
    PK_CHECK(!pk_p2p_accepts(null_packet, 1));
    PK_CHECK(!pk_p2p_accepts(null_packet, 0));
    PK_CHECK(!pk_p2p_accepts(NULL, 5));
    return 0;
}

static int airtime_follows_enhanced_shockburst_framing(void)
{
    /* (8 * (1 + 5 + n + 2) + 9) bits at the data rate, rounded up. */
    PK_CHECK(pk_radio_airtime_us(PK_RADIO_RATE_2M, 32) == 165);
    PK_CHECK(pk_radio_airtime_us(PK_RADIO_RATE_2M, 62) == 285);
    PK_CHECK(pk_radio_airtime_us(PK_RADIO_RATE_1M, 62) == 569);
    PK_CHECK(pk_radio_airtime_us(PK_RADIO_RATE_250K, 62) == 2276);
    PK_CHECK(pk_radio_airtime_us(7, 62) == 0);
    PK_CHECK(pk_radio_airtime_us(PK_RADIO_RATE_2M, 65) == 0);
    return 0;
}

static int every_status_has_a_name(void)
{
    int s;
    for (s = PK_RADIO_ERROR_IN_USE; s <= PK_RADIO_TIMEOUT; ++s)
    {
        if (strcmp(pk_radio_status_string(s), "unknown status") == 0)
            PK_FAIL("status %d has no name", s);
    }
    PK_CHECK(strcmp(pk_radio_status_string(-99), "unknown status") == 0);
    return 0;
}

static const pk_test_case cases[] = {
    PK_CASE(encode_writes_ff_then_80_or_port_then_data),
    PK_CASE(every_frame_peerkit_sends_passes_the_firmware_acceptance_rule),
    PK_CASE(port_above_15_and_data_above_60_are_refused),
    PK_CASE(foreign_frames_on_the_channel_are_not_p2p),
    PK_CASE(airtime_follows_enhanced_shockburst_framing),
    PK_CASE(every_status_has_a_name),
};

int main(int argc, char **argv)
{
    return pk_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
