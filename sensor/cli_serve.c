/* cli_serve.c — `omwitness serve`: parses the options, decides on the token, starts the HTTP
 * server over a stored evidence store and waits for SIGINT/SIGTERM. */
#include "sensor/cli_serve.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "classifiers/policy/policy.h"
#include "db/store.h"
#include "sensor/cli.h"
#include "sensor/http_api.h"


static const char serve_help[] =
    "usage: omwitness serve [--db FILE] [--listen ADDR:PORT] [--tokens FILE]\n"
    "                       [--tls-cert FILE --tls-key FILE] [--webui DIR] [--policy FILE]\n"
    "\n"
    "Serves the web UI and a read-only JSON API over a stored evidence store until\n"
    "SIGINT/SIGTERM (docs/webui.md). Every API call needs a token, on loopback too.\n"
    "  --db FILE          the store (default omwitness.db)\n"
    "  --listen ADDR:PORT default 127.0.0.1:8642; [::1]:PORT for IPv6; port 0 picks one.\n"
    "                     Any address outside 127.0.0.0/8 and ::1 needs TLS.\n"
    "  --tokens FILE      who may sign in: lines 'name role token' (roles analyst,\n"
    "                     li-officer, admin); mode 0600 or 0640; tokens of 128 bits or more.\n"
    "                     Without it a one-time login URL is made (printed on a terminal,\n"
    "                     otherwise only the private file holding it is named)\n"
    "  --tls-cert FILE, --tls-key FILE\n"
    "                     serve HTTPS with this certificate (chain) and key, PEM\n"
    "  --webui DIR        the static UI (default: the installed one)\n"
    "  --policy FILE      also list the policy's rules that nothing hit\n";


enum { OPT_DB = 256, OPT_LISTEN, OPT_TOKENS, OPT_WEBUI, OPT_POLICY, OPT_REQUIRE_TOKEN, OPT_TLS_CERT,
       OPT_TLS_KEY };


int ow_cmd_serve(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, OPT_DB },
        { "listen", required_argument, NULL, OPT_LISTEN },
        { "tokens", required_argument, NULL, OPT_TOKENS },
        { "tls-cert", required_argument, NULL, OPT_TLS_CERT },
        { "tls-key", required_argument, NULL, OPT_TLS_KEY },
        { "webui", required_argument, NULL, OPT_WEBUI },
        { "policy", required_argument, NULL, OPT_POLICY },
        /* Accepted for older scripts: a token is always required now. */
        { "require-token", no_argument, NULL, OPT_REQUIRE_TOKEN },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct ow_http_config cfg = { .command = "serve", .listen = "127.0.0.1:8642",
                                  .db_path = "omwitness.db", .webui_dir = ow_http_default_webui() };
    const char *policy_path = NULL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(serve_help, stdout); return 0;
        case OPT_DB: cfg.db_path = optarg; break;
        case OPT_LISTEN: cfg.listen = optarg; break;
        case OPT_TOKENS: cfg.tokens_path = optarg; break;
        case OPT_TLS_CERT: cfg.tls_cert_path = optarg; break;
        case OPT_TLS_KEY: cfg.tls_key_path = optarg; break;
        case OPT_WEBUI: cfg.webui_dir = optarg; break;
        case OPT_POLICY: policy_path = optarg; break;
        case OPT_REQUIRE_TOKEN: break;
        case ':': return ow_usage_error("serve", "option '%s' needs a value", argv[optind - 1]);
        default: return ow_usage_error("serve", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ow_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    if (!cfg.tls_cert_path != !cfg.tls_key_path)
        return ow_usage_error("serve", "--tls-cert and --tls-key go together");

    char err[512];
    struct ow_store *probe = ow_store_open_readonly(cfg.db_path, err, sizeof err);
    if (!probe) {
        fprintf(stderr, "omwitness serve: %s\n", err);
        return 2;
    }
    ow_store_close(probe);

    struct ow_policy *policy = NULL;
    if (policy_path) {
        policy = ow_policy_load(policy_path, NULL, NULL, err, sizeof err);
        if (!policy) {
            fprintf(stderr, "omwitness serve: %s\n", err);
            return 2;
        }
        cfg.policy = policy;
    }

    /* The server's threads inherit this mask, so only sigwait below sees the signals. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct ow_http *srv = ow_http_start(&cfg, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "omwitness serve: %s\n", err);
        ow_policy_free(policy);
        return 2;
    }
    fprintf(stderr, "omwitness serve: listening on port %u, store %s (Ctrl-C stops)\n",
            ow_http_port(srv), cfg.db_path);
    ow_http_announce(srv, stderr);
    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "omwitness serve: stopping\n");
    ow_http_stop(srv);
    ow_policy_free(policy);
    return 0;
}
