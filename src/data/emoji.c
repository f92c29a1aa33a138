/* Captioned emoji: Debian's ruby-gemojione as a text-to-image set (Reed et al. 2016's setting with emoji in place of
   birds and flowers). config/index.json gives each emoji its name, category and keywords; assets/png/<UNICODE>.png
   its 64x64 image. Captions, the held-out rule and the alphabet are documented in ganc.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ganc.h"
#include "io/json.h"

static const char *const categories[GANC_EMOJI_CLASSES] = {"people", "nature", "food",    "activity",
                                                          "travel", "objects", "symbols", "flags"};
static const char alphabet[] = " abcdefghijklmnopqrstuvwxyz0123456789,.:;'&()#*+-!?/";

const char *ganc_emoji_category(int k) { return k >= 0 && k < GANC_EMOJI_CLASSES ? categories[k] : NULL; }
int ganc_text_alphabet(void) { return (int)sizeof alphabet; /* the pad (0) and the characters 1.. */ }

int ganc_text_encode(const char *s, float *idx, int *len) {
    int n = 0, space = 1; /* collapse runs of spaces, drop leading ones */
    memset(idx, 0, sizeof(float) * GANC_TEXT_LEN);
    for (const unsigned char *p = (const unsigned char *)s; *p && n < GANC_TEXT_LEN; p++) {
        if (*p >= 0x80 && *p < 0xC0) continue; /* UTF-8 continuation bytes: the character counted at its lead */
        int ch = *p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p;
        const char *at = ch && ch < 0x80 ? strchr(alphabet, ch) : NULL;
        int code = at ? (int)(at - alphabet) + 1 : 1; /* anything else: a space */
        if (code == 1 && space) continue;
        space = code == 1;
        idx[n++] = (float)code;
    }
    while (n > 0 && idx[n - 1] == 1.0f) idx[--n] = 0.0f; /* trailing spaces */
    *len = n;
    if (!n) return ganc_fail(GANC_EINVAL, "empty caption \"%.60s\": no letter, digit or punctuation of ganc's alphabet", s);
    return GANC_OK;
}

/* FNV-1a of the key without a skin-tone suffix ("_tone1".."_tone5"): every tone of an emoji on the same side */
int ganc_emoji_held_out(const char *key) {
    size_t l = strlen(key);
    if (l > 6 && !strncmp(key + l - 6, "_tone", 5) && key[l - 1] >= '1' && key[l - 1] <= '5') l -= 6;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < l; i++) h = (h ^ (unsigned char)key[i]) * 16777619u;
    return h % 10 == 0;
}

static char *dupf(const char *fmt, const char *a, const char *b, const char *c) {
    size_t n = strlen(fmt) + strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s) snprintf(s, n, fmt, a, b, c);
    return s;
}

/* the captions of one emoji (see ganc.h); returns how many, or -1 out of memory */
static int make_captions(const json_t *e, char **cap) {
    const char *name = json_str(json_get(e, "name")), *cat = json_str(json_get(e, "category"));
    const json_t *kw = json_get(e, "keywords");
    const char *k[4];
    int nk = 0;
    for (int i = 0; i < json_len(kw) && nk < 4; i++) {
        const char *w = json_str(json_at(kw, i));
        int dup = !w || !*w || !strcmp(w, cat);
        for (int j = 0; j < nk && !dup; j++) dup = !strcmp(k[j], w);
        if (!dup) k[nk++] = w;
    }
    int n = 0;
    cap[n++] = dupf("%s%s%s", name, "", "");
    cap[n++] = dupf("%s, %s%s", name, cat, "");
    if (nk >= 2) cap[n++] = dupf("%s, %s, %s", name, k[0], k[1]);
    if (nk >= 3) cap[n++] = dupf("%s, %s, %s", k[0], k[1], k[2]);
    if (nk >= 4) cap[n++] = dupf("%s: %s, %s", cat, k[2], k[3]);
    for (int i = 0; i < n; i++)
        if (!cap[i]) return -1;
    return n;
}

void ganc_emoji_free(ganc_emoji_t *e) {
    if (!e) return;
    for (int i = 0; e->cap && i < e->n * GANC_EMOJI_MAX_CAPTIONS; i++) free(e->cap[i]);
    for (int i = 0; e->keys && i < e->n; i++) free(e->keys[i]);
    free(e->cap); free(e->keys); free(e->x); free(e->labels); free(e->ncap); free(e->held_out);
    memset(e, 0, sizeof *e);
}

static int load_index(const char *root, json_t **out) {
    char path[4200];
    if (snprintf(path, sizeof path, "%s/config/index.json", root) >= (int)sizeof path)
        return ganc_fail(GANC_EINVAL, "emoji: path too long");
    unsigned char *b;
    size_t len;
    int rc = ganc_read_file(path, (size_t)64 << 20, &b, &len);
    if (rc) return rc;
    char err[200];
    *out = json_parse((const char *)b, len, err, sizeof err);
    free(b);
    if (!*out || !json_nmembers(*out))
        return ganc_fail(GANC_EFORMAT, "%s: %s", path, *out ? "not an object of emoji" : err);
    return GANC_OK;
}

static int emoji_one(ganc_emoji_t *e, const char *root, const char *key, const json_t *v, int size) {
    const char *uni = json_str(json_get(v, "unicode")), *name = json_str(json_get(v, "name"));
    const char *cat = json_str(json_get(v, "category"));
    if (!uni || !name || !cat || strlen(uni) > 64 || strchr(uni, '/') || strchr(uni, '.'))
        return ganc_fail(GANC_EFORMAT, "%s/config/index.json: emoji \"%.40s\" lacks a unicode, name or category", root,
                         key);
    int label = -1;
    for (int k = 0; k < GANC_EMOJI_CLASSES; k++)
        if (!strcmp(cat, categories[k])) label = k;
    if (label < 0) return 0; /* "modifier", "extras": not one of the 8 categories */
    char path[4300];
    if (snprintf(path, sizeof path, "%s/assets/png/%s.png", root, uni) >= (int)sizeof path)
        return ganc_fail(GANC_EINVAL, "emoji: path too long");
    ganc_image_t img;
    int rc = ganc_image_load(path, &img);
    if (rc) return rc;
    const size_t per = (size_t)3 * size * size;
    rc = ganc_image_to_tensor(&img, size, 3, e->x + per * e->n);
    ganc_image_free(&img);
    if (rc) return rc;
    int i = e->n;
    e->labels[i] = label;
    e->held_out[i] = (unsigned char)ganc_emoji_held_out(key);
    e->keys[i] = strdup(key);
    e->n++; /* from here ganc_emoji_free owns its strings */
    e->ncap[i] = make_captions(v, e->cap + (size_t)i * GANC_EMOJI_MAX_CAPTIONS);
    if (!e->keys[i] || e->ncap[i] < 0) return ganc_fail(GANC_ENOMEM, "out of memory");
    return 1;
}

#ifndef GANC_DATA_DIR
#define GANC_DATA_DIR "data"
#endif
static const char *const default_roots[] = {
    GANC_DATA_DIR "/gemojione/usr/share/rubygems-integration/all/gems/gemojione-3.3.0", /* scripts/get_emoji.sh */
    "/usr/share/rubygems-integration/all/gems/gemojione-3.3.0",                         /* Debian's ruby-gemojione */
};

int ganc_emoji_load(ganc_emoji_t *e, const char *path, int size) {
    memset(e, 0, sizeof *e);
    if (!path || !*path) {
        FILE *f = NULL;
        char probe[600];
        for (int i = 0; !f && i < 2; i++) {
            snprintf(probe, sizeof probe, "%s/config/index.json", default_roots[i]);
            if ((f = fopen(probe, "rb"))) path = default_roots[i];
        }
        if (!f) return ganc_fail(GANC_EIO, "emoji: not found under %s or %s (scripts/get_emoji.sh unpacks it)",
                                 default_roots[0], default_roots[1]);
        fclose(f);
    }
    if (size < 4 || size > 512) return ganc_fail(GANC_EINVAL, "emoji: size %d outside 4..512", size);
    char root[4096];
    if (snprintf(root, sizeof root, "%s", path) >= (int)sizeof root - 8)
        return ganc_fail(GANC_EINVAL, "emoji: path too long");
    FILE *f;
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/config/index.json", root);
    if (!(f = fopen(probe, "rb"))) { /* PATH may be the png folder that scripts/get_emoji.sh prints */
        snprintf(root, sizeof root, "%s/../..", path);
        snprintf(probe, sizeof probe, "%s/config/index.json", root);
        if (!(f = fopen(probe, "rb")))
            return ganc_fail(GANC_EIO, "emoji:%s: no config/index.json there (the unpacked gem's folder: "
                             "scripts/get_emoji.sh)", path);
    }
    fclose(f);
    json_t *idx;
    int rc = load_index(root, &idx);
    if (rc) return rc;
    int cap = json_nmembers(idx);
    const size_t per = (size_t)3 * size * size;
    if ((size_t)cap > ((size_t)1 << 30) / per) { /* at most 4 GiB of images: the index is untrusted */
        json_free(idx);
        return ganc_fail(GANC_ENOMEM, "%s/config/index.json: %d emoji at %dx%d is more than 4 GiB of images", root, cap,
                         size, size);
    }
    e->size = size;
    e->x = malloc(sizeof(float) * per * cap);
    e->labels = calloc(cap, sizeof(int));
    e->ncap = calloc(cap, sizeof(int));
    e->held_out = calloc(cap, 1);
    e->keys = calloc(cap, sizeof(char *));
    e->cap = calloc((size_t)cap * GANC_EMOJI_MAX_CAPTIONS, sizeof(char *));
    if (!e->x || !e->labels || !e->ncap || !e->held_out || !e->keys || !e->cap) rc = ganc_fail(GANC_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < cap; i++) {
        const char *key;
        const json_t *v = json_member(idx, i, &key);
        int r = emoji_one(e, root, key, v, size);
        if (r < 0) rc = r;
    }
    json_free(idx);
    if (!rc && e->n < 2) rc = ganc_fail(GANC_EFORMAT, "emoji:%s: fewer than 2 emoji in the 8 categories", path);
    if (rc) ganc_emoji_free(e);
    return rc;
}
