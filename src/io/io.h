/* Internal: crash-safe output files. Everything ganc writes goes to PATH.tmp.PID in the same folder, is flushed and
   fsync'ed, then renamed over PATH, so a reader (or a resumed run) never sees a half-written file. */
#ifndef GANC_IO_H
#define GANC_IO_H
#include <stdio.h>
#include <stddef.h>

typedef struct {
    FILE *f;
    char path[4096], tmp[4200];
    int err; /* first errno seen */
} afile_t;

int afile_open(afile_t *a, const char *path);          /* GANC_OK or GANC_EIO (message set) */
void afile_write(afile_t *a, const void *p, size_t n);  /* errors are remembered, reported by commit */
int afile_commit(afile_t *a);                           /* flush, fsync, rename, fsync dir; removes tmp on error */
void afile_abort(afile_t *a);
#endif
