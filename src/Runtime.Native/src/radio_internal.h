/*
 * Internal to the radio: the backend table every pk_radio starts with, and
 * the pure functions of the medium model (radio_model.c), which take
 * everything, time included, as parameters.
 */
#ifndef PK_RADIO_INTERNAL_H
#define PK_RADIO_INTERNAL_H

#include "peerkit/peerkit_native.h"

#include <stdarg.h>

typedef struct pk_radio_ops
{
    int (*set_channel)(pk_radio *radio, int channel);
    int (*set_address)(pk_radio *radio, const uint8_t *address);
    int (*set_data_rate)(pk_radio *radio, int data_rate);
    int (*set_position)(pk_radio *radio, double x, double y, double z);
    int (*max_frame)(pk_radio *radio);
    int (*send)(pk_radio *radio, const uint8_t *frame, size_t length);
    int (*receive)(pk_radio *radio, pk_radio_frame *frame, int timeout_ms);
    int (*get_stats)(pk_radio *radio, pk_radio_stats *stats);
    void (*close)(pk_radio *radio);
} pk_radio_ops;

/* The common head of every backend's radio. */
struct pk_radio
{
    const pk_radio_ops *ops;
    char last_error[256];
};

/* Formats an error into error->message (error may be NULL) and returns status. */
int pk_radio_fail(pk_radio_error *error, int status, const char *format, ...);
/* Formats an error into radio->last_error and returns status. */
int pk_radio_fail_on(pk_radio *radio, int status, const char *format, ...);

/* --- the model (radio_model.c) --- */

/* Received power in dBm at distance_m by the log-distance model. */
double pk_model_rssi_dbm(double tx_power_dbm, double reference_loss_db, double exponent, double distance_m);
/* SNR (dB) a data rate needs for half of its frames to arrive. */
double pk_model_required_snr_db(int data_rate);
/* Probability 0..1 that a frame at snr_db is lost. */
double pk_model_loss_probability(double snr_db, int data_rate);
/* A uniform number in [0, 1) that depends only on its inputs (splitmix64). */
double pk_model_uniform(uint64_t seed, uint32_t sender, uint64_t sequence, uint32_t receiver, uint32_t salt);
/* Bits per second of a data rate, 0 when invalid. */
uint32_t pk_model_bits_per_second(int data_rate);

/* --- libusb-1.0 through dlopen() (radio_libusb.c) --- */

/* libusb's error codes that the Crazyradio backend tells apart. */
#define PK_LIBUSB_ERROR_IO (-1)
#define PK_LIBUSB_ERROR_ACCESS (-3)
#define PK_LIBUSB_ERROR_NO_DEVICE (-4)
#define PK_LIBUSB_ERROR_NOT_FOUND (-5)
#define PK_LIBUSB_ERROR_BUSY (-6)
#define PK_LIBUSB_ERROR_TIMEOUT (-7)
#define PK_LIBUSB_ERROR_PIPE (-9)

/* Loads libusb (library NULL: the platform's name) and fills api; PK_RADIO_ERROR_NO_LIBUSB when it cannot. */
int pk_libusb_load(const char *library, pk_usb_api *api, pk_radio_error *error);
/* Releases what pk_libusb_load() set up. */
void pk_libusb_unload(pk_usb_api *api);

#endif /* PK_RADIO_INTERNAL_H */
