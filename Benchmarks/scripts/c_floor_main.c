/* Stand-alone C floor: reads a map's key-chains file (written by the benchmarks' generator: one folded key per
 * line, an empty line after each chain) and walks every chain with raw gdbm_fetch, stopping at the first hit,
 * exactly as the in-process floor (Sources/CFloor) does. Prints ns per decision and per fetch.
 *   scripts/c-floor.sh            (builds this with cc -O2 and runs it on the 1M-line map) */
#include "CFloor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MAP.db CHAINS [ROUNDS]\n", argv[0]);
        return 64;
    }
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    FILE *f = fopen(argv[2], "rb");
    if (!f) { perror(argv[2]); return 66; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    if (fread(text, 1, (size_t)size, f) != (size_t)size) { perror("read"); return 74; }
    fclose(f);
    /* Count keys and chains, then fill the flat arrays. */
    uint32_t keys = 0, chains = 0;
    for (long i = 0; i < size; i++)
        if (text[i] == '\n') { if (i > 0 && text[i - 1] != '\n') keys++; else chains++; }
    char *bytes = malloc((size_t)size);
    uint32_t *keyStart = malloc(sizeof(uint32_t) * (keys + 1)), *chainStart = malloc(sizeof(uint32_t) * (chains + 1));
    uint32_t k = 0, c = 0, used = 0;
    long lineStart = 0;
    keyStart[0] = 0;
    chainStart[0] = 0;
    for (long i = 0; i < size; i++) {
        if (text[i] != '\n') continue;
        if (i > lineStart) {
            memcpy(bytes + used, text + lineStart, (size_t)(i - lineStart));
            used += (uint32_t)(i - lineStart);
            keyStart[++k] = used;
        } else {
            chainStart[++c] = k;
        }
        lineStart = i + 1;
    }
    cfloor_chains view = {bytes, keyStart, chainStart, c};
    void *db = cfloor_open(argv[1]);
    if (!db) { fprintf(stderr, "cannot open %s\n", argv[1]); return 66; }
    uint64_t fetches = 0;
    long hits = cfloor_run(db, &view, 0, c, &fetches); /* warm-up pass, also counts */
    printf("%u chains, %ld hits, %.2f fetches per decision\n", c, hits, (double)fetches / c);
    for (int r = 0; r < rounds; r++) {
        double start = cfloor_now();
        cfloor_run(db, &view, 0, c, NULL);
        double elapsed = cfloor_now() - start;
        printf("round %d: %.0f ns per decision, %.0f ns per fetch\n", r + 1, elapsed / c * 1e9, elapsed / fetches * 1e9);
    }
    double t2 = cfloor_run_threads(argv[1], &view, 2, c);
    double t1 = cfloor_run_threads(argv[1], &view, 1, c);
    printf("two threads: %.2fx the throughput of one\n", 2 * t1 / t2);
    cfloor_close(db);
    return 0;
}
