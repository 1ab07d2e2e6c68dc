/* SPDX-License-Identifier: Apache-2.0 */
/* echo - a libfcgi FastCGI app that describes each request it gets, for
 * cegate's tests and demos.
 *
 * Every request is answered 200 with application/json:
 *   {"params": {NAME: VALUE, ...},            every param, in order (the
 *                                              first of repeated names)
 *    "body": {"length": N, "sha256": "hex",
 *             "text": "..."},                  text only when the body is
 *                                              at most 4096 bytes of UTF-8
 *    "pid": PID}
 * Request headers that steer it (params HTTP_X_ECHO_*):
 *   X-Echo-Status: NNN      answer with that status (100-999)
 *   X-Echo-Sleep-Ms: N      sleep N ms first (at most 600000)
 *   X-Echo-Stderr: TEXT     write TEXT to the FastCGI stderr stream
 *
 * Socket: -s PATH / --socket PATH, else $SOCK, else the listening socket on
 * fd 0 (spawn-fcgi, cgi-fcgi -start). PATH may be ":PORT" for TCP.
 * THREADS=N serves with N threads (default 1). SIGTERM or SIGINT: stop
 * accepting, finish, remove the socket it created, exit 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <jansson.h>

#include "../common/fcgi_app.h"
#include "sha256.h"

#define TEXT_MAX 4096
#define MAX_SLEEP_MS 600000L

static const char usage[] =
    "usage: echo [-s PATH | --socket PATH] [--help]\n"
    "\n"
    "A FastCGI app (libfcgi) that answers every request with 200 and a JSON\n"
    "description of it: {\"params\": {...}, \"body\": {\"length\", \"sha256\",\n"
    "\"text\" (when at most 4096 bytes of UTF-8)}, \"pid\"}.\n"
    "\n"
    "  -s, --socket PATH  listen on PATH (a unix socket, or :PORT for TCP);\n"
    "                     default $SOCK, else the socket on fd 0 (spawn-fcgi)\n"
    "  -h, --help         this text\n"
    "\n"
    "Environment: SOCK (socket path), THREADS (worker threads, default 1).\n"
    "Request headers: X-Echo-Status: NNN (answer with that status),\n"
    "X-Echo-Sleep-Ms: N (sleep first), X-Echo-Stderr: TEXT (write TEXT to the\n"
    "FastCGI stderr stream). SIGTERM/SIGINT stop it cleanly (exit 0).\n";

/* ---- UTF-8 ------------------------------------------------------------------ */

/* s as a JSON string, each byte that is not part of well-formed UTF-8
 * replaced by U+FFFD (params are bytes; JSON strings are not). */
static json_t *string_lossy(const char *s, size_t n, char **scratch)
{
    if (fcgi_app_utf8_valid(s, n))
        return json_stringn(s, n);
    char *out = malloc(n * 3 + 1);
    if (out == NULL)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = fcgi_app_utf8_sequence(p + i, n - i);
        if (k == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, p + i, k);
            o += k;
            i += k;
        }
    }
    json_t *j = json_stringn(out, o);
    if (scratch != NULL) {
        *scratch = out; /* the caller wants the bytes too (object keys) */
        (*scratch)[o] = '\0';
    } else {
        free(out);
    }
    return j;
}

/* ---- one request ---------------------------------------------------------- */

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Echo";
    }
}

/* Sleep, cut short when the app is stopping (SIGUSR2 interrupts it). */
static void sleep_ms(long ms)
{
    struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
    while (!fcgi_app_stopping() && nanosleep(&left, &left) < 0 &&
           errno == EINTR)
        ;
}

static json_t *describe_params(char **envp)
{
    json_t *params = json_object();
    if (params == NULL)
        return NULL;
    char **e = envp;
    /* libfcgi puts its own FCGI_ROLE=RESPONDER first: not a param we got. */
    if (e != NULL && *e != NULL && strncmp(*e, "FCGI_ROLE=", 10) == 0)
        e++;
    for (; e != NULL && *e != NULL; e++) {
        const char *eq = strchr(*e, '=');
        size_t name_len = eq ? (size_t)(eq - *e) : strlen(*e);
        const char *value = eq ? eq + 1 : "";
        char *key = NULL;
        json_t *name = string_lossy(*e, name_len, &key);
        const char *k = key != NULL ? key : *e;
        size_t klen = key != NULL ? strlen(key) : name_len;
        if (name != NULL && json_object_getn(params, k, klen) == NULL)
            json_object_setn_new(params, k, klen,
                                 string_lossy(value, strlen(value), NULL));
        json_decref(name);
        free(key);
    }
    return params;
}

static void handle(FCGX_Request *r)
{
    long ms = fcgi_app_number(FCGX_GetParam("HTTP_X_ECHO_SLEEP_MS", r->envp), 0,
                           MAX_SLEEP_MS);
    if (ms > 0)
        sleep_ms(ms);
    const char *to_stderr = FCGX_GetParam("HTTP_X_ECHO_STDERR", r->envp);
    if (to_stderr != NULL)
        FCGX_PutS(to_stderr, r->err);
    long status = fcgi_app_number(FCGX_GetParam("HTTP_X_ECHO_STATUS", r->envp),
                               100, 999);
    if (status < 0)
        status = 200;

    /* The body: hashed as it streams, the first TEXT_MAX + 1 bytes kept. */
    sha256_ctx sha;
    sha256_init(&sha);
    char text[TEXT_MAX + 1];
    size_t kept = 0;
    uint64_t length = 0;
    char chunk[16384];
    int n;
    while ((n = FCGX_GetStr(chunk, (int)sizeof chunk, r->in)) > 0) {
        sha256_update(&sha, chunk, (size_t)n);
        length += (uint64_t)n;
        size_t take = (size_t)n < sizeof text - kept ? (size_t)n : sizeof text - kept;
        memcpy(text + kept, chunk, take);
        kept += take;
    }
    unsigned char digest[SHA256_DIGEST_LENGTH];
    char hex[SHA256_HEX_LENGTH];
    sha256_final(&sha, digest);
    sha256_hex(digest, hex);

    json_t *body = json_pack("{s:I, s:s}", "length", (json_int_t)length,
                             "sha256", hex);
    if (body != NULL && length <= TEXT_MAX && fcgi_app_utf8_valid(text, kept))
        json_object_set_new(body, "text", json_stringn(text, kept));
    json_t *root = json_pack("{s:o, s:o, s:I}", "params",
                             describe_params(r->envp), "body", body, "pid",
                             (json_int_t)getpid());
    char *out = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (out == NULL) {
        FCGX_PutS("Status: 500 Internal Server Error\r\n"
                  "Content-Type: text/plain\r\n\r\nout of memory\n",
                  r->out);
        return;
    }
    size_t len = strlen(out);
    FCGX_FPrintF(r->out,
                 "Status: %ld %s\r\n"
                 "Content-Type: application/json\r\n"
                 "Content-Length: %lu\r\n"
                 "\r\n",
                 status, reason((int)status), (unsigned long)len + 1);
    FCGX_PutStr(out, (int)len, r->out);
    FCGX_PutChar('\n', r->out);
    free(out);
}

/* ---- serving ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    static const struct fcgi_app app = {.name = "echo", .usage = usage, .handle = handle};
    struct fcgi_app_config cfg;
    int rc = fcgi_app_configure(&app, argc, argv, &cfg);
    if (rc >= 0)
        return rc;
    return fcgi_app_serve(&app, &cfg);
}
