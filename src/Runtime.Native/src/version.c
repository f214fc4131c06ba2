/*
 * Version API of the PeerKit native shim.
 *
 * The three components come from CMake's project(VERSION ...) as compile
 * definitions; both the packed number and the string are derived from them
 * here, so the two can never disagree.
 */
#include "peerkit/peerkit_native.h"

#if !defined(PK_NATIVE_VERSION_MAJOR) || !defined(PK_NATIVE_VERSION_MINOR) || \
    !defined(PK_NATIVE_VERSION_PATCH)
#  error "PK_NATIVE_VERSION_MAJOR/MINOR/PATCH must be defined by the build (see CMakeLists.txt)"
#endif

#define PK_STRINGIFY_(x) #x
#define PK_STRINGIFY(x) PK_STRINGIFY_(x)

_Static_assert(PK_NATIVE_VERSION_MAJOR >= 0 && PK_NATIVE_VERSION_MAJOR <= 0xFFFF,
               "major version must fit in 16 bits");
_Static_assert(PK_NATIVE_VERSION_MINOR >= 0 && PK_NATIVE_VERSION_MINOR <= 0xFF,
               "minor version must fit in 8 bits");
_Static_assert(PK_NATIVE_VERSION_PATCH >= 0 && PK_NATIVE_VERSION_PATCH <= 0xFF,
               "patch version must fit in 8 bits");

uint32_t pk_native_version(void)
{
    return ((uint32_t)PK_NATIVE_VERSION_MAJOR << 16) |
           ((uint32_t)PK_NATIVE_VERSION_MINOR << 8) |
           (uint32_t)PK_NATIVE_VERSION_PATCH;
}

const char *pk_native_version_string(void)
{
    return PK_STRINGIFY(PK_NATIVE_VERSION_MAJOR) "." PK_STRINGIFY(PK_NATIVE_VERSION_MINOR) "." PK_STRINGIFY(
        PK_NATIVE_VERSION_PATCH);
}
