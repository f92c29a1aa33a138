/* libFuzzer target: .npy header and data parsing. */
#include <stdint.h>
#include <stdlib.h>
#include "ganc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int nd;
    int64_t shape[8];
    float *x = NULL;
    if (ganc_npy_parse_f32("fuzz.npy", data, size, &nd, shape, &x) == GANC_OK) {
        size_t n = 1;
        for (int i = 0; i < nd; i++) n *= (size_t)shape[i];
        float s = 0;
        for (size_t i = 0; i < n; i++) s += x[i];
        free(x);
        return s != s ? 0 : 0; /* reads every element */
    }
    return 0;
}
