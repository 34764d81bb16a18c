#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H

/// Test-only heap allocation counter (glibc): the test binary's malloc, calloc, realloc, memalign,
/// posix_memalign and aligned_alloc count a call when the calling thread has counting switched on, then forward
/// to glibc. Counting is per thread so tests running in parallel on other threads do not disturb the count.

/// 1 where the counter is built in (glibc), 0 elsewhere (every count then stays 0).
int allocation_counter_available(void);
/// Switches counting on (1) or off (0) for the calling thread.
void allocation_counter_set_thread_counting(int on);
/// Calls counted so far, over all threads that had counting on.
long allocation_counter_total(void);

#endif
