/* The floor for building a GDBM access map: parse the text like makemap (key = bytes up to the first run of
 * white space, value = the rest, '#' lines and empty lines skipped, key folded to ASCII lower case) and make the
 * same gdbm_store(GDBM_INSERT) calls, with nothing else around them.
 *
 *   cc -O2 -o gdbm_store_floor gdbm_store_floor.c -lgdbm
 *   ./gdbm_store_floor [--sorted] [--cache N] [--block N] [--nommap] OUT.db < access.txt
 *
 * --sorted stores the records in GDBM bucket order (ascending _gdbm_hash of the key) instead of file order.
 * Whole input is read into memory first in both modes, so the timing difference is the store order alone. */
#include <ctype.h>
#include <errno.h>
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

extern int _gdbm_hash(datum key); /* exported by libgdbm 1.23, not declared in gdbm.h */

struct rec { unsigned hash; char *key; int klen; char *val; int vlen; };

static int by_hash(const void *a, const void *b) {
    const struct rec *x = a, *y = b;
    return x->hash < y->hash ? -1 : x->hash > y->hash;
}

int main(int argc, char **argv) {
    int sorted = 0, nommap = 0, block = 0, i;
    size_t cache = 0;
    const char *out = NULL;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--sorted")) sorted = 1;
        else if (!strcmp(argv[i], "--nommap")) nommap = 1;
        else if (!strcmp(argv[i], "--cache") && i + 1 < argc) cache = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--block") && i + 1 < argc) block = atoi(argv[++i]);
        else out = argv[i];
    }
    if (!out) { fprintf(stderr, "usage: %s [--sorted] [--cache N] [--block N] [--nommap] OUT.db < text\n", argv[0]); return 64; }

    double t0 = now();
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    ssize_t n;
    while ((n = read(0, buf + len, cap - len)) > 0) {
        len += (size_t)n;
        if (len == cap) buf = realloc(buf, cap *= 2);
    }
    size_t rcap = 1 << 16, count = 0;
    struct rec *recs = malloc(rcap * sizeof *recs);
    char *p = buf, *end = buf + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl ? nl : end;
        if (eol > p && *p != '#' && !isspace((unsigned char)*p)) {
            char *k = p;
            while (k < eol && !isspace((unsigned char)*k)) { *k = (char)tolower((unsigned char)*k); k++; }
            char *v = k;
            while (v < eol && isspace((unsigned char)*v)) v++;
            if (v < eol) {
                if (count == rcap) recs = realloc(recs, (rcap *= 2) * sizeof *recs);
                struct rec *r = &recs[count++];
                r->key = p; r->klen = (int)(k - p); r->val = v; r->vlen = (int)(eol - v);
                datum d = { p, r->klen };
                r->hash = sorted ? (unsigned)_gdbm_hash(d) : 0;
            }
        }
        p = eol + 1;
    }
    double t1 = now();
    if (sorted) qsort(recs, count, sizeof *recs, by_hash);
    double t2 = now();

    int flags = GDBM_NEWDB | GDBM_NOLOCK | (nommap ? GDBM_NOMMAP : 0) | (block ? GDBM_BSEXACT : 0);
    GDBM_FILE db = gdbm_open(out, block, flags, 0640, NULL);
    if (!db) { fprintf(stderr, "%s: %s\n", out, gdbm_strerror(gdbm_errno)); return 73; }
    if (cache && gdbm_setopt(db, GDBM_CACHESIZE, &cache, sizeof cache)) { fprintf(stderr, "setopt failed\n"); return 74; }
    size_t dups = 0;
    for (size_t j = 0; j < count; j++) {
        datum k = { recs[j].key, recs[j].klen }, v = { recs[j].val, recs[j].vlen };
        int rc = gdbm_store(db, k, v, GDBM_INSERT);
        if (rc == 1) dups++;
        else if (rc) { fprintf(stderr, "store: %s\n", gdbm_strerror(gdbm_errno)); return 74; }
    }
    double t3 = now();
    if (gdbm_sync(db) || gdbm_close(db)) { fprintf(stderr, "close: %s\n", strerror(errno)); return 74; }
    double t4 = now();
    fprintf(stderr, "stored %zu records (%zu duplicates); read+parse+hash %.2f s, sort %.2f s, store %.2f s, sync+close %.2f s\n",
            count - dups, dups, t1 - t0, t2 - t1, t3 - t2, t4 - t3);
    return dups ? 65 : 0;
}
