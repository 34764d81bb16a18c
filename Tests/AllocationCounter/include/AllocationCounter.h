#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H

/// Test-only heap allocation counter (glibc): the test binary's malloc, calloc, realloc, memalign,
/// posix_memalign and aligned_alloc add one to the counter the calling thread is attached to (if any), then
/// forward to glibc. A measurement creates its own counter and attaches only its threads, so tests running in
/// parallel on other threads cannot add to it.

typedef struct allocation_counter allocation_counter;

/// 1 where the counter is built in (glibc), 0 elsewhere (counts then stay 0).
int allocation_counter_available(void);
/// A new counter at 0 (allocates: create it before attaching any thread).
allocation_counter *allocation_counter_create(void);
/// Frees a counter no thread is attached to.
void allocation_counter_destroy(allocation_counter *counter);
/// Attaches the calling thread to `counter`, or detaches it when `counter` is NULL.
void allocation_counter_attach(allocation_counter *counter);
/// Allocations counted so far by `counter`.
long allocation_counter_read(const allocation_counter *counter);

#endif
