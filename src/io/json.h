/* Internal: the JSON reader (src/io/json.c), used by the library (emoji index) and the CLI (study answers). */
#ifndef GANC_JSON_H
#define GANC_JSON_H
#include <stddef.h>
typedef struct json json_t;
/* the parsed tree, or NULL with the reason (and the byte offset) in err */
json_t *json_parse(const char *text, size_t len, char *err, size_t errcap);
void json_free(json_t *j);
const json_t *json_get(const json_t *obj, const char *key); /* member of an object, or NULL */
int json_len(const json_t *arr);                          /* elements of an array (0 otherwise) */
const json_t *json_at(const json_t *arr, int i);
const char *json_str(const json_t *j);                    /* a string's value, or NULL */
int json_num(const json_t *j, double *v);                 /* 0 and the value when j is a number */
int json_nmembers(const json_t *obj);                     /* members of an object (0 otherwise) */
const json_t *json_member(const json_t *obj, int i, const char **key); /* the i-th member and its key */
#endif
