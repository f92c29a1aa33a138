/* Key/value metadata collected before a file is written (safetensors __metadata__), in insertion order. */
#include <string.h>
#include "ganc.h"

void ganc_meta_init(ganc_meta_t *m) {
    m->n = 0;
    m->used = 0;
}

static const char *keep(ganc_meta_t *m, const char *s) {
    size_t l = strlen(s) + 1;
    if (m->used + l > sizeof m->pool) return NULL;
    char *p = m->pool + m->used;
    memcpy(p, s, l);
    m->used += l;
    return p;
}

int ganc_meta_set(ganc_meta_t *m, const char *key, const char *value) {
    int i = 0;
    while (i < m->n && strcmp(m->kv[2 * i], key)) i++;
    if (i == GANC_META_MAX) return ganc_fail(GANC_ENOMEM, "metadata: more than %d keys", GANC_META_MAX);
    const char *k = i < m->n ? m->kv[2 * i] : keep(m, key), *v = keep(m, value);
    if (!k || !v) return ganc_fail(GANC_ENOMEM, "metadata: more than %zu bytes (key %s)", sizeof m->pool, key);
    m->kv[2 * i] = k;
    m->kv[2 * i + 1] = v;
    if (i == m->n) m->n++;
    return GANC_OK;
}

const char *ganc_meta_get(const ganc_meta_t *m, const char *key) {
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->kv[2 * i], key)) return m->kv[2 * i + 1];
    return NULL;
}

int ganc_meta_write(const ganc_meta_t *m, ganc_stw_t *w) {
    int rc = GANC_OK;
    for (int i = 0; !rc && i < m->n; i++) rc = ganc_stw_meta(w, m->kv[2 * i], m->kv[2 * i + 1]);
    return rc;
}
