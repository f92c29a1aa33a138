/* ganc upscale IN OUT --model RUN|G.safetensors: super-resolution of a PNG/JPEG of any size with a trained SRResNet,
   in tiles (ganc_sr_upscale), to a PNG. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#ifndef GANC_WEIGHTS_DIR
#define GANC_WEIGHTS_DIR "weights"
#endif
#define SR_DEFAULT_MODEL GANC_WEIGHTS_DIR "/srresnet_x4.safetensors"

typedef struct {
    const char *model, *device, *hr_out;
    int tile, threads, from_hr, scale;
} up_opts_t;

/* floats (nc,h,w) in [-1,1] -> a PNG */
static int write_planes(const char *path, const float *y, int nc, int w, int h) {
    ganc_image_t im;
    int rc = ganc_planes_image(y, nc, h, w, &im);
    if (!rc) rc = ganc_png_write(path, im.px, w, h, nc);
    ganc_image_free(&im);
    return rc;
}

/* --from-hr: the image cropped to a multiple of the scale (its top-left part), optionally written as the reference,
   and its MATLAB-bicubic downscale, which becomes the input */
static int degrade(float **x, int nc, int *h, int *w, int s, const char *hr_out) {
    const int H = *h - *h % s, W = *w - *w % s;
    if (H < s || W < s) return ganc_fail(GANC_EINVAL, "--from-hr: a %dx%d image is smaller than the scale %d", *w, *h, s);
    float *c = malloc(sizeof(float) * nc * H * W), *lr = malloc(sizeof(float) * nc * (H / s) * (W / s));
    int rc = c && lr ? GANC_OK : ganc_fail(GANC_ENOMEM, "out of memory");
    for (int k = 0; !rc && k < nc; k++)
        for (int r = 0; r < H; r++) memcpy(c + ((size_t)k * H + r) * W, *x + ((size_t)k * *h + r) * *w, sizeof(float) * W);
    if (!rc && hr_out) rc = write_planes(hr_out, c, nc, W, H);
    if (!rc) rc = ganc_resize(c, nc, H, W, H / s, W / s, GANC_RESAMPLE_BICUBIC, lr);
    free(c);
    if (rc) { free(lr); return rc; }
    free(*x);
    *x = lr;
    *h = H / s;
    *w = W / s;
    return GANC_OK;
}

static int upscale_file(const char *in, const char *out, const up_opts_t *o) {
    char path[4096];
    const int bicubic = !strcmp(o->model, "bicubic");
    snprintf(path, sizeof path, "%s%s", o->model, is_dir(o->model) ? "/G.safetensors" : "");
    ganc_sr_model_t *m = bicubic ? NULL : ganc_sr_load(path);
    if (!bicubic && !m) { fprintf(stderr, "ganc upscale: %s\n", ganc_errmsg()); return 1; }
    const int nc = m ? ganc_sr_model_cfg(m)->nc : 3, s = m ? ganc_sr_model_cfg(m)->scale : o->scale;
    ganc_image_t im = {0};
    int rc = 1, h = 0, w = 0;
    float *x = NULL, *y = NULL;
    if (ganc_image_load(in, &im)) {
        fprintf(stderr, "ganc upscale: %s\n", ganc_errmsg());
    } else if (!o->from_hr && (size_t)im.w * im.h * s * s > GANC_SR_MAX_OUT_PIXELS) {
        fprintf(stderr, "ganc upscale: %s: %dx%d would become %dx%d, over the limit of %zu Mpixels\n", in, im.w, im.h,
                im.w * s, im.h * s, GANC_SR_MAX_OUT_PIXELS >> 20);
    } else if (!(x = malloc(sizeof(float) * nc * im.w * im.h))) {
        fprintf(stderr, "ganc upscale: out of memory for a %dx%d image\n", im.w, im.h);
    } else {
        h = im.h;
        w = im.w;
        ganc_image_planes(&im, nc, x);
        if (o->from_hr && degrade(&x, nc, &h, &w, s, o->hr_out)) {
            fprintf(stderr, "ganc upscale: %s: %s\n", in, ganc_errmsg());
        } else if (!(y = malloc(sizeof(float) * nc * w * h * s * s))) {
            fprintf(stderr, "ganc upscale: out of memory for a %dx%d output\n", w * s, h * s);
        } else {
            printf("upscaling %s (%dx%d) x%d %s ...\n", in, w, h, s, bicubic ? "bicubic" : "with SRResNet");
            fflush(stdout);
            int e = bicubic ? ganc_resize(x, nc, h, w, h * s, w * s, GANC_RESAMPLE_BICUBIC, y)
                            : ganc_sr_upscale(m, x, h, w, o->tile, y);
            if (!e) e = write_planes(out, y, nc, w * s, h * s);
            if (e) fprintf(stderr, "ganc upscale: %s\n", ganc_errmsg());
            else {
                printf("wrote %s (%dx%d)\n", out, w * s, h * s);
                rc = 0;
            }
        }
    }
    free(x); free(y);
    ganc_image_free(&im);
    ganc_sr_free(m);
    return rc;
}

int cmd_upscale(int argc, char **argv) {
    static const command_t cmd = {
        "upscale", "upscale IN OUT.png [--model RUN|G.safetensors|bicubic] [--tile N] [--from-hr [--hr-out REF.png]]",
        "Super-resolve a PNG/JPEG of any size with a trained SRResNet (ganc train srresnet): x4 for the paper's\n"
        "model. The image is processed in tiles of --tile input pixels, each with a margin of the network's reach\n"
        "around it, so memory stays bounded and the result equals processing the whole image at once (up to float\n"
        "rounding). Grey images are repeated over RGB, alpha is composited onto white. Output: PNG, at most 100\n"
        "Mpixels. The default model is the shipped weights/srresnet_x4.safetensors (ganc's default recipe; the\n"
        "README says how it was trained and how well it does). Evaluation: --from-hr degrades an original\n"
        "first (crop to a multiple of the scale, MATLAB bicubic down), --hr-out writes the cropped original; then\n"
        "ganc eval psnr,ssim --real REFS --fake OUTS (Y channel, border 4) compares the folders.", NULL};
    up_opts_t o = {.device = "cpu", .tile = 64, .scale = 4};
    flag_t flags[] = {
        {"model", F_STR, &o.model, "M", "a srresnet run folder or its G.safetensors, or bicubic (MATLAB's imresize); "
         "default: the shipped weights/srresnet_x4.safetensors", 0, NULL, 0, 0, 0},
        {"scale", F_INT, &o.scale, NULL, "--model bicubic: the factor (a network's is its own)", 0, NULL, 0, 2, 8},
        {"from-hr", F_BOOL, &o.from_hr, NULL, "IN is a high-resolution original: crop it to a multiple of the scale, "
                                              "downscale it (MATLAB bicubic), then upscale (for evaluation)", 0, NULL, 0, 0, 0},
        {"hr-out", F_STR, &o.hr_out, "FILE", "--from-hr: also write the cropped original (the PSNR reference) here", 0,
         NULL, 0, 0, 0},
        {"tile", F_INT, &o.tile, NULL, "tile side in input pixels", 0, NULL, 0, 8, 4096},
        {"threads", F_INT, &o.threads, NULL, "threads (default: all cores)", 0, NULL, 0, 0, 1024},
        {"device", F_STR, &o.device, "D", DEVICE_HELP, 0, NULL, 0, 0, 0},
    };
    const int nflags = (int)(sizeof flags / sizeof flags[0]);
    char *pos[2];
    int npos, prc = parse_flags(&cmd, flags, nflags, argc, argv, pos, 2, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (npos != 2) { fprintf(stderr, "ganc upscale: need IN and OUT.png (see ganc upscale --help)\n"); return 2; }
    if (!o.model) o.model = SR_DEFAULT_MODEL;
    if (o.hr_out && (!o.from_hr || !ends_with(o.hr_out, ".png"))) {
        fprintf(stderr, "ganc upscale: --hr-out needs --from-hr and a .png name\n");
        return 2;
    }
    if (!ends_with(pos[1], ".png")) { fprintf(stderr, "ganc upscale: OUT must be a .png file\n"); return 2; }
    if (dry_run()) return 0;
    ganc_set_threads(o.threads);
    if (use_device("upscale", o.device)) return 2;
    return upscale_file(pos[0], pos[1], &o);
}
