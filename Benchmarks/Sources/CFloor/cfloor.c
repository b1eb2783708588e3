/* The C floor for the hot lookup path; see include/CFloor.h. Built as a SwiftPM C target (cc -O2 in release, as
 * `swift package benchmark` builds) and stand-alone by scripts/c-floor.sh. */
#define _GNU_SOURCE
#include "CFloor.h"

#include <gdbm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double cfloor_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void *cfloor_open(const char *path) {
    return gdbm_open(path, 0, GDBM_READER | GDBM_NOLOCK, 0, NULL);
}

void cfloor_close(void *db) {
    if (db) gdbm_close((GDBM_FILE)db);
}

int cfloor_fetch(void *db, const char *key, int length) {
    datum k = {(char *)key, length};
    datum v = gdbm_fetch((GDBM_FILE)db, k);
    if (v.dptr == NULL) return 0;
    free(v.dptr);
    return 1;
}

int cfloor_decide(void *db, const cfloor_chains *chains, uint32_t chain) {
    uint32_t first = chains->chainStart[chain], end = chains->chainStart[chain + 1];
    for (uint32_t k = first; k < end; k++) {
        uint32_t start = chains->keyStart[k];
        if (cfloor_fetch(db, chains->bytes + start, (int)(chains->keyStart[k + 1] - start))) return (int)(k - first);
    }
    return -1;
}

long cfloor_run(void *db, const cfloor_chains *chains, uint32_t first, uint64_t count, uint64_t *fetches) {
    long hits = 0;
    uint64_t total = 0;
    uint32_t c = first % chains->chainCount;
    for (uint64_t i = 0; i < count; i++) {
        int at = cfloor_decide(db, chains, c);
        if (at >= 0) {
            hits++;
            total += (uint64_t)at + 1;
        } else {
            total += chains->chainStart[c + 1] - chains->chainStart[c];
        }
        if (++c == chains->chainCount) c = 0;
    }
    if (fetches) *fetches += total;
    return hits;
}

/* One fetch of key[0..<length]; 1 when found. */
static int fetch_key(void *db, char *key, size_t length) { return cfloor_fetch(db, key, (int)length); }

/* prefix + folded bytes[0..<n] (+ suffix byte when not 0) into key; the key's length. */
static size_t build(char *key, size_t prefixLength, const char *bytes, size_t n, char suffix) {
    char *out = key + prefixLength;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)bytes[i];
        out[i] = (char)((unsigned)(c - 'A') < 26u ? c | 0x20 : c);
    }
    if (suffix) out[n++] = suffix;
    return prefixLength + n;
}

int cfloor_decide_peer(void *db, const char *prefix, const cfloor_peer *peer) {
    char key[600];
    size_t p = strlen(prefix);
    memcpy(key, prefix, p);
    int fetches = 0;
    const char *name = peer->name;
    size_t n = strlen(name);
    if (n > 255) return 0;
    if (n >= 3 && name[0] == '[' && name[n - 1] == ']') {
        size_t end = n - 1; /* the key is name[0..<end] + "]" */
        for (;;) {
            fetches++;
            if (fetch_key(db, key, build(key, p, name, end, ']'))) return -fetches;
            size_t i = end - 1;
            while (i > 0 && name[i] != '.') i--;
            if (i == 0) break;
            end = i;
        }
    } else if (n > 0) {
        size_t start = 0;
        for (;;) {
            fetches++;
            if (fetch_key(db, key, build(key, p, name + start, n - start, 0))) return -fetches;
            const char *dot = memchr(name + start, '.', n - start);
            if (!dot) break;
            start = (size_t)(dot - name) + 1;
        }
    }
    const char *address = peer->address;
    size_t end = strlen(address);
    if (end > 255) return fetches;
    while (end > 0) {
        fetches++;
        if (fetch_key(db, key, build(key, p, address, end, 0))) return -fetches;
        size_t i = end - 1;
        while (i > 0 && address[i] != '.' && address[i] != ':') i--;
        end = i;
    }
    fetches++;
    return fetch_key(db, key, p) ? -fetches : fetches;
}

long cfloor_run_peers(void *db, const char *prefix, const cfloor_peer *peers, uint32_t count, uint32_t first,
                      uint64_t n) {
    long hits = 0;
    uint32_t s = first % count;
    for (uint64_t i = 0; i < n; i++) {
        if (cfloor_decide_peer(db, prefix, &peers[s]) < 0) hits++;
        if (++s == count) s = 0;
    }
    return hits;
}

struct worker {
    const char *path;
    const cfloor_chains *chains;
    uint32_t first;
    uint64_t count;
    void *db;
    pthread_barrier_t *barrier;
};

static void *work(void *arg) {
    struct worker *w = arg;
    pthread_barrier_wait(w->barrier);
    cfloor_run(w->db, w->chains, w->first, w->count, NULL);
    return NULL;
}

double cfloor_run_threads(const char *path, const cfloor_chains *chains, int threads, uint64_t perThread) {
    if (threads < 1 || threads > 64) return -1;
    struct worker workers[64];
    pthread_t ids[64];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, (unsigned)threads + 1);
    for (int t = 0; t < threads; t++) {
        workers[t] = (struct worker){path, chains, (uint32_t)((uint64_t)t * chains->chainCount / threads), perThread,
                                     cfloor_open(path), &barrier};
        if (!workers[t].db) return -1;
    }
    for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, work, &workers[t]);
    pthread_barrier_wait(&barrier);
    double start = cfloor_now();
    for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
    double elapsed = cfloor_now() - start;
    for (int t = 0; t < threads; t++) cfloor_close(workers[t].db);
    pthread_barrier_destroy(&barrier);
    return elapsed;
}
