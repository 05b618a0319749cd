/* bench_policy.c — measures policy evaluation at scale: generates a policy with 10,000 rules
 * (operations, li, maintenance with windows, role: and CIDR selectors) into a temporary file,
 * loads it, and evaluates 100,000 flows, half of them built to match a rule. Prints load time
 * and flows/s, and checks a sample of verdicts against the linear reference scan, whose speed
 * it prints too. With "groups" as third argument, 200 more assets each group ten of the
 * elements' prefixes (so most addresses are in two assets) and a tenth of the rules name a
 * group or a vendor: the cost of assets as groups. Usage: bench_policy [RULES [FLOWS [groups]]] */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "classifiers/policy/policy.h"
#include "classifiers/policy/policy_internal.h"
#include "common/timefmt.h"

#define N_NE 2000
#define N_OPS 50
#define N_MDF 20
#define N_VENDOR 10
#define N_GROUPS 200

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A flow some rule allows, remembered while the rule is written. */
struct tmpl {
    char client[48], server[48];
    uint16_t port;
    uint8_t proto;
    char app[16];
    uint64_t ts_us;
};

static void ne_addr(unsigned i, unsigned host, char *buf, size_t len)
{
    snprintf(buf, len, "10.%u.%u.%u", i / 256, i % 256, host);
}

int main(int argc, char **argv)
{
    size_t n_rules = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
    size_t n_flows = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
    bool groups = argc > 3 && strcmp(argv[3], "groups") == 0;
    if (!n_rules || !n_flows || (argc > 3 && !groups)) {
        fprintf(stderr, "usage: bench_policy [RULES [FLOWS [groups]]]\n");
        return 2;
    }
    char path[] = "/tmp/bench-policy-XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    struct tmpl *tm = calloc(n_rules, sizeof *tm);
    if (!f || !tm) {
        perror("bench_policy");
        return 1;
    }
    const int64_t year = 1767225600ll * 1000000;   /* 2026-01-01T00:00:00Z */

    fprintf(f, "version: 1\nsite: bench\nnetworks:\n  management: [10.0.0.0/8, \"fd00::/16\"]\nassets:\n");
    for (unsigned i = 0; i < N_NE; i++)
        fprintf(f, "  ne-%u: {role: network-element, vendor: v%u, addresses: [10.%u.%u.0/24, \"fd00:%x::/48\"]}\n",
                i, i % N_VENDOR, i / 256, i % 256, i + 1);
    for (unsigned i = 0; i < N_OPS; i++)
        fprintf(f, "  ops-%u: {role: operations, addresses: [10.100.%u.0/28]}\n", i, i);
    for (unsigned i = 0; i < N_MDF; i++)
        fprintf(f, "  mdf-%u: {role: li-mediation, addresses: [10.200.0.%u]}\n", i, i + 1);
    for (unsigned i = 0; i < N_VENDOR; i++)
        fprintf(f, "  vend-%u: {role: vendor-access, vendor: v%u, addresses: [172.16.%u.0/24]}\n", i, i, i);
    if (groups)
        for (unsigned g = 0; g < N_GROUPS; g++) {
            fprintf(f, "  grp-%u: {role: network-element, vendor: g%u, addresses: [", g, g % 5);
            for (unsigned k = 0; k < 10; k++)
                fprintf(f, "%s10.%u.%u.0/24", k ? ", " : "", (g * 10 + k) / 256, (g * 10 + k) % 256);
            fprintf(f, "]}\n");
        }
    fprintf(f, "rules:\n");
    for (size_t r = 0; r < n_rules; r++) {
        struct tmpl *t = &tm[r];
        unsigned kind = rnd(10), ne = rnd(N_NE), ops = rnd(N_OPS);
        t->proto = 6;
        t->ts_us = (uint64_t)(year + (int64_t)rnd(300) * 86400 * 1000000);
        if (kind < 4) {
            static const unsigned ports[] = { 22, 830, 443, 8080, 161 };
            static const char *const apps[] = { "SSH", "NETCONF", "TLS", "HTTP", "SNMP" };
            unsigned k = rnd(5);
            fprintf(f, "  - {id: op-%zu, kind: operations, from: ops-%u, to: ne-%u, "
                    "service: {proto: tcp, ports: [%u]}, app: [%s]}\n", r, ops, ne, ports[k], apps[k]);
            snprintf(t->client, sizeof t->client, "10.100.%u.%u", ops, 1 + rnd(14));
            ne_addr(ne, 1 + rnd(250), t->server, sizeof t->server);
            t->port = (uint16_t)ports[k];
            snprintf(t->app, sizeof t->app, "%s", apps[k]);
        } else if (kind < 6) {
            unsigned mdf = rnd(N_MDF);
            fprintf(f, "  - {id: li-%zu, kind: li, interface: X2, from: ne-%u, to: mdf-%u, "
                    "service: {proto: tcp, ports: [%u]}, app: [X2, TLS]}\n", r, ne, mdf, 9000 + mdf);
            ne_addr(ne, 1 + rnd(250), t->client, sizeof t->client);
            snprintf(t->server, sizeof t->server, "10.200.0.%u", mdf + 1);
            t->port = (uint16_t)(9000 + mdf);
            snprintf(t->app, sizeof t->app, "X2");
        } else if (kind < 8) {
            unsigned v = ne % N_VENDOR;
            int64_t start = year + (int64_t)rnd(300) * 86400 * 1000000;
            char s[40], e[40], s2[40], e2[40];
            ow_rfc3339_format(start, s, sizeof s);
            ow_rfc3339_format(start + 4ll * 3600 * 1000000, e, sizeof e);
            ow_rfc3339_format(start + 7ll * 86400 * 1000000, s2, sizeof s2);
            ow_rfc3339_format(start + 7ll * 86400 * 1000000 + 3600000000ll, e2, sizeof e2);
            fprintf(f, "  - {id: chg-%zu, kind: maintenance, ticket: CHG-%zu, vendor: v%u, from: vend-%u, "
                    "to: ne-%u, service: {proto: tcp, ports: [22]}, app: [SSH], window: "
                    "[{start: \"%s\", end: \"%s\"}, {start: \"%s\", end: \"%s\"}]}\n",
                    r, r, v, v, ne, s, e, s2, e2);
            snprintf(t->client, sizeof t->client, "172.16.%u.%u", v, 1 + rnd(250));
            ne_addr(ne, 1 + rnd(250), t->server, sizeof t->server);
            t->port = 22;
            snprintf(t->app, sizeof t->app, "SSH");
            t->ts_us = (uint64_t)(start + (int64_t)rnd(4 * 3600) * 1000000);
        } else if (kind < 9) {
            /* a role: rule fans out to every NE; its own port keeps it findable */
            unsigned port = 10000 + (unsigned)(r % 50000);
            fprintf(f, "  - {id: role-%zu, kind: operations, from: ops-%u, to: role:network-element, "
                    "service: {proto: udp, ports: [%u]}}\n", r, ops, port);
            snprintf(t->client, sizeof t->client, "10.100.%u.%u", ops, 1 + rnd(14));
            ne_addr(rnd(N_NE), 1 + rnd(250), t->server, sizeof t->server);
            t->port = (uint16_t)port;
            t->proto = 17;
            snprintf(t->app, sizeof t->app, "Unknown");
        } else if (groups) {
            /* a rule on a group of elements, or on every element of a vendor */
            unsigned grp = rnd(N_GROUPS), port = 7000 + grp, member = grp * 10 + rnd(10);
            if (r % 2)
                fprintf(f, "  - {id: grp-%zu, kind: operations, from: ops-%u, to: grp-%u, "
                        "service: {proto: tcp, ports: [%u]}, app: [HTTP]}\n", r, ops, grp, port);
            else
                fprintf(f, "  - {id: vend-%zu, kind: operations, from: ops-%u, to: \"vendor:g%u\", "
                        "service: {proto: tcp, ports: [%u]}, app: [HTTP]}\n", r, ops, grp % 5, port);
            snprintf(t->client, sizeof t->client, "10.100.%u.%u", ops, 1 + rnd(14));
            ne_addr(member, 1 + rnd(250), t->server, sizeof t->server);
            t->port = (uint16_t)port;
            snprintf(t->app, sizeof t->app, "HTTP");
        } else {
            unsigned port = 1024 + rnd(60000), peer = rnd(N_NE);
            fprintf(f, "  - {id: cidr-%zu, kind: operations, from: \"fd00:%x::/48\", to: \"fd00:%x::/48\", "
                    "service: {proto: tcp, ports: [\"%u-%u\"]}, app: [HTTP]}\n", r, ne + 1,
                    peer + 1, port, port + 100);
            snprintf(t->client, sizeof t->client, "fd00:%x::%x", ne + 1, 1 + rnd(1000));
            snprintf(t->server, sizeof t->server, "fd00:%x::%x", peer + 1, 1 + rnd(1000));
            t->port = (uint16_t)(port + rnd(101));
            snprintf(t->app, sizeof t->app, "HTTP");
        }
    }
    fprintf(f, "default: anomaly\n");
    fclose(f);

    char err[512];
    double t0 = now_s();
    struct ow_policy *p = ow_policy_load(path, NULL, NULL, err, sizeof err);
    double t_load = now_s() - t0;
    unlink(path);
    if (!p) {
        fprintf(stderr, "bench_policy: %s\n", err);
        return 1;
    }

    struct ow_flow_record *flows = calloc(n_flows, sizeof *flows);
    if (!flows) {
        perror("bench_policy");
        return 1;
    }
    for (size_t i = 0; i < n_flows; i++) {
        struct ow_flow_record *r = &flows[i];
        if (i % 2 == 0) {
            const struct tmpl *t = &tm[rnd((uint32_t)n_rules)];
            ow_addr_from_text(t->client, &r->client);
            ow_addr_from_text(t->server, &r->server);
            r->server.port = t->port;
            r->l4_proto = t->proto;
            r->first_ts_us = t->ts_us;
            if (strcmp(t->app, "X2") == 0) {
                r->li.label = OW_LI_X2;
                snprintf(r->app_proto, sizeof r->app_proto, "X2");
            } else {
                snprintf(r->app_proto, sizeof r->app_proto, "%s", t->app);
                snprintf(r->ndpi_protocol, sizeof r->ndpi_protocol, "%s", t->app);
                snprintf(r->ndpi_app, sizeof r->ndpi_app, "%s", t->app);
            }
        } else {
            char c[48], s[48];
            snprintf(c, sizeof c, "10.%u.%u.%u", rnd(256), rnd(256), rnd(256));
            snprintf(s, sizeof s, "10.%u.%u.%u", rnd(256), rnd(256), rnd(256));
            ow_addr_from_text(c, &r->client);
            ow_addr_from_text(s, &r->server);
            r->server.port = (uint16_t)rnd(65536);
            r->l4_proto = rnd(2) ? 6 : 17;
            r->first_ts_us = (uint64_t)(year + (int64_t)rnd(365 * 86400) * 1000000);
            snprintf(r->app_proto, sizeof r->app_proto, "SSH");
            snprintf(r->ndpi_app, sizeof r->ndpi_app, "SSH");
        }
        r->client.port = (uint16_t)(32768 + rnd(28000));
        r->last_ts_us = r->first_ts_us + 60000000;
    }

    t0 = now_s();
    for (size_t i = 0; i < n_flows; i++)
        ow_policy_evaluate(p, &flows[i]);
    double t_eval = now_s() - t0;

    size_t by_status[4] = { 0 };
    for (size_t i = 0; i < n_flows; i++)
        by_status[flows[i].verdict.status & 3]++;

    /* The linear scan on a sample: its speed for comparison, and the same verdicts. */
    size_t n_lin = n_flows < 2000 ? n_flows : 2000, mismatches = 0;
    t0 = now_s();
    for (size_t i = 0; i < n_lin; i++) {
        struct ow_flow_record lin = flows[i];
        pol_evaluate_linear(p, &lin);
        mismatches += memcmp(&lin.verdict, &flows[i].verdict, sizeof lin.verdict) != 0;
    }
    double t_lin = now_s() - t0;

    printf("policy: %zu rules, %zu assets%s, loaded in %.1f ms\n", ow_policy_rule_count(p),
           (size_t)(N_NE + N_OPS + N_MDF + N_VENDOR + (groups ? N_GROUPS : 0)),
           groups ? " (200 of them groups over the elements)" : "", t_load * 1e3);
    printf("indexed: %zu flows in %.3f s = %.0f flows/s (authorized %zu, anomaly %zu, out_of_scope %zu)\n",
           n_flows, t_eval, (double)n_flows / t_eval, by_status[OW_VERDICT_AUTHORIZED],
           by_status[OW_VERDICT_ANOMALY], by_status[OW_VERDICT_OUT_OF_SCOPE]);
    printf("linear reference: %zu flows in %.3f s = %.0f flows/s; verdicts differing from the index: %zu\n",
           n_lin, t_lin, (double)n_lin / t_lin, mismatches);
    free(flows);
    free(tm);
    ow_policy_free(p);
    return mismatches ? 1 : 0;
}
