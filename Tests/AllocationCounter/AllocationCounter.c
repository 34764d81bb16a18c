// Interposes the allocation functions of the test binary to count calls made by threads attached to a counter
// (see AllocationCounter.h). Each wrapper forwards to glibc's internal entry points, which do not recurse into
// these symbols.
#include "AllocationCounter.h"

#include <stdlib.h>  // defines __GLIBC__ on glibc

#if defined(__GLIBC__)
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

struct allocation_counter { atomic_long calls; };

static __thread allocation_counter *attached;

static inline void count_call(void) {
    allocation_counter *c = attached;
    if (c) atomic_fetch_add_explicit(&c->calls, 1, memory_order_relaxed);
}

void *malloc(size_t size) { count_call(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { count_call(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { count_call(); return __libc_realloc(p, size); }
void *memalign(size_t alignment, size_t size) { count_call(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count_call(); return __libc_memalign(alignment, size); }

int posix_memalign(void **out, size_t alignment, size_t size) {
    count_call();
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *p = __libc_memalign(alignment, size);
    if (p == NULL && size != 0) return ENOMEM;
    *out = p;
    return 0;
}

int allocation_counter_available(void) { return 1; }

allocation_counter *allocation_counter_create(void) {
    allocation_counter *c = __libc_malloc(sizeof *c);
    if (c) atomic_init(&c->calls, 0);
    return c;
}

void allocation_counter_destroy(allocation_counter *counter) { free(counter); }
void allocation_counter_attach(allocation_counter *counter) { attached = counter; }
long allocation_counter_read(const allocation_counter *counter) {
    return counter ? atomic_load(&((allocation_counter *)counter)->calls) : 0;
}
#else
struct allocation_counter { long calls; };
int allocation_counter_available(void) { return 0; }
allocation_counter *allocation_counter_create(void) { return calloc(1, sizeof(allocation_counter)); }
void allocation_counter_destroy(allocation_counter *counter) { free(counter); }
void allocation_counter_attach(allocation_counter *counter) { (void)counter; }
long allocation_counter_read(const allocation_counter *counter) { return counter ? counter->calls : 0; }
#endif
