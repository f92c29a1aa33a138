/* Internal: network pieces shared by the model files. */
#ifndef GANC_MODELS_H
#define GANC_MODELS_H
#include "ganc.h"
/* pytorch/examples' DCGAN bodies (gan.c), named main.K from K = 0: G from a (C,1,1) node to the tanh image; D from
   the image to the logit, or with features_only to the last LeakyReLU (the 4x4 map, ndf * size/8 channels) */
int ganc_dcgan_g_body(ganc_net_t *g, int h, const ganc_gan_cfg_t *c);
int ganc_dcgan_d_body(ganc_net_t *d, int h, const ganc_gan_cfg_t *c, int features_only);
/* metadata kind=KIND and n integer keys; and back, checking the kind (what: "a SimGAN refiner", for the error) and
   that every key is an integer in 0..4096 (common.c) */
int model_meta_ints(ganc_meta_t *m, const char *kind, const char *const *keys, const int *v, int n);
int model_ints_from_file(const ganc_st_t *st, const char *kind, const char *what, const char *const *keys,
                         int *const *dst, int n);
/* y = the out node for n samples of input x0 (and x1 into in1, when in1 >= 0), in eval mode, in chunks of the
   network's max batch (common.c) */
int model_run(ganc_net_t *net, int in0, const float *x0, int in1, const float *x1, int out, int n, float *y);
#endif
