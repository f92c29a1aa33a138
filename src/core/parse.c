/* Validated number parsing, for flags and file metadata alike: the whole string must be a number, in range and
   (for reals) finite. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "ganc.h"

int ganc_parse_i64(const char *s, long long lo, long long hi, long long *out) {
    if (!s || !*s) return GANC_EINVAL;
    char *e;
    errno = 0;
    long long v = strtoll(s, &e, 10);
    if (errno || *e || e == s || v < lo || v > hi) return GANC_EINVAL;
    *out = v;
    return GANC_OK;
}

int ganc_parse_u64(const char *s, unsigned long long *out) {
    if (!s || !*s || *s == '-' || *s == '+') return GANC_EINVAL;
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
    if (errno || *e || e == s) return GANC_EINVAL;
    *out = v;
    return GANC_OK;
}

int ganc_parse_f64(const char *s, double lo, double hi, double *out) {
    if (!s || !*s) return GANC_EINVAL;
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (errno == ERANGE && fabs(v) > 1.0) return GANC_EINVAL; /* overflow; underflow to a tiny value is kept */
    if (*e || e == s || !isfinite(v) || v < lo || v > hi) return GANC_EINVAL;
    *out = v;
    return GANC_OK;
}
