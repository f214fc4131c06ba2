/**
 * @file peerkit_native.h
 * @brief Public C API of the PeerKit native runtime shim (libpeerkit_native).
 *
 * This is the only public header of the shim. Every exported function is
 * declared here with PK_NATIVE_API; everything else in the library is built
 * with hidden visibility and is not part of the ABI.
 *
 * The library keeps no global state: every function is safe to call from any
 * thread at any time, without an initialisation call.
 */
#ifndef PEERKIT_NATIVE_H
#define PEERKIT_NATIVE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * PK_NATIVE_API marks a symbol as part of the exported ABI.
 *
 * - PK_NATIVE_BUILDING is defined (privately) while the library itself is
 *   compiled, so declarations become exports.
 * - PK_NATIVE_STATIC may be defined by code that links a static build, so no
 *   import/export decoration is applied.
 */
#if defined(PK_NATIVE_STATIC)
#  define PK_NATIVE_API
#elif defined(_WIN32) || defined(__CYGWIN__)
#  if defined(PK_NATIVE_BUILDING)
#    define PK_NATIVE_API __declspec(dllexport)
#  else
#    define PK_NATIVE_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define PK_NATIVE_API __attribute__((visibility("default")))
#else
#  define PK_NATIVE_API
#endif

/** Extracts the major component from a value returned by pk_native_version(). */
#define PK_NATIVE_VERSION_GET_MAJOR(version) (((version) >> 16) & 0xFFFFu)
/** Extracts the minor component from a value returned by pk_native_version(). */
#define PK_NATIVE_VERSION_GET_MINOR(version) (((version) >> 8) & 0xFFu)
/** Extracts the patch component from a value returned by pk_native_version(). */
#define PK_NATIVE_VERSION_GET_PATCH(version) ((version) & 0xFFu)

/**
 * Returns the version of the loaded library, packed as
 * (major << 16) | (minor << 8) | patch.
 */
PK_NATIVE_API uint32_t pk_native_version(void);

/**
 * Returns the version of the loaded library as a "major.minor.patch" string,
 * for example "0.1.0". The string is static and must not be freed; it always
 * agrees with pk_native_version().
 */
PK_NATIVE_API const char *pk_native_version_string(void);

#ifdef __cplusplus
}
#endif

#endif /* PEERKIT_NATIVE_H */
