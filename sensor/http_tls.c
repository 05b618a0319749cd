/* http_tls.c — --tls-cert/--tls-key: read, checked as a pair with GnuTLS, kept in memory for
 * libmicrohttpd (which takes PEM text), so nothing is read from disk once the server runs. */
#include "sensor/http_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "common/alloc.h"

#define MAX_PEM_BYTES (1024 * 1024)

static char *read_pem(const char *what, const char *path, bool secret, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    char *buf = NULL;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s %s: not a regular file", what, path);
    } else if (secret && (sb.st_mode & 0037)) {
        snprintf(err, errlen, "%s %s: mode %04o lets others read the private key; it must be "
                 "0600 or 0640", what, path, (unsigned)(sb.st_mode & 0777));
    } else if (sb.st_size <= 0 || sb.st_size > MAX_PEM_BYTES) {
        snprintf(err, errlen, "%s %s: empty or larger than 1 MiB", what, path);
    } else if (!(buf = ow_malloc((size_t)sb.st_size + 1))) {
        snprintf(err, errlen, "%s %s: out of memory", what, path);
    } else {
        size_t got = 0;
        while (got < (size_t)sb.st_size) {
            ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        buf[got] = '\0';
        if (got != (size_t)sb.st_size || strlen(buf) != got) {
            snprintf(err, errlen, "%s %s: short read or not PEM text", what, path);
            explicit_bzero(buf, got);
            free(buf);
            buf = NULL;
        }
    }
    close(fd);
    return buf;
}

int ow_tls_load(const char *cert_path, const char *key_path, char **cert_pem, char **key_pem,
                char *err, size_t errlen)
{
    *cert_pem = *key_pem = NULL;
    if (!cert_path != !key_path) {
        snprintf(err, errlen, "--tls-cert and --tls-key go together");
        return -1;
    }
    if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
        snprintf(err, errlen, "this libmicrohttpd was built without TLS");
        return -1;
    }
    char *cert = read_pem("--tls-cert", cert_path, false, err, errlen);
    if (!cert)
        return -1;
    char *key = read_pem("--tls-key", key_path, true, err, errlen);
    if (!key) {
        free(cert);
        return -1;
    }
    gnutls_certificate_credentials_t cred;
    int rc = gnutls_certificate_allocate_credentials(&cred);
    if (rc == GNUTLS_E_SUCCESS) {
        gnutls_datum_t c = { (unsigned char *)cert, (unsigned)strlen(cert) };
        gnutls_datum_t k = { (unsigned char *)key, (unsigned)strlen(key) };
        rc = gnutls_certificate_set_x509_key_mem(cred, &c, &k, GNUTLS_X509_FMT_PEM);
        gnutls_certificate_free_credentials(cred);
    }
    if (rc < 0) {
        snprintf(err, errlen, "--tls-cert %s / --tls-key %s: %s", cert_path, key_path,
                 gnutls_strerror(rc));
        free(cert);
        explicit_bzero(key, strlen(key));
        free(key);
        return -1;
    }
    *cert_pem = cert;
    *key_pem = key;
    return 0;
}
