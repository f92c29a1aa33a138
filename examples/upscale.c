/* Embedding ganc's super-resolution in a C program: upscale a photo x4 with a trained SRResNet.
   Build: cc upscale.c -I include -L build -lganc (plus ganc's libraries; CMake: target example_upscale).
   Usage: upscale MODEL.safetensors IN.png|IN.jpg OUT.png */
#include <stdio.h>
#include "ganc.h"

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: upscale MODEL IN OUT.png\n"); return 2; }
    ganc_sr_model_t *m = ganc_sr_load(argv[1]);
    ganc_image_t in = {0}, out = {0};
    int rc = !m || ganc_image_load(argv[2], &in) || ganc_sr_upscale_image(m, &in, 64, &out) ||
             ganc_png_write(argv[3], out.px, out.w, out.h, out.c);
    if (rc) fprintf(stderr, "upscale: %s\n", ganc_errmsg());
    else printf("%s (%dx%d) -> %s (%dx%d)\n", argv[2], in.w, in.h, argv[3], out.w, out.h);
    ganc_image_free(&in);
    ganc_image_free(&out);
    ganc_sr_free(m);
    return rc;
}
