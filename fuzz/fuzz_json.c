/* libFuzzer target for the JSON reader behind `ganc study score` (answers files come from participants). */
#include <stdint.h>
#include <stdlib.h>
#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[128];
    json_t *j = json_parse((const char *)data, size, err, sizeof err);
    const json_t *a = json_get(j, "answers");
    for (int i = 0; i < json_len(a); i++) {
        double v;
        (void)json_str(json_get(json_at(a, i), "truth"));
        (void)json_num(json_get(json_at(a, i), "ms"), &v);
    }
    json_free(j);
    return 0;
}
