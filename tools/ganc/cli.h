/* The ganc command-line program. Flags and their --help text come from one table per subcommand, so the two
   cannot drift. The CLI prints and chooses exit codes: 0 ok, 1 runtime error, 2 usage error, 130 interrupted. */
#ifndef GANC_CLI_H
#define GANC_CLI_H
#include <stdint.h>
#include <stdio.h>
#include "ganc.h"

typedef enum { F_INT, F_FLOAT, F_STR, F_BOOL, F_U64, F_DURATION } flag_type_t;
typedef struct {
    const char *name; /* without the leading -- */
    flag_type_t type;
    void *dst;
    const char *metavar, *help;
    int seen;
    const char *meta; /* ganc train: the run metadata key that stores it (NULL: not stored) */
    int fixed;        /* ganc train: a property of the run; cannot be changed when resuming */
    double lo, hi;    /* valid range, inclusive (numbers must declare one; --help shows it) */
} flag_t;

typedef struct {
    const char *name, *usage, *summary;
    int (*run)(int argc, char **argv);
} command_t;

/* Parse argv (after the subcommand) into the table; positional args are collected in pos[] (at most maxpos).
   Returns 0, 1 if --help was printed, or 2 after printing a usage error. */
int parse_flags(const command_t *cmd, flag_t *flags, int nflags, int argc, char **argv, char **pos, int maxpos,
                int *npos);
void print_help(const command_t *cmd, flag_t *flags, int nflags);
int flag_seen(const flag_t *flags, int nflags, const char *name);
/* GANC_DRY_RUN set: commands stop with exit 0 once their arguments are checked, before touching any file (the
   argument fuzzer drives every subcommand this way) */
int dry_run(void);

/* the whole program: argv[1] is the subcommand; returns the exit code (0, 1, 2 or 130) */
int ganc_cli_main(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_upscale(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_refine(int argc, char **argv);
int cmd_text2img(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_train_classifier(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_interp(int argc, char **argv);
int cmd_arith(int argc, char **argv);
int cmd_show_filters(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_study(int argc, char **argv);

/* helpers (common.c) */
int ends_with(const char *s, const char *suffix);
/* --device: select it (ganc_set_device); on failure print "ganc CMD: ..." and return 2 */
int use_device(const char *cmd, const char *device);
#define DEVICE_HELP "cpu, or cuda (an NVIDIA GPU; a build with -DGANC_CUDA=ON)"
int is_dir(const char *path);
/* stamp the number id (white 3x5 digits on a black box) into the top-left corner of a (c,h,w) image in [-1,1] */
void draw_id(float *x, int c, int h, int w, int id);
/* A generator from a run folder (its G.safetensors) or a G.safetensors file, weights loaded; the file's path
   goes to gpath. NULL with ganc_errmsg() set on failure (including a file that holds a discriminator). */
ganc_net_t *open_generator(const char *src, int max_batch, ganc_gan_cfg_t *cfg, ganc_gan_io_t *io, char *gpath,
                           size_t gcap);

/* A LAPGAN's generators from a run folder (its G.safetensors) or a file with kind=lapgan metadata. *is_lap = 0
   (and NULL) when the file is not a lapgan model or cannot be opened (open_generator then says why); *is_lap = 1 and
   NULL with ganc_errmsg() set when it is one that does not load. */
ganc_lapgan_t *open_lapgan(const char *src, int max_batch, int *is_lap, char *gpath, size_t gcap);

/* An unconditional DCGAN discriminator from a run folder (its D.safetensors) or a file, weights loaded. */
ganc_net_t *open_dcgan_discriminator(const char *src, int max_batch, ganc_gan_cfg_t *cfg, ganc_gan_io_t *io,
                                     char *dpath, size_t cap);

/* Images from a source (cmd_eval.c): a dataset, a folder, a .npy (uint8 or float [-1,1]) or a trained model (sampled
   with seed, BatchNorm eval). raw = 0: every image made (1,32,32) for ganc's classifier; raw = size > 0: images as the
   source has them (datasets loaded at size x size; 1 channel for fashion-mnist/idx, else 3). At most nmax images. */
typedef struct src_model src_model_t;
typedef struct {
    float *x;    /* (n,1,32,32) in [-1,1]: the classifier's input; with `raw`, (n,c,h,w) as the source has them */
    int n, c, h, w;
    int *labels; /* or NULL */
    char desc[512];
    src_model_t *model; /* load_source_lazy of a model: x is NULL and src_chunk samples the images as they are read */
} src_t;
int load_source(const char *spec, int nmax, uint64_t seed, int raw, src_t *s);
/* as load_source, but a model's samples are not held: src_chunk draws them SRC_CHUNK at a time, in order (the same
   images as load_source's) */
int load_source_lazy(const char *spec, int nmax, uint64_t seed, int raw, src_t *s);
enum { SRC_CHUNK = 250 };
/* images i .. i+b-1 (b <= SRC_CHUNK; i a multiple of SRC_CHUNK, increasing, for a lazy source) into *out: a pointer
   into s->x, or buf (SRC_CHUNK images of the source's layout) filled */
int src_chunk(src_t *s, int i, int b, float *buf, const float **out);
void src_free(src_t *s);

/* HTML pages (html.c): text escaped for HTML; a string as a JSON literal safe inside <script> (<, >, & and the
   line separators escaped); bytes as base64 */
void html_text(FILE *f, const char *s);
void js_string(FILE *f, const char *s);
void base64_out(FILE *f, const unsigned char *p, size_t n);
/* (c,h,w) floats in [-1,1] -> an <img> data URL written to f (PNG, base64) */
int img_data_url(FILE *f, const float *x, int c, int h, int w);
/* a small JSON reader for the files ganc writes (study answers); limits: 64 levels, 1e6 values */
#include "io/json.h"
/* the run report (cmd_report.c): RUN/report.html or out */
int write_report(const char *run, const char *out, int max_grids);

/* FID during training: statistics of `real` (n images) once, then FID of n samples of a generator */
typedef struct fid_ref fid_ref_t;
fid_ref_t *fid_ref_new(const char *real, int n);
double fid_ref_model(fid_ref_t *r, ganc_net_t *g, const ganc_gan_io_t *io, const ganc_gan_cfg_t *c, uint64_t seed);
/* a model-independent form: a buffer for the reference's n images (c,h,w), then their FID against it */
float *fid_ref_buffer(fid_ref_t *r, int c, int h, int w, int *n);
double fid_ref_score(fid_ref_t *r, int c, int h, int w);
void fid_ref_free(fid_ref_t *r);

/* progress and plots */
typedef struct {
    int tty;
    double t0, last_draw;
    int64_t total; /* 0 when unbounded (time limit) */
} progress_t;
double now_s(void);
void progress_init(progress_t *p, int64_t total);
/* stats: the model's part of the line (its losses and probabilities) */
void progress_update(progress_t *p, int64_t step, double img_s, double eta_s, const char *stats, int force);
void progress_end(progress_t *p);
/* loss curves from log.csv (step,epoch,seconds,img_per_s, then the model's columns, then fid) into an SVG:
   panel 1 the columns whose panel is 1 (losses), panel 2 those of panel 2 (probabilities), panel 3 FID if any */
struct log_col_s { const char *name, *label; int panel; };
/* eval: the name of log.csv's last column (fid, psnr_test), plotted in a third panel when it has values */
int write_loss_svg(const char *csv_path, const char *svg_path, const struct log_col_s *cols, int ncols,
                   const char *eval);
#endif
