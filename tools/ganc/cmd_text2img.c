/* ganc text2img RUN "caption" ...: images from a trained text-to-image GAN (ganc train text2img), its text encoder
   being part of the run (encoder.safetensors). Modes: samples per caption (a PNG grid with one row per caption, or
   uint8 .npy in caption order), --interp (two captions' embeddings mixed in --steps, the same noise along a row),
   --style (the same noise in a row, one caption per column), --emoji-heldout DIR (every held-out emoji's name:
   a labelled-array folder for ganc eval, and R-precision with the run's image encoder). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "train.h"

#define MAX_CAPTIONS 4096
#define MAX_IMAGES 65536

typedef struct {
    ganc_net_t *g, *enc;
    ganc_t2i_io_t gio;
    ganc_textenc_io_t eio;
    ganc_t2i_cfg_t cfg;
} model_t;

static void model_free(model_t *m) { ganc_net_free(m->g); ganc_net_free(m->enc); }

static int model_load(const char *run, model_t *m) {
    char path[4200];
    ganc_st_t *st = NULL;
    ganc_textenc_cfg_t tc;
    int size, rc;
    memset(m, 0, sizeof *m);
    snprintf(path, sizeof path, "%s/G.safetensors", run);
    if (!(rc = ganc_st_open(&st, path)) && !(rc = ganc_t2i_cfg_from_file(st, &m->cfg))) {
        if (!(m->g = ganc_t2i_generator(&m->cfg, 64, &m->gio))) rc = GANC_EINVAL;
        else rc = ganc_net_load_from(m->g, st, "", 0);
    }
    ganc_st_free(st);
    st = NULL;
    snprintf(path, sizeof path, "%s/encoder.safetensors", run);
    if (!rc && !(rc = ganc_st_open(&st, path)) && !(rc = ganc_textenc_cfg_from_file(st, &tc, &size))) {
        if (tc.dim != m->cfg.emb) rc = ganc_fail(GANC_EMISMATCH, "%s: embedding %d, G expects %d", path, tc.dim, m->cfg.emb);
        else if (!(m->enc = ganc_textenc_text_net(&tc, 64, &m->eio))) rc = GANC_EINVAL;
        else rc = ganc_net_load_from(m->enc, st, "", 0);
    }
    ganc_st_free(st);
    return rc;
}

/* captions: the positional ones, then the lines of --captions FILE (empty lines are errors, naming the line) */
static int read_captions(const char *file, char **pos, int npos, char ***caps, int *n, char **buf) {
    *caps = malloc(sizeof(char *) * MAX_CAPTIONS);
    *n = 0;
    *buf = NULL;
    if (!*caps) return ganc_fail(GANC_ENOMEM, "out of memory");
    for (int i = 0; i < npos; i++) (*caps)[(*n)++] = pos[i];
    if (!file) return GANC_OK;
    size_t len;
    unsigned char *raw;
    int rc = ganc_read_file(file, (size_t)16 << 20, &raw, &len);
    if (rc) return rc;
    if (!(*buf = malloc(len + 1))) { free(raw); return ganc_fail(GANC_ENOMEM, "out of memory"); }
    memcpy(*buf, raw, len);
    (*buf)[len] = 0;
    free(raw);
    char *p = *buf;
    for (int line = 1; *p; line++) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r') p[l - 1] = 0;
        float idx[GANC_TEXT_LEN];
        int tl;
        if (ganc_text_encode(p, idx, &tl)) return ganc_fail(GANC_EINVAL, "%s:%d: %s", file, line, ganc_errmsg());
        if (*n >= MAX_CAPTIONS) return ganc_fail(GANC_EINVAL, "%s: more than %d captions", file, MAX_CAPTIONS);
        (*caps)[(*n)++] = p;
        if (!nl) break;
        p = nl + 1;
    }
    return GANC_OK;
}

static void to_u8(const float *x, size_t n, unsigned char *u) {
    for (size_t i = 0; i < n; i++) {
        float v = (x[i] + 1.0f) * 127.5f;
        u[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : lrintf(v));
    }
}

static int write_out(const char *out, const float *x, int n, int size, int cols) {
    const size_t per = (size_t)3 * size * size;
    size_t l = strlen(out);
    if (l > 4 && !strcmp(out + l - 4, ".npy")) {
        unsigned char *u = malloc(per * n);
        if (!u) return ganc_fail(GANC_ENOMEM, "out of memory");
        to_u8(x, per * n, u);
        int rc = ganc_npy_write(out, GANC_U8, 4, (const int64_t[]){n, 3, size, size}, u);
        free(u);
        return rc;
    }
    return ganc_grid_png(out, x, n, 3, size, size, cols);
}

/* R-precision (R = 1): each sample against its own caption and 99 other held-out names drawn from rng */
static int r_precision(const char *run, const float *x, int gsize, const float *temb, const int *owner, int n, int ncap,
                       int dim, double *rp) {
    char path[4200];
    snprintf(path, sizeof path, "%s/image_encoder.safetensors", run);
    ganc_st_t *st = NULL;
    ganc_textenc_cfg_t tc;
    ganc_textenc_io_t io;
    ganc_net_t *net = NULL;
    int size, rc = ganc_st_open(&st, path), hits = 0;
    if (!rc) rc = ganc_textenc_cfg_from_file(st, &tc, &size);
    if (!rc && !(net = ganc_textenc_image_net(&tc, size, 64, &io))) rc = GANC_EINVAL;
    if (!rc) rc = ganc_net_load_from(net, st, "", 0);
    float *ie = rc ? NULL : malloc(sizeof(float) * (size_t)n * dim), *xs = NULL;
    if (!rc && !ie) rc = ganc_fail(GANC_ENOMEM, "out of memory");
    if (!rc && size != gsize) { /* samples at the encoder's size (bilinear) */
        const size_t pi = (size_t)3 * gsize * gsize, po = (size_t)3 * size * size;
        if (!(xs = malloc(sizeof(float) * po * n))) rc = ganc_fail(GANC_ENOMEM, "out of memory");
        for (int i = 0; !rc && i < n; i++)
            rc = ganc_resize(x + pi * i, 3, gsize, gsize, size, size, GANC_RESAMPLE_BILINEAR, xs + po * i);
    }
    if (!rc) rc = ganc_textenc_embed_images(net, &io, xs ? xs : x, n, ie);
    free(xs);
    ganc_rng_t r;
    ganc_rng_seed(&r, 12345);
    for (int i = 0; !rc && i < n; i++) {
        const float *v = ie + (size_t)dim * i;
        double own = 0, s;
        for (int k = 0; k < dim; k++) own += (double)v[k] * temb[(size_t)dim * owner[i] + k];
        int best = 1;
        for (int j = 0; j < 99 && ncap > 1; j++) {
            int c = (int)ganc_rng_below(&r, (uint32_t)(ncap - 1));
            c += c >= owner[i]; /* another caption */
            s = 0;
            for (int k = 0; k < dim; k++) s += (double)v[k] * temb[(size_t)dim * c + k];
            if (s >= own) best = 0;
        }
        hits += best;
    }
    *rp = n ? (double)hits / n : NAN;
    free(ie);
    ganc_net_free(net);
    ganc_st_free(st);
    return rc;
}

/* every held-out emoji's name, n samples each: DIR/images.npy + labels.npy (category) + captions.txt, R-precision */
static int heldout(const char *run, model_t *m, const char *data, const char *dir, int n, uint64_t seed) {
    ganc_emoji_t e;
    int rc = ganc_emoji_load(&e, data && data[5] == ':' ? data + 6 : NULL, m->cfg.size);
    if (rc) return rc;
    int H = 0;
    for (int i = 0; i < e.n; i++) H += e.held_out[i];
    const size_t per = (size_t)3 * m->cfg.size * m->cfg.size, N = (size_t)H * n, D = (size_t)m->cfg.emb;
    const char **caps = malloc(sizeof(char *) * H);
    int *lab = malloc(sizeof(int) * N), *owner = malloc(sizeof(int) * N);
    float *temb = malloc(sizeof(float) * D * H), *emb = malloc(sizeof(float) * D * N), *z = malloc(sizeof(float) * N * m->cfg.nz);
    float *x = malloc(sizeof(float) * per * N);
    unsigned char *u = malloc(per * N);
    if (!caps || !lab || !owner || !temb || !emb || !z || !x || !u) rc = ganc_fail(GANC_ENOMEM, "out of memory");
    for (int i = 0, h = 0; !rc && i < e.n; i++) {
        if (!e.held_out[i]) continue;
        caps[h] = e.cap[(size_t)i * GANC_EMOJI_MAX_CAPTIONS];
        for (int k = 0; k < n; k++) { lab[h * n + k] = e.labels[i]; owner[h * n + k] = h; }
        h++;
    }
    if (!rc) rc = ganc_textenc_embed(m->enc, &m->eio, caps, H, temb);
    for (size_t i = 0; !rc && i < N; i++) memcpy(emb + D * i, temb + D * owner[i], sizeof(float) * D);
    ganc_rng_t r;
    ganc_rng_seed(&r, seed);
    if (!rc) { ganc_rng_fill_normal(&r, z, N * m->cfg.nz, 0.0f, 1.0f); rc = ganc_t2i_generate(m->g, &m->gio, z, emb, (int)N, x); }
    double rp = NAN;
    if (!rc) { to_u8(x, per * N, u); rc = write_labelled(dir, u, lab, (int)N, 3, m->cfg.size); }
    if (!rc) rc = r_precision(run, x, m->cfg.size, temb, owner, (int)N, H, (int)D, &rp);
    char path[4200], js[300];
    FILE *f = NULL;
    if (!rc && !join_path(path, sizeof path, dir, "captions.txt") && (f = fopen(path, "w"))) {
        for (size_t i = 0; i < N; i++) fprintf(f, "%s\n", caps[owner[i]]);
        if (fclose(f)) rc = ganc_fail(GANC_EIO, "%s: write failed", path);
    }
    int l = snprintf(js, sizeof js, "{\"held_out_emoji\": %d, \"samples\": %zu, \"r_precision\": %.4f}\n", H, N, rp);
    if (!rc) rc = join_path(path, sizeof path, dir, "rprecision.json");
    if (!rc) rc = ganc_write_file_atomic(path, js, (size_t)l);
    if (!rc) printf("%s", js);
    free(caps); free(lab); free(owner); free(temb); free(emb); free(z); free(x); free(u);
    ganc_emoji_free(&e);
    return rc;
}

/* the images of one mode: embeddings and noise per image into emb/z (n_img of them); cols of the grid */
static int layout(model_t *m, char **caps, int ncap, int n, int interp, int steps, int style, ganc_rng_t *r,
                  float **emb, float **z, int *n_img, int *cols) {
    const size_t D = (size_t)m->cfg.emb, nz = (size_t)m->cfg.nz;
    float *ce = malloc(sizeof(float) * D * ncap);
    *n_img = interp ? n * steps : n * ncap;
    *cols = interp ? steps : style ? ncap : n;
    if (*n_img > MAX_IMAGES) { free(ce); return ganc_fail(GANC_EINVAL, "more than %d images", MAX_IMAGES); }
    *emb = malloc(sizeof(float) * D * *n_img);
    *z = malloc(sizeof(float) * nz * *n_img);
    int rc = ce && *emb && *z ? ganc_textenc_embed(m->enc, &m->eio, (const char *const *)caps, ncap, ce)
                              : ganc_fail(GANC_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < *n_img; i++) {
        const int row = i / *cols, col = i % *cols;
        float *e = *emb + D * i, *zi = *z + nz * i;
        if (interp) { /* row: one noise; columns: (1-a) A + a B */
            const float a = steps > 1 ? (float)col / (float)(steps - 1) : 0.0f;
            for (size_t k = 0; k < D; k++) e[k] = (1.0f - a) * ce[k] + a * ce[D + k];
        } else memcpy(e, ce + D * (style ? col : row), sizeof(float) * D);
        if (col == 0 || !(interp || style)) ganc_rng_fill_normal(r, zi, nz, 0.0f, 1.0f);
        else memcpy(zi, *z + nz * (size_t)row * *cols, sizeof(float) * nz);
    }
    free(ce);
    return rc;
}

int cmd_text2img(int argc, char **argv) {
    static const command_t cmd = {
        "text2img", "text2img RUN [CAPTION...] [--captions FILE] [--n N] [--out FILE.png|FILE.npy] [--interp|--style]",
        "Images from a trained text-to-image GAN (ganc train text2img). Captions are the arguments after RUN, then the\n"
        "lines of --captions FILE. Each caption is lowercased; characters outside ganc's alphabet (a-z 0-9 space\n"
        "and , . : ; ' & ( ) # * + - ! ? /) become spaces; an empty caption is an error. Default: --n samples per\n"
        "caption, in caption order (rows i*n..i*n+n-1 belong to caption i; a PNG grid has one row per caption, .npy\n"
        "is uint8 (N,3,S,S)). --interp: exactly two captions, --n rows of fixed noise, --steps columns mixing\n"
        "their embeddings from the first to the second. --style: --n rows of fixed noise, one column per caption.\n"
        "--emoji-heldout DIR: --n samples for the name of every held-out emoji (never trained on) into a\n"
        "labelled-array folder (images.npy, labels.npy = the category, captions.txt) for ganc eval, and their\n"
        "R-precision: the fraction of samples whose own caption scores above 99 other held-out names under the run's\n"
        "joint embedding (image_encoder.safetensors).", NULL};
    const char *out = "text2img.png", *capfile = NULL, *heldout_dir = NULL, *data = "emoji";
    int n = 8, steps = 8, interp = 0, style = 0, threads = 0;
    uint64_t seed = 1;
    flag_t flags[] = {
        {"captions", F_STR, &capfile, "FILE", "one caption per line", 0, NULL, 0, 0, 0},
        {"n", F_INT, &n, NULL, "samples per caption (rows with --interp/--style)", 0, NULL, 0, 1, 4096},
        {"out", F_STR, &out, "FILE", "a .png grid or a .npy array", 0, NULL, 0, 0, 0},
        {"seed", F_U64, &seed, NULL, "noise seed", 0, NULL, 0, 0, 0},
        {"interp", F_BOOL, &interp, NULL, "interpolate between two captions' embeddings", 0, NULL, 0, 0, 1},
        {"steps", F_INT, &steps, NULL, "--interp: columns", 0, NULL, 0, 2, 64},
        {"style", F_BOOL, &style, NULL, "the same noise per row, one caption per column", 0, NULL, 0, 0, 1},
        {"emoji-heldout", F_STR, &heldout_dir, "DIR", "samples of every held-out emoji's name, and R-precision", 0, NULL,
         0, 0, 0},
        {"data", F_STR, &data, "SRC", "--emoji-heldout: emoji[:PATH]", 0, NULL, 0, 0, 0},
        {"threads", F_INT, &threads, NULL, "threads (default: all cores)", 0, NULL, 0, 0, 1024},
    };
    const int nflags = (int)(sizeof flags / sizeof flags[0]);
    char *pos[65];
    int npos, rc = parse_flags(&cmd, flags, nflags, argc, argv, pos, 65, &npos);
    if (rc) return rc == 1 ? 0 : 2;
    const char *why = npos < 1 ? "expected the run folder" : interp && style ? "--interp and --style exclude each other"
                      : heldout_dir && (interp || style || npos > 1 || capfile) ? "--emoji-heldout takes no captions"
                      : !heldout_dir && npos < 2 && !capfile ? "no caption given (arguments after RUN, or --captions FILE)"
                      : strncmp(data, "emoji", 5) || (data[5] && data[5] != ':') ? "--data must be emoji[:PATH]" : NULL;
    if (why) { fprintf(stderr, "ganc text2img: %s (see ganc text2img --help)\n", why); return 2; }
    if (dry_run()) return 0;
    ganc_set_threads(threads);
    model_t m;
    char **caps = NULL, *buf = NULL;
    float *emb = NULL, *z = NULL, *x = NULL;
    int ncap = 0, n_img = 0, cols = 0;
    ganc_rng_t r;
    ganc_rng_seed(&r, seed);
    rc = model_load(pos[0], &m);
    if (!rc && heldout_dir) rc = heldout(pos[0], &m, data, heldout_dir, n, seed);
    else if (!rc) {
        rc = read_captions(capfile, pos + 1, npos - 1, &caps, &ncap, &buf);
        if (!rc && interp && ncap != 2) rc = ganc_fail(GANC_EINVAL, "--interp needs exactly two captions, got %d", ncap);
        if (!rc) rc = layout(&m, caps, ncap, n, interp, steps, style, &r, &emb, &z, &n_img, &cols);
        if (!rc && !(x = malloc(sizeof(float) * 3 * m.cfg.size * m.cfg.size * (size_t)n_img)))
            rc = ganc_fail(GANC_ENOMEM, "out of memory");
        if (!rc) rc = ganc_t2i_generate(m.g, &m.gio, z, emb, n_img, x);
        if (!rc) rc = write_out(out, x, n_img, m.cfg.size, cols);
        if (!rc) printf("wrote %s: %d images, %d caption%s\n", out, n_img, ncap, ncap == 1 ? "" : "s");
    }
    if (rc) fprintf(stderr, "ganc text2img: %s\n", ganc_errmsg());
    model_free(&m);
    free(caps); free(buf); free(emb); free(z); free(x);
    return rc ? 1 : 0;
}
