/* SPDX-License-Identifier: Apache-2.0 */
/* input.c - reading inputs and reporting errors, shared by the subcommands. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"

void cli_error(const char *command, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* One line, whatever the message quotes. */
    for (char *p = text; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "cegate: %s: %s\n", command, text);
}

void cli_report(const char *command, const char *input, const cegate_error *err)
{
    cli_error(command, "%s%s%s%s%s%s%s%s", input ? input : "",
              input ? ": " : "", err->origin[0] ? "adapter " : "", err->origin,
              err->origin[0] ? ": " : "", err->path, err->path[0] ? ": " : "",
              err->text);
}

int cli_open_input(const char *command, const char *path, FILE **out)
{
    if (path == NULL || strcmp(path, "-") == 0) {
        *out = stdin;
        return 0;
    }
    *out = fopen(path, "rb");
    if (*out != NULL)
        return 0;
    int saved = errno;
    cli_error(command, "%s: %s", path, strerror(saved));
    return saved == ENOENT || saved == EACCES ? EX_NOINPUT : EX_IOERR;
}

int cli_read_input(const char *command, const char *path, cegate_buffer *out)
{
    FILE *f;
    int rc = cli_open_input(command, path, &f);
    if (rc != 0)
        return rc;
    int from_stdin = f == stdin;
    const char *name = from_stdin ? "standard input" : path;
    cegate_error err;
    cegate_error_clear(&err);
    char chunk[65536];
    for (;;) {
        size_t n = fread(chunk, 1, sizeof chunk, f);
        if (n > 0 && cegate_buffer_append(out, chunk, n, "input", &err) < 0) {
            cli_report(command, name, &err);
            rc = err.code == CEGATE_ERR_LIMIT ? EX_DATAERR : EX_OSERR;
            break;
        }
        if (n < sizeof chunk) {
            if (ferror(f)) {
                cli_error(command, "%s: %s", name, strerror(errno));
                rc = EX_IOERR;
            }
            break;
        }
    }
    if (!from_stdin)
        fclose(f);
    return rc;
}
