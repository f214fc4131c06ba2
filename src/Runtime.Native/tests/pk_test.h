/*
 * A tiny test harness for the native shim's CTest suite: no framework.
 *
 * A test program lists its cases with PK_CASE(name) lines (one per line, so
 * tests/CMakeLists.txt can read them and register one CTest test per case),
 * then calls pk_test_main(). The program is run as `prog <case>` or
 * `prog all`; it exits 0 only if the case (or every case) passed, and
 * non-zero for a failed check or an unknown case name.
 */
#ifndef PK_TEST_H
#define PK_TEST_H

#include <stdio.h>
#include <string.h>

typedef int (*pk_test_fn)(void);

typedef struct pk_test_case
{
    const char *name;
    pk_test_fn fn;
} pk_test_case;

#define PK_CASE(name) { #name, name }

/* Fails the current case (returns 1 from it) when cond is false. */
#define PK_CHECK(cond)                                                                 \
    do                                                                                 \
    {                                                                                  \
        if (!(cond))                                                                   \
        {                                                                              \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
            return 1;                                                                  \
        }                                                                              \
    } while (0)

/* Fails the current case with a printf-style message. */
#define PK_FAIL(...)                                                                   \
    do                                                                                 \
    {                                                                                  \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                \
        fprintf(stderr, __VA_ARGS__);                                                  \
        fputc('\n', stderr);                                                           \
        return 1;                                                                      \
    } while (0)

static int pk_test_run_one(const pk_test_case *test)
{
    int failed = test->fn() != 0;
    printf("[%s] %s\n", failed ? "FAIL" : " OK ", test->name);
    fflush(stdout);
    return failed;
}

static int pk_test_main(int argc, char **argv, const pk_test_case *cases, size_t count)
{
    size_t i;
    int failures = 0;

    if (argc != 2)
    {
        fprintf(stderr, "usage: %s <case>|all\n", argc > 0 ? argv[0] : "test");
        return 2;
    }

    if (strcmp(argv[1], "all") == 0)
    {
        for (i = 0; i < count; ++i)
            failures += pk_test_run_one(&cases[i]);
        printf("%d of %zu cases failed\n", failures, count);
        return failures == 0 ? 0 : 1;
    }

    for (i = 0; i < count; ++i)
    {
        if (strcmp(argv[1], cases[i].name) == 0)
            return pk_test_run_one(&cases[i]);
    }

    fprintf(stderr, "unknown test case '%s'\n", argv[1]);
    return 2;
}

#endif /* PK_TEST_H */
