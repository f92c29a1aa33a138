/* A 5x5 stride-2 convolution with padding 2 over even planes (LAPGAN's critics) as a 3x3 stride-1 one, by Winograd
   (conv_winograd.c), over the input's four phases. With x'[c, u, v][i][j] = x[c][2i + u][2j + v]:
       y[i][j] = sum over c, u, v, a, b < 3 of w[c][2a + u][2b + v] x'[c, u, v][i + a - 1][j + b - 1]
   (taps with 2a + u or 2b + v = 5 are zero), a 3x3 convolution with padding 1 from 4C channels. Its Winograd
   products over 4C channels, 16 per 2x2 outputs or 36 per 4x4, are 0.64 or 0.36 of the 25 per output and C channels
   of the direct sum, and the im2col matrix (25C rows) is never built. The input gradient and the weight gradient go
   the same way back. x' is never made: Winograd reads x's phases as it lays the input out channels-last, and adds the
   input gradient's phases into dx as it lays its outputs back. */
#include <string.h>
#include "nn/nn.h"

/* the 3x3 problem over phases */
static conv_geom_t phased(const conv_geom_t *g) {
    return (conv_geom_t){g->N, 4 * g->C, g->H / 2, g->W / 2, g->OC, 3, 3, 1, 1, 1, g->OH, g->OW, 0, 0, 0};
}
/* workspace: the 3x3 weights (w', or dw'), then Winograd's (which reads x's phases and adds dx's in place) */
static size_t wt_floats(const conv_geom_t *g) { return (size_t)g->OC * g->C * 4 * 9; }

static int suits(const conv_geom_t *g) {
    if (g->s != 2 || g->KH != 5 || g->KW != 5 || g->ph != 2 || g->pw != 2 || g->H % 2 || g->W % 2) return 0;
    return g->OH == g->H / 2 && g->OW == g->W / 2 && 4 * g->C >= 8 && g->OC >= 8;
}

int conv_s2d_ok(const conv_geom_t *g, size_t ws_floats) {
    if (!suits(g)) return 0;
    const size_t own = wt_floats(g);
    if (ws_floats <= own) return 0;
    const conv_geom_t p = phased(g);
    return conv_winograd_ok(&p, ws_floats - own) && conv_winograd_dw_ok(&p, ws_floats - own);
}

/* the workspace with which Winograd runs all three passes on every thread (0: not this path) */
size_t conv_s2d_floats(const conv_geom_t *g) {
    if (!suits(g)) return 0;
    const conv_geom_t p = phased(g);
    const size_t w = conv_winograd_floats(&p);
    return w ? wt_floats(g) + w : 0;
}

/* w (OC,C,5,5) <-> w' (OC,4C,3,3): to w' (zeros for the missing taps), or dw += dw' */
static void weights(const conv_geom_t *g, const float *w, float *wp, int back, float *dw) {
    for (int oc = 0; oc < g->OC * g->C; oc++)
        for (int u = 0; u < 2; u++)
            for (int v = 0; v < 2; v++)
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 3; b++) {
                        const int i = 2 * a + u, j = 2 * b + v;
                        const size_t k = (((size_t)oc * 4 + u * 2 + v) * 3 + a) * 3 + b, o = ((size_t)oc * 5 + i) * 5 + j;
                        if (back) {
                            if (i < 5 && j < 5) dw[o] += wp[k];
                        } else {
                            wp[k] = i < 5 && j < 5 ? w[o] : 0.0f;
                        }
                    }
}

void conv_s2d_forward(const conv_geom_t *g, const float *x, const float *w, float *y, float *ws, size_t ws_floats) {
    const conv_geom_t p = phased(g);
    weights(g, w, ws, 0, NULL);
    conv_winograd_forward_phases(&p, x, ws, y, ws + wt_floats(g), ws_floats - wt_floats(g));
}

void conv_s2d_backward(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                       float *ws, size_t ws_floats) {
    const conv_geom_t p = phased(g);
    float *wp = ws, *rest = wp + wt_floats(g);
    const size_t left = ws_floats - wt_floats(g);
    if (dw) {
        memset(wp, 0, sizeof(float) * wt_floats(g));
        conv_winograd_dw_phases(&p, x, dy, wp, rest, left); /* fits: conv_s2d_ok */
        weights(g, NULL, wp, 1, dw);
    }
    if (dx) {
        weights(g, w, wp, 0, NULL);
        conv_winograd_dx_phases(&p, wp, dy, dx, rest, left);
    }
}
