/* alloc.h — the allocations and thread starts of the capture path, behind one fault hook.
 * Every call site checks the result (tests/lint/lint_c.py flags those that do not); the fault
 * tests (tests/faults) arm the hook so that the Nth call fails, as SQLite's
 * do_faultsim_test does, and check that each failure is reported and leaves the store whole.
 * Disarmed, each call is the libc one behind a single predictable branch. */
#ifndef OW_ALLOC_H
#define OW_ALLOC_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

void *ow_malloc(size_t n);
void *ow_calloc(size_t n, size_t size);
void *ow_realloc(void *p, size_t n);
void *ow_aligned_alloc(size_t align, size_t n);
char *ow_strdup(const char *s);
FILE *ow_open_memstream(char **buf, size_t *len);

/* pthread_create with default attributes, the thread then named name (at most 15 bytes are
 * kept: what top -H, ps -L and perf show): 0, or the error number (EAGAIN when injected). */
int ow_thread_start(pthread_t *thread, const char *name, void *(*fn)(void *), void *arg);

/* ---- fault injection (tests only) ---------------------------------------------------- */

/* Counts calls from now on; the nth (1-based) fails, and with persistent every call after it
 * too. nth 0 disarms (calls are still counted). */
void ow_fault_arm(long nth, bool persistent);
/* True when the hook decides this call fails; counts the call. For allocators outside this
 * file that share the countdown (SQLite's and jansson's, installed by the fault tests). */
bool ow_fault_now(void);
long ow_fault_calls(void);       /* calls seen since the last arm */
long ow_fault_failures(void);    /* calls failed since the last arm */
void *ow_fault_site(void);       /* the code address of the last call made to fail */

/* Set when an allocation on this thread failed since ow_alloc_failed_reset: lets code that
 * builds through a library which skips what it cannot allocate (jansson) notice. */
void ow_alloc_failed_reset(void);
bool ow_alloc_failed(void);
/* For an allocator installed elsewhere (the fault tests' jansson one): marks this thread. */
void ow_alloc_note_failure(void);

/* Routes jansson's allocations through ow_malloc, so a JSON document built while memory ran
 * out is noticed (ow_alloc_failed) instead of coming out with fields missing. */
void ow_alloc_install_json(void);

#endif
