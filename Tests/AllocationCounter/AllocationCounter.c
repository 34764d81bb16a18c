// Interposes the allocation functions of the test binary to count calls made by threads that asked to be counted
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

static atomic_long total;
static __thread int counting;

static inline void count_call(void) {
    if (counting) atomic_fetch_add_explicit(&total, 1, memory_order_relaxed);
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
void allocation_counter_set_thread_counting(int on) { counting = on; }
long allocation_counter_total(void) { return atomic_load(&total); }
#else
int allocation_counter_available(void) { return 0; }
void allocation_counter_set_thread_counting(int on) { (void)on; }
long allocation_counter_total(void) { return 0; }
#endif
