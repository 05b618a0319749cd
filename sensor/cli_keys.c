/* cli_keys.c — `keys init --dir DIR [--sensor NAME]`: the sensor's root key pair, its first
 * epoch key and that key's root-signed certificate (db/seal_keys.h). Prints the root public
 * key and its fingerprint, which a regulator registers. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db/hash_chain.h"
#include "db/seal_keys.h"
#include "sensor/cli.h"

static const char keys_help[] =
    "usage: omwitness keys init --dir DIR [--sensor NAME]\n"
    "\n"
    "Creates the sensor's sealing keys in DIR (made 0700 if missing):\n"
    "  root.pub    the root public key: register it (and its fingerprint) with the regulator\n"
    "  root.key    the root private key: move it off this host (offline storage); the\n"
    "              sensor never needs it\n"
    "  epoch.key   the first epoch key, certified by the root key (0600)\n"
    "  certs       the epoch certificates\n"
    "  --sensor NAME   the sensor's name in every signature (default: the host name)\n"
    "replay and capture seal the store with --keys DIR (default " OW_DEFAULT_KEYS_DIR ").\n";

int ow_cmd_keys(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "dir", required_argument, NULL, 'd' },
        { "sensor", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(keys_help, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "init") != 0)
        return ow_usage_error("keys", "the subcommand is 'init'");
    const char *dir = NULL, *sensor = NULL;
    char host[256] = "";
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(keys_help, stdout); return 0;
        case 'd': dir = optarg; break;
        case 's': sensor = optarg; break;
        case ':': return ow_usage_error("keys", "option '%s' needs a value", argv[optind]);
        default: return ow_usage_error("keys", "unknown option '%s'", argv[optind]);
        }
    }
    if (optind < argc - 1)
        return ow_usage_error("keys", "unexpected argument '%s'", argv[optind + 1]);
    if (!dir || !*dir)
        return ow_usage_error("keys", "--dir DIR is required");
    if (!sensor) {
        if (gethostname(host, sizeof host - 1) != 0 || !ow_sensor_name_ok(host))
            return ow_usage_error("keys", "the host name is not a usable sensor name; give "
                                  "--sensor NAME");
        sensor = host;
    }
    if (!ow_sensor_name_ok(sensor))
        return ow_usage_error("keys", "--sensor takes 1 to 63 of A-Z a-z 0-9 . _ -, not '%s'",
                              sensor);
    uint8_t pub[OW_ED25519_KEY_LEN];
    char err[512];
    if (ow_keys_init(dir, sensor, pub, err, sizeof err) < 0) {
        fprintf(stderr, "omwitness keys: %s\n", err);
        return 1;
    }
    char hex[65], fp[65];
    ow_hex(pub, sizeof pub, hex);
    ow_key_fingerprint(pub, fp);
    printf("sensor %s: keys created in %s\n"
           "root public key:  %s\n"
           "fingerprint:      SHA256:%s\n"
           "Move %s/root.key off this host now; keep %s/root.pub for verifiers.\n",
           sensor, dir, hex, fp, dir, dir);
    return 0;
}
