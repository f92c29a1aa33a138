#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "train.h"

static const char *type_hint(flag_type_t t) {
    switch (t) {
    case F_INT: return "N";
    case F_FLOAT: return "X";
    case F_U64: return "N";
    case F_DURATION: return "T";
    case F_STR: return "S";
    default: return "";
    }
}

int dry_run(void) { return getenv("GANC_DRY_RUN") != NULL; }

static int numeric(flag_type_t t) { return t == F_INT || t == F_FLOAT || t == F_DURATION; }

/* the flag's value as a double (for the range check) */
static double value_of(const flag_t *f) {
    switch (f->type) {
    case F_INT: return *(const int *)f->dst;
    case F_FLOAT: return *(const float *)f->dst;
    case F_DURATION: return *(const double *)f->dst;
    default: return 0;
    }
}

static void range_str(const flag_t *f, char *buf, size_t cap) {
    if (f->type == F_DURATION) snprintf(buf, cap, "%g..%g s", f->lo, f->hi);
    else snprintf(buf, cap, "%g..%g", f->lo, f->hi);
}

void print_help(const command_t *cmd, flag_t *flags, int nflags) {
    printf("usage: ganc %s\n\n%s\n\noptions:\n", cmd->usage, cmd->summary);
    for (int i = 0; i < nflags; i++) {
        int dup = 0; /* a flag several families share is listed once (the first one's text) */
        for (int j = 0; j < i; j++) dup |= !strcmp(flags[j].name, flags[i].name);
        if (dup) continue;
        char left[64];
        if (flags[i].type == F_BOOL) snprintf(left, sizeof left, "--%s", flags[i].name);
        else snprintf(left, sizeof left, "--%s %s", flags[i].name, flags[i].metavar ? flags[i].metavar : type_hint(flags[i].type));
        char def[64] = "";
        switch (flags[i].type) {
        case F_INT: snprintf(def, sizeof def, " (default %d)", *(int *)flags[i].dst); break;
        case F_FLOAT: snprintf(def, sizeof def, " (default %g)", *(float *)flags[i].dst); break;
        case F_U64: snprintf(def, sizeof def, " (default %llu)", (unsigned long long)*(uint64_t *)flags[i].dst); break;
        case F_STR: if (*(char **)flags[i].dst) snprintf(def, sizeof def, " (default %s)", *(char **)flags[i].dst); break;
        case F_DURATION: if (*(double *)flags[i].dst > 0) snprintf(def, sizeof def, " (default %gs)", *(double *)flags[i].dst); break;
        default: break;
        }
        char range[64] = "";
        if (numeric(flags[i].type)) {
            char r[48];
            range_str(&flags[i], r, sizeof r);
            snprintf(range, sizeof range, " [%s]", r);
        }
        printf("  %-24s %s%s%s\n", left, flags[i].help, range, def);
    }
    printf("  %-24s %s\n", "--help", "show this help");
}

/* "90", "90s", "10m", "1.5h" -> seconds (finite, >= 0) */
static int parse_duration(const char *s, double *out) {
    char num[64];
    size_t l = strlen(s), u = l && (s[l - 1] == 's' || s[l - 1] == 'm' || s[l - 1] == 'h') ? 1 : 0;
    if (l - u >= sizeof num) return -1;
    memcpy(num, s, l - u);
    num[l - u] = 0;
    double v;
    if (ganc_parse_f64(num, 0, 1e12, &v)) return -1;
    *out = v * (!u || s[l - 1] == 's' ? 1 : s[l - 1] == 'm' ? 60 : 3600);
    return 0;
}


int flag_seen(const flag_t *flags, int nflags, const char *name) {
    for (int i = 0; i < nflags; i++)
        if (!strcmp(flags[i].name, name)) return flags[i].seen;
    return 0;
}

/* one value into its flag's destination; 0 or -1 when it is not a valid value of the flag's type */
static int parse_value(flag_t *f, const char *val) {
    switch (f->type) {
    case F_INT: {
        long long v;
        if (ganc_parse_i64(val, -2147483647LL, 2147483647LL, &v)) return -1;
        *(int *)f->dst = (int)v;
        return 0;
    }
    case F_U64: {
        unsigned long long v;
        if (ganc_parse_u64(val, &v)) return -1;
        *(uint64_t *)f->dst = v;
        return 0;
    }
    case F_FLOAT: {
        double v;
        if (ganc_parse_f64(val, -3.4e38, 3.4e38, &v)) return -1;
        *(float *)f->dst = (float)v;
        return 0;
    }
    case F_DURATION: return parse_duration(val, (double *)f->dst);
    case F_STR: *(const char **)f->dst = val; return 0;
    case F_BOOL: {
        long long v;
        if (ganc_parse_i64(val, 0, 1, &v)) return -1;
        *(int *)f->dst = (int)v;
        return 0;
    }
    }
    return -1;
}

/* one occurrence of --name [val] into f (again: the value already taken by an earlier flag of that name) */
static int set_flag(const command_t *cmd, flag_t *f, const char *name, const char *val, int argc, char **argv, int *i,
                    int again) {
    f->seen = 1;
    if (f->type == F_BOOL) {
        if (val) { fprintf(stderr, "ganc %s: --%s takes no value\n", cmd->name, name); return 2; }
        *(int *)f->dst = 1;
        return 0;
    }
    if (!val) {
        if (again) val = argv[*i];
        else if (*i + 1 >= argc) { fprintf(stderr, "ganc %s: --%s needs a value\n", cmd->name, name); return 2; }
        else val = argv[++*i];
    }
    if (parse_value(f, val)) {
        fprintf(stderr, "ganc %s: bad value '%s' for --%s\n", cmd->name, val, name);
        return 2;
    }
    /* a float flag holds its bounds as floats too: --lr 1e-12 is the float nearest 1e-12, as is the bound */
    const double lo = f->type == F_FLOAT ? (float)f->lo : f->lo, hi = f->type == F_FLOAT ? (float)f->hi : f->hi;
    if (numeric(f->type) && !(value_of(f) >= lo && value_of(f) <= hi)) {
        char r[48];
        range_str(f, r, sizeof r);
        fprintf(stderr, "ganc %s: --%s must be in %s, got %s\n", cmd->name, name, r, val);
        return 2;
    }
    return 0;
}

int parse_flags(const command_t *cmd, flag_t *flags, int nflags, int argc, char **argv, char **pos, int maxpos,
                int *npos) {
    *npos = 0;
    for (int k = 0; k < nflags; k++) /* every number declares its valid range */
        if (numeric(flags[k].type) && !(flags[k].lo < flags[k].hi)) {
            fprintf(stderr, "ganc %s: internal error: --%s has no valid range\n", cmd->name, flags[k].name);
            return 2;
        }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { print_help(cmd, flags, nflags); return 1; }
        if (strncmp(a, "--", 2) != 0 || a[2] == 0) {
            if (*npos >= maxpos) {
                fprintf(stderr, "ganc %s: unexpected argument '%s' (see ganc %s --help)\n", cmd->name, a, cmd->name);
                return 2;
            }
            pos[(*npos)++] = argv[i];
            continue;
        }
        const char *name = a + 2, *val = NULL;
        char buf[64];
        const char *eq = strchr(name, '=');
        if (eq) {
            snprintf(buf, sizeof buf, "%.*s", (int)(eq - name), name);
            name = buf;
            val = eq + 1;
        }
        int found = 0;
        for (int k = 0; k < nflags; k++) { /* several families may share a flag: each gets the value */
            if (strcmp(flags[k].name, name)) continue;
            int rc = set_flag(cmd, &flags[k], name, val, argc, argv, &i, found++);
            if (rc) return rc;
        }
        if (!found) {
            fprintf(stderr, "ganc %s: unknown option --%s (see ganc %s --help)\n", cmd->name, name, cmd->name);
            return 2;
        }
    }
    return 0;
}

static void format_value(const flag_t *f, char *v, size_t cap) {
    switch (f->type) {
    case F_INT: case F_BOOL: snprintf(v, cap, "%d", *(const int *)f->dst); break;
    case F_FLOAT: snprintf(v, cap, "%.9g", *(const float *)f->dst); break;
    case F_U64: snprintf(v, cap, "%llu", (unsigned long long)*(const uint64_t *)f->dst); break;
    case F_DURATION: snprintf(v, cap, "%.17g", *(const double *)f->dst); break;
    case F_STR: snprintf(v, cap, "%s", *(const char *const *)f->dst ? *(const char *const *)f->dst : ""); break;
    }
}

int flags_to_meta(const flag_t *flags, int nflags, ganc_meta_t *m) {
    char v[4096];
    for (int i = 0; i < nflags; i++) {
        if (!flags[i].meta) continue;
        format_value(&flags[i], v, sizeof v);
        if (ganc_meta_set(m, flags[i].meta, v)) return GANC_ENOMEM;
    }
    return GANC_OK;
}

int flags_from_meta(const char *cmd, flag_t *flags, int nflags, const ganc_st_t *st) {
    for (int i = 0; i < nflags; i++) {
        flag_t *f = &flags[i];
        const char *v = f->meta ? ganc_st_meta(st, f->meta) : NULL;
        if (!v || (!f->fixed && f->seen)) continue;
        if (parse_value(f, v) || (numeric(f->type) && !(value_of(f) >= f->lo && value_of(f) <= f->hi))) {
            fprintf(stderr, "ganc %s: %s: run metadata %s = '%s' is not a valid --%s\n", cmd, ganc_st_path(st),
                    f->meta, v, f->name);
            return 1;
        }
    }
    return 0;
}
