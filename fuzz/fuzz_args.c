/* libFuzzer target for the command line: the input is split at NUL/newline bytes into an argument vector; its
   first byte picks the subcommand. Every subcommand runs with GANC_DRY_RUN set, so it stops once its arguments are
   checked. Asserts: no crash, no leak (ASan), exit code 0, 1 or 2 only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include "cli.h"

static const char *const cmds[] = {"train", "sample", "eval", "probe", "interp", "arith", "show-filters", "info",
                                   "train classifier", "report", "study realfake", "study score", "study mos", "bogus"};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    setenv("GANC_DRY_RUN", "1", 1);
    setenv("OMP_NUM_THREADS", "1", 1);
    return 0;
}

/* the program's own output goes to /dev/null during a run; libFuzzer's reports still reach stderr */
static int quiet_run(int argc, char **argv) {
    fflush(stdout);
    fflush(stderr);
    int o = dup(1), e = dup(2), nul = open("/dev/null", O_WRONLY);
    dup2(nul, 1);
    dup2(nul, 2);
    int rc = ganc_cli_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(o, 1);
    dup2(e, 2);
    close(o); close(e); close(nul);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 4096) return 0;
    enum { MAXARG = 64 };
    char *buf = malloc(size + 1), *argv[MAXARG + 3];
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = 0;
    int argc = 0;
    argv[argc++] = "ganc";
    char cmd[32];
    snprintf(cmd, sizeof cmd, "%s", cmds[data[0] % (sizeof cmds / sizeof cmds[0])]);
    char *sp = strchr(cmd, ' ');
    argv[argc++] = cmd;
    if (sp) { *sp = 0; argv[argc++] = sp + 1; }
    for (char *p = buf, *end = buf + size - 1; p < end && argc < MAXARG + 2;) {
        char *q = p;
        while (q < end && *q && *q != '\n') q++;
        *q = 0;
        argv[argc++] = p;
        p = q + 1;
    }
    argv[argc] = NULL;
    int rc = quiet_run(argc, argv);
    free(buf);
    if (rc != 0 && rc != 1 && rc != 2) abort();
    return 0;
}
