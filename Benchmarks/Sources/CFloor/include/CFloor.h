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

/* A peer as a C MTA would hold it for tls_client/tls_server: host name and address as NUL-terminated strings,
 * short ones (up to 15 bytes) inline in the record and longer ones in their own heap block, the layout Swift gives
 * the engine's String macros. */
typedef struct cfloor_peer {
    const char *name;
    const char *address;
    char inlineName[16];
    char inlineAddress[16];
} cfloor_peer;

/* The decision floor: one tls_client/tls_server decision made from a peer's strings, as a plain C engine would: each
 * key of sendmail's chain (prefix + the name and its parents, a bracketed literal losing its last part inside the
 * brackets; prefix + the address and its shorter prefixes at `.` and `:`; the bare prefix) written and folded into
 * a stack buffer and fetched with gdbm_fetch, up to the first hit. No value is read, no input checked. `prefix` is
 * the lower-case tag with its colon ("tls_clt:"). Returns the number of keys fetched (negative when the last one
 * was found). */
int cfloor_decide_peer(void *db, const char *prefix, const cfloor_peer *peer);

/* Decisions for peers first, first+1, … (wrapping at count), n in all. Returns the number of hits. */
long cfloor_run_peers(void *db, const char *prefix, const cfloor_peer *peers, uint32_t count, uint32_t first,
                      uint64_t n);

/* Monotonic clock in seconds. */
double cfloor_now(void);

#endif
