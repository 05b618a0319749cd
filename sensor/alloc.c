/* alloc.c — allocation and thread-start wrappers with the fault-injection countdown. */
#include "sensor/alloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static atomic_bool armed;
static atomic_long fail_at, calls, failures;
static atomic_bool persistent_mode;
static _Thread_local bool failed_here;

void ow_fault_arm(long nth, bool persistent)
{
    atomic_store(&armed, false);
    atomic_store(&calls, 0);
    atomic_store(&failures, 0);
    atomic_store(&fail_at, nth);
    atomic_store(&persistent_mode, persistent);
    atomic_store(&armed, true);
}

bool ow_fault_now(void)
{
    if (!atomic_load_explicit(&armed, memory_order_relaxed))
        return false;
    long n = atomic_fetch_add(&calls, 1) + 1;
    long at = atomic_load(&fail_at);
    bool fail = at > 0 && (n == at || (n > at && atomic_load(&persistent_mode)));
    if (fail)
        atomic_fetch_add(&failures, 1);
    return fail;
}

long ow_fault_calls(void)
{
    return atomic_load(&calls);
}

long ow_fault_failures(void)
{
    return atomic_load(&failures);
}

void ow_alloc_failed_reset(void)
{
    failed_here = false;
}

bool ow_alloc_failed(void)
{
    return failed_here;
}

static void *note(void *p)
{
    if (!p)
        failed_here = true;
    return p;
}

void *ow_malloc(size_t n)
{
    return note(ow_fault_now() ? NULL : malloc(n));
}

void *ow_calloc(size_t n, size_t size)
{
    return note(ow_fault_now() ? NULL : calloc(n, size));
}

void *ow_realloc(void *p, size_t n)
{
    return note(ow_fault_now() ? NULL : realloc(p, n));
}

void *ow_aligned_alloc(size_t align, size_t n)
{
    return note(ow_fault_now() ? NULL : aligned_alloc(align, n));
}

char *ow_strdup(const char *s)
{
    return note(ow_fault_now() ? NULL : strdup(s));
}

FILE *ow_open_memstream(char **buf, size_t *len)
{
    if (ow_fault_now()) {
        failed_here = true;
        errno = ENOMEM;
        return NULL;
    }
    FILE *f = open_memstream(buf, len);
    if (!f)
        failed_here = true;
    return f;
}

int ow_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    if (ow_fault_now())
        return EAGAIN;
    return pthread_create(thread, NULL, fn, arg);
}

static void *json_alloc(size_t n)
{
    return ow_malloc(n);
}

void ow_alloc_install_json(void)
{
    json_set_alloc_funcs(json_alloc, free);
}
