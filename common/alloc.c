/* alloc.c — allocation and thread-start wrappers with the fault-injection countdown. */
#include "common/alloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static atomic_bool armed;
static atomic_long fail_at, calls, failures;
static atomic_bool persistent_mode;
static _Atomic(void *) last_site;
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

void *ow_fault_site(void)
{
    return atomic_load(&last_site);
}

void ow_alloc_note_failure(void)
{
    failed_here = true;
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

/* The call site is the wrapper's return address: where the fault tests say it failed. */
#define INJECTED(site) (ow_fault_now() ? (atomic_store(&last_site, (site)), true) : false)
#define SITE __builtin_return_address(0)

void *ow_malloc(size_t n)
{
    return note(INJECTED(SITE) ? NULL : malloc(n));
}

void *ow_calloc(size_t n, size_t size)
{
    return note(INJECTED(SITE) ? NULL : calloc(n, size));
}

void *ow_realloc(void *p, size_t n)
{
    return note(INJECTED(SITE) ? NULL : realloc(p, n));
}

void *ow_aligned_alloc(size_t align, size_t n)
{
    return note(INJECTED(SITE) ? NULL : aligned_alloc(align, n));
}

char *ow_strdup(const char *s)
{
    return note(INJECTED(SITE) ? NULL : strdup(s));
}

FILE *ow_open_memstream(char **buf, size_t *len)
{
    if (INJECTED(SITE)) {
        failed_here = true;
        errno = ENOMEM;
        return NULL;
    }
    FILE *f = open_memstream(buf, len);
    if (!f)
        failed_here = true;
    return f;
}

int ow_thread_start(pthread_t *thread, const char *name, void *(*fn)(void *), void *arg)
{
    if (INJECTED(SITE))
        return EAGAIN;
    int rc = pthread_create(thread, NULL, fn, arg);
    if (rc == 0 && name) {
        char shown[16];
        snprintf(shown, sizeof shown, "%s", name);
        pthread_setname_np(*thread, shown);     /* a name is for people: failing is harmless */
    }
    return rc;
}

static void *json_alloc(size_t n)
{
    return note(INJECTED(SITE) ? NULL : malloc(n));
}

void ow_alloc_install_json(void)
{
    json_set_alloc_funcs(json_alloc, free);
}
