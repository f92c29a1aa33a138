/* ganc: train, sample and inspect GANs. One file per subcommand; this one dispatches (ganc_cli_main, also what the
   argument fuzzer drives). */
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const command_t commands[] = {
    {"train", NULL, "train a model (dcgan, gan, cgan, lapgan, srresnet, srgan, simgan, or the eval feature network: classifier); resumable",
     cmd_train},
    {"sample", NULL, "generate images from a trained generator into .npy or .png", cmd_sample},
    {"eval", NULL, "FID, KID, precision/recall, IS, class accuracy, Parzen, PSNR, SSIM", cmd_eval},
    {"probe", NULL, "linear classifier on D's features vs raw pixels and a random D (DCGAN paper)", cmd_probe},
    {"interp", NULL, "latent walks (slerp/lerp) between random points, one per row", cmd_interp},
    {"arith", NULL, "latent vector arithmetic A - B + C on samples of a numbered sheet", cmd_arith},
    {"show-filters", NULL, "D's first-layer filters, or the real patches that excite a deeper layer most", cmd_show_filters},
    {"upscale", NULL, "super-resolve a PNG/JPEG of any size with a trained SRResNet (tiled)", cmd_upscale},
    {"synth", NULL, "render labelled synthetic digits through FreeType (SimGAN's synthetic data)", cmd_synth},
    {"text2img", NULL, "images from a trained text-to-image GAN for captions (--interp, --style, --emoji-heldout)",
     cmd_text2img},
    {"refine", NULL, "make synthetic images look real with a trained SimGAN refiner (labels kept)", cmd_refine},
    {"info", NULL, "list the tensors and metadata of a safetensors file", cmd_info},
    {"report", NULL, "one self-contained HTML page for a run: settings, curves, grids, evaluations", cmd_report},
    {"study", NULL, "human studies: real-vs-generated and mean opinion score pages, and their scores", cmd_study},
};

static void usage(FILE *f) {
    fprintf(f, "usage: ganc COMMAND [options]    (ganc COMMAND --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nexample: ganc train dcgan --data fashion-mnist --out runs/fm --iters 2000\n"
               "         ganc sample runs/fm --n 64 --out grid.png\n");
}

static int dispatch(int argc, char **argv);

/* mpirun/srun: one process per rank (ganc_dist_init does nothing when not started by a launcher) */
int ganc_cli_main(int argc, char **argv) {
    if (ganc_dist_init(&argc, &argv)) {
        fprintf(stderr, "ganc: %s\n", ganc_errmsg());
        return 1;
    }
    int rc = dispatch(argc, argv);
    if (rc && rc != 130 && ganc_dist_size() > 1) ganc_dist_abort(rc); /* never leave the other ranks waiting */
    ganc_dist_finalize();
    return rc;
}

static int dispatch(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
#ifdef GANC_HAVE_CUDA
        const char *cuda = "on";
#else
        const char *cuda = "off";
#endif
        printf("ganc 0.1.0 (MPI %s, CUDA %s)\n", ganc_dist_built_with_mpi() ? "on" : "off", cuda);
        return 0;
    }
    if (!strcmp(argv[1], "train") && argc > 2 && !strcmp(argv[2], "classifier"))
        return cmd_train_classifier(argc - 3, argv + 3);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "ganc: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
