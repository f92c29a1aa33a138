/* Internal: network pieces shared by the model files. */
#ifndef GANC_MODELS_H
#define GANC_MODELS_H
#include "ganc.h"
/* pytorch/examples' DCGAN bodies (gan.c), named main.K from K = 0: G from a (C,1,1) node to the tanh image; D from
   the image to the logit, or with features_only to the last LeakyReLU (the 4x4 map, ndf * size/8 channels) */
int ganc_dcgan_g_body(ganc_net_t *g, int h, const ganc_gan_cfg_t *c);
int ganc_dcgan_d_body(ganc_net_t *d, int h, const ganc_gan_cfg_t *c, int features_only);
#endif
