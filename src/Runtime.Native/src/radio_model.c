/*
 * The medium model: log-distance path loss, loss from SNR, airtime of an
 * Enhanced ShockBurst frame, and a stateless random number per decision so
 * that the outcome of a frame does not depend on the order of events.
 */
#include "radio_internal.h"

#include <math.h>

double pk_model_rssi_dbm(double tx_power_dbm, double reference_loss_db, double exponent, double distance_m)
{
    /* Closer than 10 cm is treated as 10 cm: the far-field model means nothing nearer. */
    double d = distance_m < 0.1 ? 0.1 : distance_m;
    return tx_power_dbm - reference_loss_db - 10.0 * exponent * log10(d);
}

double pk_model_required_snr_db(int data_rate)
{
    /* With a -100 dBm noise floor these give the nRF24's sensitivities:
       -94 dBm at 250 kbit/s, -85 dBm at 1 Mbit/s, -82 dBm at 2 Mbit/s. */
    switch (data_rate)
    {
    case PK_RADIO_RATE_250K: return 6.0;
    case PK_RADIO_RATE_1M: return 15.0;
    default: return 18.0;
    }
}

double pk_model_loss_probability(double snr_db, int data_rate)
{
    /* A logistic curve: 50 % at the required SNR, about 1 % 7 dB above it. */
    double margin = snr_db - pk_model_required_snr_db(data_rate);
    return 1.0 / (1.0 + exp(margin / 1.5));
}

static uint64_t mix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double pk_model_uniform(uint64_t seed, uint32_t sender, uint64_t sequence, uint32_t receiver, uint32_t salt)
{
    uint64_t h = mix(seed);
    h = mix(h ^ ((uint64_t)sender << 32 | receiver));
    h = mix(h ^ sequence);
    h = mix(h ^ salt);
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

uint32_t pk_model_bits_per_second(int data_rate)
{
    switch (data_rate)
    {
    case PK_RADIO_RATE_250K: return 250000u;
    case PK_RADIO_RATE_1M: return 1000000u;
    case PK_RADIO_RATE_2M: return 2000000u;
    default: return 0u;
    }
}

PK_NATIVE_API uint32_t pk_radio_airtime_us(int data_rate, size_t frame_length)
{
    /* Enhanced ShockBurst: preamble 1 byte, address 5, packet control field 9 bits,
       payload, CRC 2 bytes. */
    uint32_t bps = pk_model_bits_per_second(data_rate);
    uint64_t bits;

    if (bps == 0 || frame_length > PK_RADIO_MAX_FRAME)
        return 0;
    bits = 8u * (1u + PK_RADIO_ADDRESS_SIZE + (uint64_t)frame_length + 2u) + 9u;
    return (uint32_t)((bits * 1000000u + bps - 1u) / bps);
}
