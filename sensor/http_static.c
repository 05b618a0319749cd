/* http_static.c — the browser UI's files. Only plain names directly under the UI directory
 * with a known extension are served ("/", "/alerts.html", "/app.js"): no subdirectories, no
 * dot files, no "..", no symlinks, so nothing outside webui-static can be reached. */
#include "sensor/http_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_STATIC_BYTES (4 * 1024 * 1024)

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".css", "text/css; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" },
    { ".svg", "image/svg+xml" },
    { ".png", "image/png" },
    { ".ico", "image/x-icon" },
    { ".txt", "text/plain; charset=utf-8" },
};

static const char *content_type(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t e = strlen(types[i].ext);
        if (n > e && !strcmp(name + n - e, types[i].ext))
            return types[i].type;
    }
    return NULL;
}

/* A file name we are willing to open: [A-Za-z0-9_-] words joined by single dots, not
 * starting with a dot, at most 64 bytes. */
static bool plain_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
                  (ch == '.' && name[i + 1] != '.' && name[i + 1] != '\0');
        if (!ok)
            return false;
    }
    return true;
}

/* A regular file under the UI directory, opened without following links; -1 if none. */
static int open_ui_file(struct ow_http *srv, const char *name, struct stat *sb)
{
    int fd = openat(srv->webui_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    if (fstat(fd, sb) < 0 || !S_ISREG(sb->st_mode) || sb->st_size > MAX_STATIC_BYTES) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A page a person can read for a wrong address: the UI's 404.html, or a line of HTML. */
static enum MHD_Result not_found(struct ow_http *srv, struct MHD_Connection *c)
{
    static char fallback[] =
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>omwitness: "
        "no such page</title></head><body><h1>No such page</h1><p><a href=\"/\">Alerts</a></p>"
        "</body></html>\n";
    struct stat sb;
    int fd = srv->webui_fd >= 0 ? open_ui_file(srv, "404.html", &sb) : -1;
    struct MHD_Response *r = fd >= 0
        ? MHD_create_response_from_fd((size_t)sb.st_size, fd)
        : MHD_create_response_from_buffer(strlen(fallback), fallback, MHD_RESPMEM_PERSISTENT);
    if (!r) {
        if (fd >= 0)
            close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    ow_http_add_security_headers(r);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_NOT_FOUND, r);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result ow_http_serve_static(struct ow_http *srv, struct MHD_Connection *c,
                                     const char *url)
{
    if (srv->webui_fd < 0)
        return ow_http_send_error(c, MHD_HTTP_NOT_FOUND, "no web UI is served (see --webui)");
    if (url[0] != '/')
        return ow_http_send_error(c, MHD_HTTP_BAD_REQUEST, "bad path");
    const char *name = url[1] ? url + 1 : "index.html";
    const char *type = plain_name(name) ? content_type(name) : NULL;
    if (!type)
        return not_found(srv, c);
    struct stat sb;
    int fd = open_ui_file(srv, name, &sb);
    if (fd < 0)
        return not_found(srv, c);
    /* For HEAD, MHD sends the headers (with the length) and leaves the body out. */
    struct MHD_Response *r = MHD_create_response_from_fd((size_t)sb.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    ow_http_add_security_headers(r);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

const char *ow_http_default_webui(void)
{
    return access(OW_WEBUI_DIR "/index.html", R_OK) == 0 ? OW_WEBUI_DIR : OW_WEBUI_SRC_DIR;
}
