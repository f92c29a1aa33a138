/* ganc show-filters RUN --layer K: what D's convolutions respond to. Layer 0: the first convolution's filters as
   image tiles. Deeper layers: for each channel, the real-image patches (the layer's receptive field) where that
   channel's activation is highest, one row per channel. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

typedef struct { float v; int img, y, x; } hit_t;

static int cmp_hit(const void *a, const void *b) {
    float x = ((const hit_t *)a)->v, y = ((const hit_t *)b)->v;
    return x < y ? 1 : x > y ? -1 : 0;
}

int cmd_show_filters(int argc, char **argv) {
    static const command_t cmd = {
        "show-filters", "show-filters RUN|D.safetensors --layer K --out f.png [--data SRC] [--n N]",
        "Layer 0: the first convolution's filters, one tile per output channel (each filter scaled to its own\n"
        "min..max, enlarged 4x). Layer K > 0: the K-th convolution (0-based, after its activation): for each of\n"
        "the first --channels channels, the --top real images where the channel responds most, cropped to the\n"
        "receptive field of the most active position (one row per channel). Only D (DCGAN) is supported.", NULL};
    const char *out = NULL, *data = "fashion-mnist:test", *netname = "D";
    int layer = 0, n = 2000, channels = 16, top = 8, threads = 0;
    flag_t flags[] = {
        {"net", F_STR, &netname, "NET", "the network: D", 0, NULL, 0, 0, 0},
        {"layer", F_INT, &layer, "K", "convolution index, 0 = first", 0, NULL, 0, 0, 64},
        {"out", F_STR, &out, "FILE", "output grid (.png)", 0, NULL, 0, 0, 0},
        {"data", F_STR, &data, "SRC", "real images searched for the strongest responses (layer > 0)", 0, NULL, 0, 0, 0},
        {"n", F_INT, &n, NULL, "images searched", 0, NULL, 0, 1, 1000000},
        {"channels", F_INT, &channels, NULL, "channels shown (layer > 0)", 0, NULL, 0, 1, 1024},
        {"top", F_INT, &top, NULL, "patches per channel (layer > 0)", 0, NULL, 0, 1, 64},
        {"threads", F_INT, &threads, NULL, "threads (default: all cores)", 0, NULL, 0, 0, 1024},
    };
    const int nflags = (int)(sizeof flags / sizeof flags[0]);
    char *pos[1];
    int npos;
    int prc = parse_flags(&cmd, flags, nflags, argc, argv, pos, 1, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (npos != 1 || !out || !ends_with(out, ".png")) { fprintf(stderr, "ganc show-filters: need RUN and --out FILE.png\n"); return 2; }
    if (strcmp(netname, "D")) { fprintf(stderr, "ganc show-filters: only --net D is supported\n"); return 2; }
    if (layer < 0 || n < 1 || n > 1000000 || channels < 1 || channels > 1024 || top < 1 || top > 64) {
        fprintf(stderr, "ganc show-filters: --layer >= 0, --n 1..1000000, --channels 1..1024, --top 1..64\n");
        return 2;
    }
    if (dry_run()) return 0;
    ganc_set_threads(threads);
    char dpath[4096];
    ganc_gan_cfg_t cfg;
    ganc_gan_io_t io;
    ganc_net_t *d = NULL;
    ganc_dataset_t ds = {0};
    float *grid = NULL;
    hit_t *hits = NULL;
    int rc = 1;
    if (!(d = open_dcgan_discriminator(pos[0], 100, &cfg, &io, dpath, sizeof dpath))) {
        fprintf(stderr, "ganc show-filters: %s\n", ganc_errmsg());
        goto done;
    }
    /* the convolutions and, for each, the node whose output is shown (its activation) */
    int convs[16], acts[16], nconv = 0;
    for (int i = 0; i < ganc_net_nnodes(d) && nconv < 16; i++)
        if (!strcmp(ganc_net_node_kind(d, i), "conv2d")) convs[nconv++] = i;
    for (int k = 0; k < nconv; k++) {
        acts[k] = convs[k];
        for (int i = convs[k] + 1; i < ganc_net_nnodes(d) && i < (k + 1 < nconv ? convs[k + 1] : ganc_net_nnodes(d)); i++)
            if (!strcmp(ganc_net_node_kind(d, i), "leaky_relu")) acts[k] = i;
    }
    if (layer >= nconv - 1) { /* the last conv is the 1-logit output */
        fprintf(stderr, "ganc show-filters: --layer must be 0..%d for this D\n", nconv - 2);
        goto done;
    }
    if (layer == 0) {
        ganc_tensor_info_t w;
        char nm[64];
        snprintf(nm, sizeof nm, "%s.weight", ganc_net_node_name(d, convs[0]));
        if (ganc_net_find(d, nm, &w)) { fprintf(stderr, "ganc show-filters: %s\n", ganc_errmsg()); goto done; }
        const int oc = (int)w.shape[0], ic = (int)w.shape[1], kh = (int)w.shape[2], kw = (int)w.shape[3], sc = 4;
        const int tc = ic == 3 ? 3 : 1, th = kh * sc, tw = kw * sc; /* tiles: RGB filters in colour, else channel 0 */
        grid = malloc(sizeof(float) * (size_t)oc * tc * th * tw);
        if (!grid) goto done;
        for (int o = 0; o < oc; o++) {
            const float *f = w.data + (size_t)o * ic * kh * kw;
            float lo = INFINITY, hi = -INFINITY;
            for (int q = 0; q < tc * kh * kw; q++) { lo = f[q] < lo ? f[q] : lo; hi = f[q] > hi ? f[q] : hi; }
            float s = hi > lo ? 2.0f / (hi - lo) : 0.0f;
            for (int c = 0; c < tc; c++)
                for (int y = 0; y < th; y++)
                    for (int x = 0; x < tw; x++)
                        grid[(((size_t)o * tc + c) * th + y) * tw + x] = (f[((size_t)c * kh + y / sc) * kw + x / sc] - lo) * s - 1.0f;
        }
        if (ganc_grid_png(out, grid, oc, tc, th, tw, (int)ceil(sqrt((double)oc)))) { fprintf(stderr, "ganc show-filters: %s\n", ganc_errmsg()); goto done; }
        printf("wrote %s: %d first-layer filters %dx%d (%s)\n", out, oc, kh, kw, ic == 3 ? "RGB" : "channel 0");
        rc = 0;
        goto done;
    }
    /* receptive field of layer K: position p covers input rows [start + p*jump, start + p*jump + size) */
    int start = 0, jump = 1, size = 1;
    for (int k = 0; k <= layer; k++) { /* DCGAN D convs: k4 s2 p1 */
        start -= 1 * jump;
        size += 3 * jump;
        jump *= 2;
    }
    if (ganc_dataset_load(&ds, data, cfg.size, cfg.nc, 0)) { fprintf(stderr, "ganc show-filters: %s\n", ganc_errmsg()); goto done; }
    if (n > ds.n) n = ds.n;
    const int a = acts[layer], C = ganc_net_shape(d, a)[0], H = ganc_net_shape(d, a)[1], W = ganc_net_shape(d, a)[2];
    if (channels > C) channels = C;
    if (top > n) top = n;
    hits = malloc(sizeof(hit_t) * (size_t)channels * n);
    grid = malloc(sizeof(float) * (size_t)channels * top * cfg.nc * size * size);
    if (!hits || !grid) { fprintf(stderr, "ganc show-filters: out of memory\n"); goto done; }
    const size_t per = (size_t)cfg.nc * cfg.size * cfg.size;
    const int B = ganc_net_max_batch(d);
    for (int i0 = 0; i0 < n; i0 += B) { /* each image's strongest position per channel */
        int b = n - i0 < B ? n - i0 : B;
        memcpy(ganc_net_data(d, io.in), ds.x + per * i0, sizeof(float) * per * b);
        if (ganc_net_forward(d, b, 0)) { fprintf(stderr, "ganc show-filters: %s\n", ganc_errmsg()); goto done; }
        for (int i = 0; i < b; i++)
            for (int c = 0; c < channels; c++) {
                const float *m = ganc_net_data(d, a) + ((size_t)i * C + c) * H * W;
                hit_t h = {-INFINITY, i0 + i, 0, 0};
                for (int q = 0; q < H * W; q++)
                    if (m[q] > h.v) { h.v = m[q]; h.y = q / W; h.x = q % W; }
                hits[(size_t)c * n + i0 + i] = h;
            }
    }
    for (int c = 0; c < channels; c++) {
        qsort(hits + (size_t)c * n, (size_t)n, sizeof(hit_t), cmp_hit);
        for (int t = 0; t < top; t++) {
            const hit_t *h = &hits[(size_t)c * n + t];
            float *p = grid + ((size_t)c * top + t) * cfg.nc * size * size;
            int y0 = start + h->y * jump, x0 = start + h->x * jump;
            for (int k = 0; k < cfg.nc; k++)
                for (int y = 0; y < size; y++)
                    for (int x = 0; x < size; x++) {
                        int iy = y0 + y, ix = x0 + x;
                        int in = iy >= 0 && iy < cfg.size && ix >= 0 && ix < cfg.size;
                        p[((size_t)k * size + y) * size + x] =
                            in ? ds.x[per * h->img + ((size_t)k * cfg.size + iy) * cfg.size + ix] : -1.0f;
                    }
        }
    }
    if (ganc_grid_png(out, grid, channels * top, cfg.nc, size, size, top)) { fprintf(stderr, "ganc show-filters: %s\n", ganc_errmsg()); goto done; }
    printf("wrote %s: layer %d (%s, %d channels), top %d of %d images for the first %d channels, %dx%d receptive "
           "fields\n", out, layer, ganc_net_node_name(d, convs[layer]), C, top, n, channels, size, size);
    rc = 0;
done:
    free(grid); free(hits);
    ganc_dataset_free(&ds);
    ganc_net_free(d);
    return rc;
}
