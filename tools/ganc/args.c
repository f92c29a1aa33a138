#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

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

void print_help(const command_t *cmd, flag_t *flags, int nflags) {
    printf("usage: ganc %s\n\n%s\n\noptions:\n", cmd->usage, cmd->summary);
    for (int i = 0; i < nflags; i++) {
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
        printf("  %-24s %s%s\n", left, flags[i].help, def);
    }
    printf("  %-24s %s\n", "--help", "show this help");
}

/* "90", "90s", "10m", "1.5h" -> seconds */
static int parse_duration(const char *s, double *out) {
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (errno || e == s || v < 0) return -1;
    if (!*e || !strcmp(e, "s")) *out = v;
    else if (!strcmp(e, "m")) *out = v * 60;
    else if (!strcmp(e, "h")) *out = v * 3600;
    else return -1;
    return 0;
}

int flag_seen(const flag_t *flags, int nflags, const char *name) {
    for (int i = 0; i < nflags; i++)
        if (!strcmp(flags[i].name, name)) return flags[i].seen;
    return 0;
}

int parse_flags(const command_t *cmd, flag_t *flags, int nflags, int argc, char **argv, char **pos, int maxpos,
                int *npos) {
    *npos = 0;
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
        flag_t *f = NULL;
        for (int k = 0; k < nflags; k++)
            if (!strcmp(flags[k].name, name)) f = &flags[k];
        if (!f) {
            fprintf(stderr, "ganc %s: unknown option --%s (see ganc %s --help)\n", cmd->name, name, cmd->name);
            return 2;
        }
        f->seen = 1;
        if (f->type == F_BOOL) {
            if (val) { fprintf(stderr, "ganc %s: --%s takes no value\n", cmd->name, name); return 2; }
            *(int *)f->dst = 1;
            continue;
        }
        if (!val) {
            if (i + 1 >= argc) { fprintf(stderr, "ganc %s: --%s needs a value\n", cmd->name, name); return 2; }
            val = argv[++i];
        }
        char *e;
        errno = 0;
        int bad = 0;
        switch (f->type) {
        case F_INT: {
            long v = strtol(val, &e, 10);
            bad = errno || *e || e == val || v < -2147483647L || v > 2147483647L;
            if (!bad) *(int *)f->dst = (int)v;
            break;
        }
        case F_U64: {
            unsigned long long v = strtoull(val, &e, 10);
            bad = errno || *e || e == val || val[0] == '-';
            if (!bad) *(uint64_t *)f->dst = v;
            break;
        }
        case F_FLOAT: {
            float v = strtof(val, &e);
            bad = errno || *e || e == val;
            if (!bad) *(float *)f->dst = v;
            break;
        }
        case F_DURATION: bad = parse_duration(val, (double *)f->dst); break;
        case F_STR: *(const char **)f->dst = val; break;
        default: break;
        }
        if (bad) {
            fprintf(stderr, "ganc %s: bad value '%s' for --%s\n", cmd->name, val, name);
            return 2;
        }
    }
    return 0;
}
