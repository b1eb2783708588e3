/* The C floor: the access-map key chains walked with raw gdbm_fetch, nothing else.
 * Every Swift figure in the benchmarks is shown as a ratio to these functions, measured in the same run on the
 * same map file and the same key chains. */
#ifndef CFLOOR_H
#define CFLOOR_H
#include <stdint.h>

/* Key chains in one flat buffer: key k is bytes[keyStart[k] ..< keyStart[k + 1]]; chain c is keys
 * chainStart[c] ..< chainStart[c + 1]. Keys are already folded to lower case, as the engine sends them. */
typedef struct cfloor_chains {
    const char *bytes;
    const uint32_t *keyStart;
    const uint32_t *chainStart;
    uint32_t chainCount;
} cfloor_chains;

/* gdbm_open(path, GDBM_READER | GDBM_NOLOCK); NULL on failure. */
void *cfloor_open(const char *path);
void cfloor_close(void *db);

/* One gdbm_fetch; the value is freed. Returns 1 when found, 0 when not. */
int cfloor_fetch(void *db, const char *key, int length);

/* One decision: fetch the chain's keys in order and stop at the first hit.
 * Returns the index of the hit inside the chain, or -1 when no key is found. */
int cfloor_decide(void *db, const cfloor_chains *chains, uint32_t chain);

/* Decisions for chains first, first+1, … (wrapping), count in all. Returns the number of hits; adds the number of
 * gdbm_fetch calls to *fetches when fetches is not NULL. */
long cfloor_run(void *db, const cfloor_chains *chains, uint32_t first, uint64_t count, uint64_t *fetches);

/* `threads` threads, each with its own handle on path, each making `perThread` decisions (thread t starts at chain
 * t * chainCount / threads). Returns the wall-clock seconds from start to the last thread's end, or -1 on error. */
double cfloor_run_threads(const char *path, const cfloor_chains *chains, int threads, uint64_t perThread);

/* Monotonic clock in seconds. */
double cfloor_now(void);

#endif
