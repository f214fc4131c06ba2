/*
 * Loads the built shared library with dlopen(), the way the .NET runtime
 * does, and checks that the public API resolves by name. It does not link
 * against peerkit_native, so it sees exactly what a foreign caller sees.
 *
 * PK_NATIVE_LIBRARY_PATH is the absolute path of the built library, set by
 * tests/CMakeLists.txt.
 */
#define _POSIX_C_SOURCE 200809L

#include "pk_test.h"

#include <dlfcn.h>
#include <stdint.h>

#ifndef PK_NATIVE_LIBRARY_PATH
#  error "tests/CMakeLists.txt must define PK_NATIVE_LIBRARY_PATH"
#endif

typedef uint32_t (*pk_version_fn)(void);
typedef const char *(*pk_version_string_fn)(void);

static void *open_library(void)
{
    void *handle = dlopen(PK_NATIVE_LIBRARY_PATH, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL)
        fprintf(stderr, "dlopen(\"%s\") failed: %s\n", PK_NATIVE_LIBRARY_PATH, dlerror());
    return handle;
}

static int library_loads_with_dlopen(void)
{
    void *handle = open_library();

    PK_CHECK(handle != NULL);
    PK_CHECK(dlclose(handle) == 0);
    return 0;
}

static int version_symbols_are_exported(void)
{
    static const char *const names[] = { "pk_native_version", "pk_native_version_string" };
    void *handle = open_library();
    size_t i;
    int missing = 0;

    PK_CHECK(handle != NULL);
    for (i = 0; i < sizeof names / sizeof names[0]; ++i)
    {
        if (dlsym(handle, names[i]) == NULL)
        {
            fprintf(stderr, "symbol %s is not exported: %s\n", names[i], dlerror());
            missing = 1;
        }
    }
    dlclose(handle);
    PK_CHECK(!missing);
    return 0;
}

static int exported_functions_agree(void)
{
    void *handle = open_library();
    pk_version_fn version;
    pk_version_string_fn version_string;
    unsigned major = 0, minor = 0, patch = 0;
    char trailing = 0;
    uint32_t v;
    const char *s;
    int parsed;

    PK_CHECK(handle != NULL);
    version = (pk_version_fn)dlsym(handle, "pk_native_version");
    version_string = (pk_version_string_fn)dlsym(handle, "pk_native_version_string");
    if (version == NULL || version_string == NULL)
    {
        dlclose(handle);
        PK_FAIL("the version functions do not resolve");
    }

    v = version();
    s = version_string();
    parsed = s != NULL && sscanf(s, "%u.%u.%u%c", &major, &minor, &patch, &trailing) == 3;
    dlclose(handle);

    PK_CHECK(parsed);
    PK_CHECK(v == ((major << 16) | (minor << 8) | patch));
    return 0;
}

static int reloads_after_dlclose(void)
{
    /* A host may unload the library and load it again; with no global state
       that must just work. */
    void *first = dlopen(PK_NATIVE_LIBRARY_PATH, RTLD_LAZY | RTLD_LOCAL);
    void *second;

    PK_CHECK(first != NULL);
    PK_CHECK(dlclose(first) == 0);
    second = open_library();
    PK_CHECK(second != NULL);
    PK_CHECK(dlsym(second, "pk_native_version") != NULL);
    PK_CHECK(dlclose(second) == 0);
    return 0;
}

static const pk_test_case cases[] = {
    PK_CASE(library_loads_with_dlopen),
    PK_CASE(version_symbols_are_exported),
    PK_CASE(exported_functions_agree),
    PK_CASE(reloads_after_dlclose),
};

int main(int argc, char **argv)
{
    return pk_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
