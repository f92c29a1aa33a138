/* ganc upscale IN OUT --model RUN|G.safetensors: super-resolution of a PNG/JPEG of any size with a trained SRResNet,
   in tiles (ganc_sr_upscale), to a PNG. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define MAX_OUT_PIXELS ((size_t)100 << 20) /* 100 Mpixels out: 1.2 GB of floats in RGB */

/* bytes (h,w,c) -> floats (nc,h,w) in [-1,1]: grey repeated, alpha composited onto white */
static void to_planes(const ganc_image_t *im, int nc, float *x) {
    const size_t hw = (size_t)im->w * im->h;
    for (size_t i = 0; i < hw; i++) {
        const unsigned char *p = im->px + i * im->c;
        const int alpha = im->c == 2 || im->c == 4;
        const float a = alpha ? p[im->c - 1] / 255.0f : 1.0f;
        float v[3];
        for (int k = 0; k < 3; k++) v[k] = (im->c >= 3 ? p[k] : p[0]) * a + 255.0f * (1 - a);
        if (nc == 1) x[i] = (0.299f * v[0] + 0.587f * v[1] + 0.114f * v[2]) / 127.5f - 1.0f;
        else
            for (int k = 0; k < 3; k++) x[k * hw + i] = v[k] / 127.5f - 1.0f;
    }
}

static int upscale_file(const char *in, const char *out, const char *model, int tile) {
    char path[4096];
    snprintf(path, sizeof path, "%s%s", model, is_dir(model) ? "/G.safetensors" : "");
    ganc_sr_model_t *m = ganc_sr_load(path);
    if (!m) { fprintf(stderr, "ganc upscale: %s\n", ganc_errmsg()); return 1; }
    ganc_image_t im = {0};
    const ganc_sr_cfg_t *c = ganc_sr_model_cfg(m);
    int rc = 1;
    float *x = NULL, *y = NULL;
    unsigned char *u = NULL;
    const size_t s = (size_t)c->scale;
    if (ganc_image_load(in, &im)) {
        fprintf(stderr, "ganc upscale: %s\n", ganc_errmsg());
    } else if ((size_t)im.w * im.h * s * s > MAX_OUT_PIXELS) {
        fprintf(stderr, "ganc upscale: %s: %dx%d would become %zux%zu, over the limit of %zu Mpixels\n", in, im.w, im.h,
                im.w * s, im.h * s, MAX_OUT_PIXELS >> 20);
    } else if (!(x = malloc(sizeof(float) * c->nc * im.w * im.h)) ||
               !(y = malloc(sizeof(float) * c->nc * im.w * im.h * s * s)) || !(u = malloc((size_t)c->nc * im.w * im.h * s * s))) {
        fprintf(stderr, "ganc upscale: out of memory for a %zux%zu output\n", im.w * s, im.h * s);
    } else {
        to_planes(&im, c->nc, x);
        printf("upscaling %s (%dx%d) x%d in tiles of %d (+%d margin) ...\n", in, im.w, im.h, c->scale, tile,
               ganc_sr_margin(c));
        fflush(stdout);
        if (ganc_sr_upscale(m, x, im.h, im.w, tile, y)) {
            fprintf(stderr, "ganc upscale: %s\n", ganc_errmsg());
        } else {
            const size_t hw = (size_t)im.w * im.h * s * s;
            for (size_t i = 0; i < hw; i++)
                for (int k = 0; k < c->nc; k++) {
                    float v = (y[k * hw + i] + 1.0f) * 127.5f + 0.5f;
                    u[i * c->nc + k] = v <= 0 ? 0 : v >= 255 ? 255 : (unsigned char)v;
                }
            if (ganc_png_write(out, u, (int)(im.w * s), (int)(im.h * s), c->nc))
                fprintf(stderr, "ganc upscale: %s\n", ganc_errmsg());
            else {
                printf("wrote %s (%zux%zu)\n", out, im.w * s, im.h * s);
                rc = 0;
            }
        }
    }
    free(x); free(y); free(u);
    ganc_image_free(&im);
    ganc_sr_free(m);
    return rc;
}

int cmd_upscale(int argc, char **argv) {
    static const command_t cmd = {
        "upscale", "upscale IN OUT.png --model RUN|G.safetensors [--tile N]",
        "Super-resolve a PNG/JPEG of any size with a trained SRResNet (ganc train srresnet): x4 for the paper's\n"
        "model. The image is processed in tiles of --tile input pixels, each with a margin of the network's reach\n"
        "around it, so memory stays bounded and the result equals processing the whole image at once (up to float\n"
        "rounding). Grey images are repeated over RGB, alpha is composited onto white. Output: PNG, at most 100\n"
        "Mpixels. (No model ships with ganc yet: --model is required.)", NULL};
    const char *model = NULL, *device = "cpu";
    int tile = 64, threads = 0;
    flag_t flags[] = {
        {"model", F_STR, &model, "M", "a srresnet run folder or its G.safetensors", 0, NULL, 0, 0, 0},
        {"tile", F_INT, &tile, NULL, "tile side in input pixels", 0, NULL, 0, 8, 4096},
        {"threads", F_INT, &threads, NULL, "threads (default: all cores)", 0, NULL, 0, 0, 1024},
        {"device", F_STR, &device, "D", DEVICE_HELP, 0, NULL, 0, 0, 0},
    };
    const int nflags = (int)(sizeof flags / sizeof flags[0]);
    char *pos[2];
    int npos, prc = parse_flags(&cmd, flags, nflags, argc, argv, pos, 2, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (npos != 2) { fprintf(stderr, "ganc upscale: need IN and OUT.png (see ganc upscale --help)\n"); return 2; }
    if (!model) { fprintf(stderr, "ganc upscale: --model is required (no model ships with ganc yet)\n"); return 2; }
    if (!ends_with(pos[1], ".png")) { fprintf(stderr, "ganc upscale: OUT must be a .png file\n"); return 2; }
    if (dry_run()) return 0;
    ganc_set_threads(threads);
    if (use_device("upscale", device)) return 2;
    return upscale_file(pos[0], pos[1], model, tile);
}
