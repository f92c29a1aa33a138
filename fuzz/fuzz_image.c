/* libFuzzer target: PNG and JPEG decoding through libpng/libjpeg with ganc's error hooks, then the conversion to a
   model-sized tensor (resize, crop, alpha compositing). */
#include <stdint.h>
#include <stdlib.h>
#include "ganc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ganc_image_t img;
    if (ganc_image_decode("fuzz.img", data, size, &img) != GANC_OK) return 0;
    if ((size_t)img.w * img.h <= 1 << 20) {
        float out[3 * 16 * 16];
        ganc_image_to_tensor(&img, 16, img.c >= 3 ? 3 : 1, out);
    }
    ganc_image_free(&img);
    return 0;
}
