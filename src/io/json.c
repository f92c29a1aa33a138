/* A small JSON reader: the whole text into a tree (ganc study answers, the emoji index). Hostile input is bounded:
   nesting 64 deep, 1e6 values; \u escapes outside ASCII become '?'. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io/json.h"

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
struct json {
    int type, n;        /* n: elements of an array / members of an object */
    double num;
    char *str;          /* J_STR value; for members of an object, `key` */
    char *key;
    struct json *kids;  /* n children */
};

typedef struct { const char *start, *p, *end; int depth, values; char *err; size_t errcap; } jp_t;

static int jp_fail(jp_t *j, const char *what) {
    if (j->err && !j->err[0]) snprintf(j->err, j->errcap, "%s at byte %ld", what, (long)(j->p - j->start));
    return -1;
}
static void ws(jp_t *j) { while (j->p < j->end && strchr(" \t\r\n", *j->p)) j->p++; }

static int parse_str(jp_t *j, char **out) {
    if (j->p >= j->end || *j->p != '"') return jp_fail(j, "expected a string");
    const char *s = ++j->p;
    size_t cap = 16, n = 0;
    char *o = malloc(cap);
    if (!o) return jp_fail(j, "out of memory");
    while (j->p < j->end && *j->p != '"') {
        char ch = *j->p++;
        if (ch == '\\') {
            if (j->p >= j->end) break;
            ch = *j->p++;
            if (ch == 'u') { /* keep ASCII, replace the rest: the answers files hold ids and names ganc wrote */
                if (j->end - j->p < 4) break;
                unsigned v = (unsigned)strtoul((char[5]){j->p[0], j->p[1], j->p[2], j->p[3], 0}, NULL, 16);
                j->p += 4;
                ch = v < 128 ? (char)v : '?';
            } else if (ch == 'n') ch = '\n';
            else if (ch == 't') ch = '\t';
            else if (ch == 'r') ch = '\r';
            else if (ch == 'b' || ch == 'f') ch = ' ';
        }
        if (n + 2 > cap) {
            char *q = realloc(o, cap *= 2);
            if (!q) { free(o); return jp_fail(j, "out of memory"); }
            o = q;
        }
        o[n++] = ch;
    }
    (void)s;
    if (j->p >= j->end) { free(o); return jp_fail(j, "unterminated string"); }
    j->p++;
    o[n] = 0;
    *out = o;
    return 0;
}

static int parse_value(jp_t *j, json_t *v);
static void json_free_kids(json_t *j);

static int add_kid(jp_t *j, json_t *v, json_t *kid) {
    json_t *k = realloc(v->kids, sizeof(json_t) * (size_t)(v->n + 1));
    if (!k) return jp_fail(j, "out of memory");
    v->kids = k;
    v->kids[v->n++] = *kid;
    return 0;
}

static int parse_container(jp_t *j, json_t *v, int obj) {
    v->type = obj ? J_OBJ : J_ARR;
    j->p++;
    ws(j);
    if (j->p < j->end && *j->p == (obj ? '}' : ']')) { j->p++; return 0; }
    for (;;) {
        json_t kid = {0};
        ws(j);
        if (obj) {
            if (parse_str(j, &kid.key)) return -1;
            ws(j);
            if (j->p >= j->end || *j->p++ != ':') { free(kid.key); return jp_fail(j, "expected ':'"); }
        }
        if (parse_value(j, &kid) || add_kid(j, v, &kid)) { json_free_kids(&kid); free(kid.key); return -1; }
        ws(j);
        if (j->p < j->end && *j->p == ',') { j->p++; continue; }
        if (j->p < j->end && *j->p == (obj ? '}' : ']')) { j->p++; return 0; }
        return jp_fail(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int parse_value(jp_t *j, json_t *v) {
    ws(j);
    if (j->p >= j->end) return jp_fail(j, "unexpected end");
    if (++j->values > 1000000) return jp_fail(j, "more than 1e6 values");
    const char c = *j->p;
    if (c == '{' || c == '[') {
        if (++j->depth > 64) return jp_fail(j, "nested deeper than 64");
        int rc = parse_container(j, v, c == '{');
        j->depth--;
        return rc;
    }
    if (c == '"') { v->type = J_STR; return parse_str(j, &v->str); }
    const char *words[] = {"true", "false", "null"};
    for (int k = 0; k < 3; k++) {
        size_t l = strlen(words[k]);
        if ((size_t)(j->end - j->p) >= l && !memcmp(j->p, words[k], l)) {
            j->p += l;
            v->type = k < 2 ? J_BOOL : J_NULL;
            v->num = k == 0;
            return 0;
        }
    }
    char buf[64];
    size_t l = 0;
    while (j->p + l < j->end && l < sizeof buf - 1 && strchr("+-0123456789.eE", j->p[l])) { buf[l] = j->p[l]; l++; }
    buf[l] = 0;
    char *e;
    v->num = strtod(buf, &e);
    if (!l || *e || !isfinite(v->num)) return jp_fail(j, "bad value");
    v->type = J_NUM;
    j->p += l;
    return 0;
}

static void json_free_kids(json_t *j) {
    for (int i = 0; j && i < j->n; i++) {
        json_free_kids(&j->kids[i]);
        free(j->kids[i].key);
    }
    if (j) { free(j->kids); free(j->str); j->kids = NULL; j->str = NULL; j->n = 0; }
}

json_t *json_parse(const char *text, size_t len, char *err, size_t errcap) {
    jp_t j = {text, text, text + len, 0, 0, err, errcap};
    if (err && errcap) err[0] = 0;
    json_t *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    if (parse_value(&j, v) || (ws(&j), j.p != j.end && jp_fail(&j, "trailing data"))) {
        json_free(v);
        return NULL;
    }
    return v;
}

void json_free(json_t *j) {
    json_free_kids(j);
    free(j);
}

const json_t *json_get(const json_t *o, const char *key) {
    for (int i = 0; o && o->type == J_OBJ && i < o->n; i++)
        if (!strcmp(o->kids[i].key, key)) return &o->kids[i];
    return NULL;
}
int json_len(const json_t *a) { return a && a->type == J_ARR ? a->n : 0; }
const json_t *json_at(const json_t *a, int i) { return a && a->type == J_ARR && i >= 0 && i < a->n ? &a->kids[i] : NULL; }
const char *json_str(const json_t *j) { return j && j->type == J_STR ? j->str : NULL; }
int json_num(const json_t *j, double *v) {
    if (!j || j->type != J_NUM) return -1;
    *v = j->num;
    return 0;
}
int json_nmembers(const json_t *o) { return o && o->type == J_OBJ ? o->n : 0; }
const json_t *json_member(const json_t *o, int i, const char **key) {
    if (!o || o->type != J_OBJ || i < 0 || i >= o->n) return NULL;
    if (key) *key = o->kids[i].key;
    return &o->kids[i];
}
