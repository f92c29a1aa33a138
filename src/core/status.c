/* Error reporting: a thread-local message, like stb's stbi_failure_reason(). The library never prints. */
#include <stdarg.h>
#include <stdio.h>
#include "ganc.h"

static _Thread_local char g_msg[1024] = "no error";

const char *ganc_errmsg(void) { return g_msg; }

int ganc_fail(int code, const char *fmt, ...) {
    char tmp[1024]; /* fmt may mention the previous message */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    snprintf(g_msg, sizeof g_msg, "%s", tmp);
    return code;
}
