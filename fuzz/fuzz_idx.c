/* libFuzzer target: IDX files (raw or gzip) through zlib; the reader takes a path, so the input goes to a file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "ganc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/ganc_fuzz_idx_%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    int nd;
    int64_t dims[4];
    unsigned char *p = NULL;
    if (ganc_idx_read(path, &nd, dims, &p, (size_t)1 << 26) == GANC_OK) {
        size_t n = 1;
        for (int i = 0; i < nd; i++) n *= (size_t)dims[i];
        volatile unsigned s = p[0] + p[n - 1];
        (void)s;
        free(p);
    }
    return 0;
}
