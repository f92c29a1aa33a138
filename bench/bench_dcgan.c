/* Times ganc's DCGAN training iteration (the same loop as `ganc train`) or G sampling, for bench/bench.sh.
   Usage: bench_dcgan SIZE CHANNELS ITERS THREADS [train|sample|sgemm|lapgan|srresnet|simgan|text2img] [BATCH] [DEVICE]
   (srresnet: the paper's configuration, SIZE = the HR crop, batch 16, MSE + Adam; simgan: `ganc train simgan`'s
   defaults at SIZE; text2img: GAN-INT-CLS at 32x32, SIZE ignored; BENCH_PROFILE=1: time per op kind to stderr)
   (BATCH: of a DCGAN training iteration, default 64; DEVICE: cpu or cuda; a GPU step ends synchronised, because the
   trainer reads the losses and checks the weights, so the host clock times the GPU's work)
   prints: ms_per_iter peak_rss_mb gflop_per_iter   (sample: ITERS images, total ms; sgemm: a 2048^3 product)
   FLOPs count what ganc computes: D forward 3x (real, fake, fake for G), D backward 2x with weight gradients and
   without the input layer's data gradient, once data-only through to its input; G forward and backward (no z grad). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "ganc.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* a batch of uniform images, and the median time of `iters` steps after `warm` untimed ones */
static float *real_batch(int nc, int size, int batch) {
    size_t n = (size_t)batch * nc * size * size;
    float *real = malloc(sizeof(float) * n);
    ganc_rng_t r;
    ganc_rng_seed(&r, 2);
    if (real) ganc_rng_fill_uniform(&r, real, n, -1, 1);
    return real;
}
/* BENCH_PROFILE: the networks being profiled; their totals restart after the warm-up steps */
static ganc_net_t *prof_nets[8];
static int nprof;
static void profile_on(ganc_net_t *net) {
    if (nprof < 8) prof_nets[nprof++] = net;
}
static double median_ms(void (*step)(void *), void *ctx, int warm, int iters) {
    for (int i = 0; i < warm; i++) step(ctx);
    for (int i = 0; i < nprof; i++) ganc_net_set_profile(prof_nets[i], 1);
    double *ms = malloc(sizeof(double) * iters), med;
    for (int i = 0; i < iters; i++) {
        double a = now();
        step(ctx);
        ms[i] = (now() - a) * 1000;
    }
    qsort(ms, iters, sizeof *ms, cmpd);
    med = ms[iters / 2];
    free(ms);
    return med;
}
typedef struct { void *t; const float *real; } step_ctx_t;
static void lapgan_step(void *p) {
    step_ctx_t *c = p;
    ganc_gan_stats_t st[GANC_LAPGAN_MAX_LEVELS];
    ganc_lapgan_train_step(c->t, c->real, NULL, st);
}
static void dcgan_step(void *p) {
    step_ctx_t *c = p;
    ganc_gan_stats_t st;
    ganc_gan_train_step(c->t, c->real, NULL, &st);
}

/* BENCH_PROFILE=1: each network's time per op kind (forward, backward) to stderr, per timed step (`steps` of them;
   the warm-up steps, with their first-touch page faults and thread start-up, are not counted) */
static int profiling(void) { return getenv("BENCH_PROFILE") && atoi(getenv("BENCH_PROFILE")); }
static void print_profile(ganc_net_t *net, const char *label, int steps) {
    enum { K = 64 };
    const char *kinds[K];
    double fw[K] = {0}, bw[K] = {0}, total = 0;
    int nk = 0;
    for (int i = 0; i < ganc_net_nnodes(net); i++) {
        const char *kind;
        double f, b;
        if (ganc_net_profile(net, i, &kind, &f, &b)) return;
        int k = 0;
        while (k < nk && strcmp(kinds[k], kind)) k++;
        if (k == nk && nk < K) kinds[nk++] = kind;
        if (k < K) { fw[k] += f; bw[k] += b; }
        total += f + b;
        if (atoi(getenv("BENCH_PROFILE")) > 1 && f + b > 0)
            fprintf(stderr, "    %-24s %-14s fw %8.2f ms  bw %8.2f ms\n", ganc_net_node_name(net, i), kind,
                    1000 * f / steps, 1000 * b / steps);
    }
    fprintf(stderr, "%s: %.1f ms per step in its ops\n", label, 1000 * total / steps);
    for (int k = 0; k < nk; k++)
        if (fw[k] + bw[k] > 0.005 * total)
            fprintf(stderr, "  %-18s fw %8.1f ms  bw %8.1f ms  (%4.1f%%)\n", kinds[k], 1000 * fw[k] / steps,
                    1000 * bw[k] / steps, 100 * (fw[k] + bw[k]) / total);
}

/* one SRResNet training step at the paper's configuration: 16 blocks of 64, x4, SIZE x SIZE crops (96), batch 16 */
typedef struct { ganc_sr_trainer_t *t; const float *lr, *hr; } sr_ctx_t;
static void sr_step(void *p) {
    sr_ctx_t *c = p;
    float loss;
    ganc_sr_train_step(c->t, c->lr, c->hr, &loss);
}
static int bench_sr(int size, int iters) {
    ganc_sr_train_cfg_t tc = {ganc_sr_default_cfg(), 16, size, 1e-4f, 0.9f, 0.999f, 1, GANC_SR_MSE, 0, 0, 0, 0, NULL, 0, 0};
    ganc_sr_trainer_t *t = ganc_sr_trainer_new(&tc);
    if (!t) { fprintf(stderr, "%s\n", ganc_errmsg()); return 1; }
    const size_t nh = (size_t)16 * 3 * size * size;
    float *hr = malloc(sizeof(float) * nh), *lr = malloc(sizeof(float) * nh / 16);
    ganc_rng_t r;
    ganc_rng_seed(&r, 2);
    ganc_rng_fill_uniform(&r, hr, nh, -1, 1);
    ganc_rng_fill_uniform(&r, lr, nh / 16, -1, 1);
    sr_ctx_t ctx = {t, lr, hr};
    if (profiling()) profile_on(ganc_sr_g(t));
    const double med = median_ms(sr_step, &ctx, 2, iters);
    if (profiling()) print_profile(ganc_sr_g(t), "SRResNet G", iters);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double f, d, di, w;
    ganc_net_flops(ganc_sr_g(t), &f, &d, &di, &w);
    printf("%.1f %.0f %.3f\n", med, ru.ru_maxrss / 1024.0, 16.0 * (f + d + w) * 1e-9); /* no input gradient */
    free(hr); free(lr);
    ganc_sr_trainer_free(t);
    return 0;
}

/* one LAPGAN training step (every level once, coarse_steps 1), `ganc train lapgan`'s default networks */
static int bench_lapgan(int size, int nc, int iters) {
    ganc_lapgan_train_cfg_t tc = {ganc_lapgan_default_cfg(), 64, 2e-4f, 0.5f, 0.999f, 1, 1};
    tc.net.size = size;
    tc.net.nc = nc;
    tc.net.g_width = tc.net.d_width = 32;
    ganc_lapgan_trainer_t *t = ganc_lapgan_trainer_new(&tc);
    if (!t) { fprintf(stderr, "%s\n", ganc_errmsg()); return 1; }
    float *real = real_batch(nc, size, 64);
    step_ctx_t ctx = {t, real};
    ganc_trainer_t *core = ganc_lapgan_trainer_core(t);
    for (int i = 0; profiling() && i < ganc_trainer_nnets(core); i++) profile_on(ganc_trainer_net(core, i));
    const double med = median_ms(lapgan_step, &ctx, 2, iters);
    for (int i = 0; profiling() && i < ganc_trainer_nnets(core); i++)
        print_profile(ganc_trainer_net(core, i), ganc_net_name(ganc_trainer_net(core, i)), iters);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    ganc_trainer_t *tr = ganc_lapgan_trainer_core(t);
    double flops = 0;
    for (int k = 0; k < ganc_lapgan_levels(&tc.net); k++) { /* as for DCGAN below, per level */
        char gn[32], dn[32];
        snprintf(gn, sizeof gn, "level%d.G", k);
        snprintf(dn, sizeof dn, "level%d.D", k);
        double gf, gd, gdi, gw, df, dd, ddi, dw;
        ganc_net_flops(ganc_trainer_net(tr, ganc_trainer_find(tr, gn)), &gf, &gd, &gdi, &gw);
        ganc_net_flops(ganc_trainer_net(tr, ganc_trainer_find(tr, dn)), &df, &dd, &ddi, &dw);
        flops += 64.0 * (3 * df + 2 * (dw + dd) + (dd + ddi) + gf + gd + gw);
    }
    printf("%.1f %.0f %.3f\n", med, ru.ru_maxrss / 1024.0, flops * 1e-9);
    free(real);
    ganc_lapgan_trainer_free(t);
    return 0;
}

/* one SimGAN step, `ganc train simgan`'s defaults (1xSIZExSIZE, R 4 blocks of 32, local D of 32, lambda 5, history
   1024, batch 64): one R update, one D update */
typedef struct { ganc_simgan_trainer_t *t; const float *synth, *real; } sim_ctx_t;
static void sim_step(void *p) {
    sim_ctx_t *c = p;
    ganc_simgan_stats_t st;
    ganc_simgan_train_step(c->t, c->synth, c->real, &st);
}
static int bench_simgan(int size, int iters) {
    ganc_simgan_train_cfg_t tc = {ganc_simgan_default_cfg(), 64, 2e-4f, 0.5f, 0.999f, 1, 5.0f, 1024, 1, 1, 0};
    tc.net.size = size;
    ganc_simgan_trainer_t *t = ganc_simgan_trainer_new(&tc);
    if (!t) { fprintf(stderr, "%s\n", ganc_errmsg()); return 1; }
    float *synth = real_batch(1, size, 128), *real = real_batch(1, size, 64);
    sim_ctx_t ctx = {t, synth, real};
    ganc_net_t *nets[2] = {ganc_simgan_r(t), ganc_simgan_trainer_d(t)};
    for (int i = 0; profiling() && i < 2; i++) profile_on(nets[i]);
    const double med = median_ms(sim_step, &ctx, 20, iters); /* the history fills in 16 steps */
    for (int i = 0; profiling() && i < 2; i++) print_profile(nets[i], i ? "SimGAN D" : "SimGAN R", iters);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rf, rd, rdi, rw, df, dd, ddi, dw;
    ganc_net_flops(ganc_simgan_r(t), &rf, &rd, &rdi, &rw);
    ganc_net_flops(ganc_simgan_trainer_d(t), &df, &dd, &ddi, &dw);
    printf("%.1f %.0f %.3f\n", med, ru.ru_maxrss / 1024.0,
           64.0 * (2 * rf + rd + rw + 3 * df + (dd + ddi) + 2 * (dw + dd)) * 1e-9);
    free(synth); free(real);
    ganc_simgan_trainer_free(t);
    return 0;
}

/* one GAN-INT-CLS step at 32x32 (nz 100, ngf = ndf = 32, embedding 128, projection 128), batch 64 */
typedef struct { ganc_t2i_trainer_t *t; const float *x, *te, *tw, *t2; } t2i_ctx_t;
static void t2i_step(void *p) {
    t2i_ctx_t *c = p;
    ganc_t2i_stats_t st;
    ganc_t2i_train_step(c->t, c->x, c->te, c->tw, c->t2, &st);
}
static int bench_t2i(int iters) {
    ganc_t2i_train_cfg_t tc = {{32, 100, 32, 32, 128, 128}, 64, 1, 1, 2e-4f, 0.5f, 0.999f, 1};
    ganc_t2i_trainer_t *t = ganc_t2i_trainer_new(&tc);
    if (!t) { fprintf(stderr, "%s\n", ganc_errmsg()); return 1; }
    float *x = real_batch(3, 32, 64), *e = real_batch(3, 16, 64); /* 3 x 64 x 128 embedding values */
    t2i_ctx_t ctx = {t, x, e, e + 64 * 128, e + 2 * 64 * 128};
    const double med = median_ms(t2i_step, &ctx, 2, iters);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    ganc_t2i_io_t io;
    double gf, gd, gdi, gw, df, dd, ddi, dw;
    ganc_net_flops(ganc_t2i_g(t, &io), &gf, &gd, &gdi, &gw);
    ganc_net_flops(ganc_t2i_d(t, &io), &df, &dd, &ddi, &dw);
    printf("%.1f %.0f %.3f\n", med, ru.ru_maxrss / 1024.0,
           64.0 * (5 * df + 3 * (dw + dd) + 2 * (dd + ddi) + 3 * gf + 2 * (gd + gw)) * 1e-9);
    free(x); free(e);
    ganc_t2i_trainer_free(t);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: bench_dcgan SIZE CHANNELS ITERS THREADS [sample]\n"); return 2; }
    int size = atoi(argv[1]), nc = atoi(argv[2]), iters = atoi(argv[3]), threads = atoi(argv[4]);
    int sample = argc > 5 && !strcmp(argv[5], "sample"), batch = argc > 6 ? atoi(argv[6]) : 64;
    ganc_set_threads(threads);
    if (argc > 7 && ganc_set_device(argv[7])) { fprintf(stderr, "%s\n", ganc_errmsg()); return 1; }
    if (batch < 1) { fprintf(stderr, "bad batch %s\n", argv[6]); return 2; }
    if (argc > 5 && !strcmp(argv[5], "sgemm")) { /* the same partitioned sgemm the layers use, via a Linear layer */
        const int n = 2048;
        ganc_net_t *net = ganc_net_new("sgemm");
        int x = ganc_net_input(net, "x", 1, (int[]){n});
        ganc_net_linear(net, "l", x, n, 0);
        ganc_net_build(net, n);
        ganc_net_forward(net, n, 0);
        double best = 1e9;
        for (int i = 0; i < iters; i++) {
            double a = now();
            ganc_net_forward(net, n, 0);
            a = now() - a;
            best = a < best ? a : best;
        }
        printf("%.1f 0 %.3f\n", best * 1000, 2.0 * n * n * n * 1e-9);
        return 0;
    }
    ganc_gan_cfg_t cfg = ganc_gan_default_cfg();
    cfg.size = size;
    cfg.nc = nc;
    struct rusage ru;
    if (sample) {
        ganc_gan_io_t io;
        ganc_net_t *g = ganc_gan_generator(&cfg, 500, &io);
        if (!g) { fprintf(stderr, "%s\n", ganc_errmsg()); return 1; }
        ganc_net_init_dcgan(g, 1);
        float *out = malloc(sizeof(float) * (size_t)iters * nc * size * size);
        ganc_rng_t r;
        ganc_rng_seed(&r, 1);
        ganc_gan_sample(g, &io, &cfg, 500, NULL, NULL, &r, 0, out); /* warm-up */
        double t = now();
        ganc_gan_sample(g, &io, &cfg, iters, NULL, NULL, &r, 0, out);
        t = now() - t;
        getrusage(RUSAGE_SELF, &ru);
        double f, d, di, w;
        ganc_net_flops(g, &f, &d, &di, &w);
        printf("%.1f %.0f %.3f\n", t * 1000, ru.ru_maxrss / 1024.0, f * iters * 1e-9);
        return 0;
    }
    if (argc > 5 && !strcmp(argv[5], "lapgan")) return bench_lapgan(size, nc, iters);
    if (argc > 5 && !strcmp(argv[5], "srresnet")) return bench_sr(size, iters);
    if (argc > 5 && !strcmp(argv[5], "simgan")) return bench_simgan(size, iters);
    if (argc > 5 && !strcmp(argv[5], "text2img")) return bench_t2i(iters);
    ganc_gan_train_cfg_t tc = {cfg, batch, 2e-4f, 0.5f, 0.999f, 1, GANC_LOSS_NS, 0, 1};
    ganc_gan_trainer_t *t = ganc_gan_trainer_new(&tc);
    if (!t) { fprintf(stderr, "%s\n", ganc_errmsg()); return 1; }
    float *real = real_batch(nc, size, batch);
    step_ctx_t ctx = {t, real};
    for (int i = 0; profiling() && i < 2; i++) profile_on(i ? ganc_gan_d(t) : ganc_gan_g(t));
    const double med = median_ms(dcgan_step, &ctx, 3, iters);
    for (int i = 0; profiling() && i < 2; i++) print_profile(i ? ganc_gan_d(t) : ganc_gan_g(t), i ? "D" : "G", iters);
    getrusage(RUSAGE_SELF, &ru);
    double gf, gd, gdi, gw, df, dd, ddi, dw;
    ganc_net_flops(ganc_gan_g(t), &gf, &gd, &gdi, &gw);
    ganc_net_flops(ganc_gan_d(t), &df, &dd, &ddi, &dw);
    double flops = (double)batch * (3 * df + 2 * (dw + dd) + (dd + ddi) + gf + gd + gw);
    printf("%.1f %.0f %.3f\n", med, ru.ru_maxrss / 1024.0, flops * 1e-9);
    return 0;
}
