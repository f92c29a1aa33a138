/* A build without CUDA (-DGANC_CUDA=OFF): the CUDA backend does not exist, and says how to get it. */
#include <stddef.h>
#include "nn/graph.h"

const ganc_backend_t *ganc_backend_cuda(const char **why) {
    *why = "this build of ganc has no CUDA backend (configure with cmake -DGANC_CUDA=ON where CUDA's toolkit is "
           "installed)";
    return NULL;
}
const char *ganc_cuda_describe(void) { return ""; }
