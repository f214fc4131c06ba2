/*
 * Tests of the version API, linked against libpeerkit_native.
 *
 * PK_EXPECTED_VERSION, PK_EXPECTED_MAJOR/MINOR/PATCH come from CMake's
 * project(VERSION ...) through tests/CMakeLists.txt, independently of the
 * definitions the library itself is compiled with.
 */
#include "peerkit/peerkit_native.h"
#include "pk_test.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>

#if !defined(PK_EXPECTED_VERSION) || !defined(PK_EXPECTED_MAJOR) || \
    !defined(PK_EXPECTED_MINOR) || !defined(PK_EXPECTED_PATCH)
#  error "tests/CMakeLists.txt must define PK_EXPECTED_VERSION and PK_EXPECTED_MAJOR/MINOR/PATCH"
#endif

/*
 * Parses one decimal component at *p (no sign, no leading zero unless the
 * component is "0"), advancing *p. Returns -1 when there is no valid number.
 */
static long parse_component(const char **p)
{
    const char *s = *p;
    long value = 0;

    if (!isdigit((unsigned char)*s))
        return -1;
    if (*s == '0' && isdigit((unsigned char)s[1]))
        return -1;
    while (isdigit((unsigned char)*s))
    {
        value = value * 10 + (*s - '0');
        if (value > 0xFFFF)
            return -1;
        ++s;
    }
    *p = s;
    return value;
}

/* Parses "major.minor.patch" exactly (nothing before or after). */
static int parse_semver(const char *s, long *major, long *minor, long *patch)
{
    if ((*major = parse_component(&s)) < 0 || *s++ != '.')
        return 0;
    if ((*minor = parse_component(&s)) < 0 || *s++ != '.')
        return 0;
    if ((*patch = parse_component(&s)) < 0)
        return 0;
    return *s == '\0';
}

static int string_is_semver(void)
{
    const char *s = pk_native_version_string();
    long major, minor, patch;

    PK_CHECK(s != NULL);
    if (!parse_semver(s, &major, &minor, &patch))
        PK_FAIL("pk_native_version_string() returned \"%s\", not major.minor.patch", s);
    return 0;
}

static int number_matches_string(void)
{
    const char *s = pk_native_version_string();
    uint32_t v = pk_native_version();
    long major, minor, patch;

    PK_CHECK(s != NULL);
    PK_CHECK(parse_semver(s, &major, &minor, &patch));
    if ((long)PK_NATIVE_VERSION_GET_MAJOR(v) != major || (long)PK_NATIVE_VERSION_GET_MINOR(v) != minor ||
        (long)PK_NATIVE_VERSION_GET_PATCH(v) != patch)
    {
        PK_FAIL("pk_native_version() = 0x%06lx (%lu.%lu.%lu) but pk_native_version_string() = \"%s\"",
                (unsigned long)v, (unsigned long)PK_NATIVE_VERSION_GET_MAJOR(v),
                (unsigned long)PK_NATIVE_VERSION_GET_MINOR(v), (unsigned long)PK_NATIVE_VERSION_GET_PATCH(v), s);
    }
    return 0;
}

static int number_packs_major_minor_patch(void)
{
    uint32_t v = pk_native_version();

    /* Only the low 24 bits are used while major < 256; nothing may spill into the top byte. */
    PK_CHECK((v >> 16) == PK_NATIVE_VERSION_GET_MAJOR(v));
    PK_CHECK(v == ((PK_NATIVE_VERSION_GET_MAJOR(v) << 16) | (PK_NATIVE_VERSION_GET_MINOR(v) << 8) |
                   PK_NATIVE_VERSION_GET_PATCH(v)));
    return 0;
}

static int matches_project_version(void)
{
    const char *s = pk_native_version_string();
    uint32_t v = pk_native_version();
    uint32_t expected = ((uint32_t)PK_EXPECTED_MAJOR << 16) | ((uint32_t)PK_EXPECTED_MINOR << 8) |
                        (uint32_t)PK_EXPECTED_PATCH;

    PK_CHECK(s != NULL);
    if (strcmp(s, PK_EXPECTED_VERSION) != 0)
        PK_FAIL("pk_native_version_string() = \"%s\", CMake project version is \"%s\"", s, PK_EXPECTED_VERSION);
    if (v != expected)
        PK_FAIL("pk_native_version() = 0x%06lx, expected 0x%06lx", (unsigned long)v, (unsigned long)expected);
    return 0;
}

static int string_is_stable_across_calls(void)
{
    const char *first = pk_native_version_string();
    const char *second = pk_native_version_string();

    PK_CHECK(first != NULL && second != NULL);
    PK_CHECK(first == second);
    PK_CHECK(strcmp(first, second) == 0);
    PK_CHECK(pk_native_version() == pk_native_version());
    return 0;
}

static const pk_test_case cases[] = {
    PK_CASE(string_is_semver),
    PK_CASE(number_matches_string),
    PK_CASE(number_packs_major_minor_patch),
    PK_CASE(matches_project_version),
    PK_CASE(string_is_stable_across_calls),
};

int main(int argc, char **argv)
{
    return pk_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
