/* witness.h — where checkpoints and certificates are copied as they are made, outside the
 * store: an append-only JSON-lines file (--witness FILE, for a remote or WORM mount) and
 * syslog (--witness-syslog: RFC 5424 to the local syslog socket). Both are opened before the
 * capture gives up its privileges; writing needs no new descriptor. */
#ifndef OW_WITNESS_H
#define OW_WITNESS_H

#include <stdbool.h>

#include <jansson.h>

struct ow_witness {
    int fd;            /* the witness file, O_APPEND; -1 none */
    int syslog_fd;     /* a connected AF_UNIX datagram socket; -1 none */
    char host[64];
    bool failed;       /* a write failed (told once on stderr) */
};

/* path may be NULL; syslog_path NULL for none (the default socket is "/dev/log").
 * 0, or -1 with err. */
int ow_witness_open(struct ow_witness *w, const char *path, const char *syslog_path,
                    char *err, size_t errlen);

/* Writes one JSON object as a line to every witness. 0, or -1 when one failed. */
int ow_witness_write(struct ow_witness *w, const json_t *line);

void ow_witness_close(struct ow_witness *w);

#endif
