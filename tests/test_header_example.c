/* Compiles and runs the example at the top of include/ganc.h (extracted by tests/CMakeLists.txt). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "testutil.h"

static float g_loss;
static int example(const float *images) {
#include "header_example.inc"
    g_loss = loss;
    return 0;
}

int main(void) {
    static float images[64 * 32 * 32];
    for (int i = 0; i < 64 * 32 * 32; i++) images[i] = (float)((i * 37) % 200) / 100.0f - 1.0f;
    CHECK(example(images) == 0, "example failed: %s", ganc_errmsg());
    CHECK(isfinite(g_loss) && g_loss > 0.0f, "example loss %g", g_loss);
    return tu_finish("test_header_example");
}
