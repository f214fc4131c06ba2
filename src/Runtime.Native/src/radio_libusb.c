/*
 * A pk_usb_api backed by libusb-1.0, resolved with dlopen()/dlsym() at run
 * time: the shim has no link-time dependency on libusb, and a machine without
 * it gets PK_RADIO_ERROR_NO_LIBUSB when it opens a Crazyradio, nothing worse.
 */
#define _POSIX_C_SOURCE 200809L

#include "radio_internal.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#if defined(__APPLE__)
#  define PK_LIBUSB_DEFAULT "libusb-1.0.0.dylib"
#else
#  define PK_LIBUSB_DEFAULT "libusb-1.0.so.0"
#endif

/* libusb's struct libusb_device_descriptor, field for field. */
typedef struct usb_device_descriptor
{
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint16_t bcdUSB;
    uint8_t bDeviceClass;
    uint8_t bDeviceSubClass;
    uint8_t bDeviceProtocol;
    uint8_t bMaxPacketSize0;
    uint16_t idVendor;
    uint16_t idProduct;
    uint16_t bcdDevice;
    uint8_t iManufacturer;
    uint8_t iProduct;
    uint8_t iSerialNumber;
    uint8_t bNumConfigurations;
} usb_device_descriptor;

typedef struct libusb_table
{
    void *library;
    void *context;
    int (*init)(void **context);
    void (*exit)(void *context);
    long (*get_device_list)(void *context, void ***list);
    void (*free_device_list)(void **list, int unref);
    int (*get_device_descriptor)(void *device, usb_device_descriptor *descriptor);
    int (*open)(void *device, void **handle);
    void (*close)(void *handle);
    int (*set_configuration)(void *handle, int configuration);
    int (*claim_interface)(void *handle, int number);
    int (*release_interface)(void *handle, int number);
    int (*control_transfer)(void *handle, uint8_t request_type, uint8_t request, uint16_t value, uint16_t index,
                            unsigned char *data, uint16_t length, unsigned timeout);
    int (*bulk_transfer)(void *handle, unsigned char endpoint, unsigned char *data, int length, int *transferred,
                         unsigned timeout);
} libusb_table;

static int lib_open(void *context, const uint16_t *ids, size_t id_count, int index,
                    void **device, uint16_t *vid, uint16_t *pid, uint16_t *bcd)
{
    libusb_table *t = (libusb_table *)context;
    void **list = NULL;
    long count = t->get_device_list(t->context, &list), i;
    int seen = 0, status = PK_LIBUSB_ERROR_NOT_FOUND;

    if (count < 0)
        return (int)count;
    for (i = 0; i < count; ++i)
    {
        usb_device_descriptor d;
        size_t k;
        int match = 0;
        if (t->get_device_descriptor(list[i], &d) != 0)
            continue;
        for (k = 0; k + 1 < id_count * 2; k += 2)
            match |= d.idVendor == ids[k] && d.idProduct == ids[k + 1];
        if (!match || seen++ != index)
            continue;
        status = t->open(list[i], device);
        if (status == 0)
        {
            (void)t->set_configuration(*device, 1);
            status = t->claim_interface(*device, 0);
            if (status != 0)
                t->close(*device);
            *vid = d.idVendor;
            *pid = d.idProduct;
            *bcd = d.bcdDevice;
        }
        break;
    }
    t->free_device_list(list, 1);
    return status;
}

static int lib_control(void *context, void *device, uint8_t request_type, uint8_t request, uint16_t value,
                       uint16_t index, uint8_t *data, uint16_t length, unsigned timeout_ms)
{
    libusb_table *t = (libusb_table *)context;
    return t->control_transfer(device, request_type, request, value, index, data, length, timeout_ms);
}

static int lib_bulk(void *context, void *device, uint8_t endpoint, uint8_t *data, int length, int *transferred,
                    unsigned timeout_ms)
{
    libusb_table *t = (libusb_table *)context;
    return t->bulk_transfer(device, endpoint, data, length, transferred, timeout_ms);
}

static void lib_close(void *context, void *device)
{
    libusb_table *t = (libusb_table *)context;
    (void)t->release_interface(device, 0);
    t->close(device);
}

#define PK_RESOLVE(field, name)                                        \
    do                                                                 \
    {                                                                  \
        void *symbol = dlsym(t->library, name);                        \
        if (symbol == NULL)                                            \
            missing = name;                                            \
        memcpy(&t->field, &symbol, sizeof symbol);                     \
    } while (0)

int pk_libusb_load(const char *library, pk_usb_api *api, pk_radio_error *error)
{
    const char *name = library != NULL ? library : PK_LIBUSB_DEFAULT;
    const char *missing = NULL;
    libusb_table *t = (libusb_table *)calloc(1, sizeof *t);
    int status;

    if (t == NULL)
        return pk_radio_fail(error, PK_RADIO_ERROR_NO_MEMORY, "out of memory");
    t->library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (t->library == NULL)
    {
        const char *why = dlerror();
        free(t);
        return pk_radio_fail(error, PK_RADIO_ERROR_NO_LIBUSB,
            "libusb-1.0 could not be loaded (%s: %s): install it (Debian/Ubuntu: apt-get install libusb-1.0-0; macOS: brew install libusb)",
            name, why != NULL ? why : "not found");
    }
    PK_RESOLVE(init, "libusb_init");
    PK_RESOLVE(exit, "libusb_exit");
    PK_RESOLVE(get_device_list, "libusb_get_device_list");
    PK_RESOLVE(free_device_list, "libusb_free_device_list");
    PK_RESOLVE(get_device_descriptor, "libusb_get_device_descriptor");
    PK_RESOLVE(open, "libusb_open");
    PK_RESOLVE(close, "libusb_close");
    PK_RESOLVE(set_configuration, "libusb_set_configuration");
    PK_RESOLVE(claim_interface, "libusb_claim_interface");
    PK_RESOLVE(release_interface, "libusb_release_interface");
    PK_RESOLVE(control_transfer, "libusb_control_transfer");
    PK_RESOLVE(bulk_transfer, "libusb_bulk_transfer");
    if (missing != NULL)
    {
        dlclose(t->library);
        free(t);
        return pk_radio_fail(error, PK_RADIO_ERROR_NO_LIBUSB, "%s does not export %s: it is not libusb-1.0", name, missing);
    }
    status = t->init(&t->context);
    if (status != 0)
    {
        dlclose(t->library);
        free(t);
        return pk_radio_fail(error, PK_RADIO_ERROR_IO, "libusb_init failed (%d)", status);
    }
    api->context = t;
    api->open = lib_open;
    api->control = lib_control;
    api->bulk = lib_bulk;
    api->close = lib_close;
    return PK_RADIO_OK;
}

void pk_libusb_unload(pk_usb_api *api)
{
    libusb_table *t = (libusb_table *)api->context;
    if (t == NULL)
        return;
    t->exit(t->context);
    dlclose(t->library);
    free(t);
    api->context = NULL;
}
