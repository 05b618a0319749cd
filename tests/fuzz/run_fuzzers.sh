#!/bin/sh
# run_fuzzers.sh — builds the decoder, policy, LI and O&M classifier fuzz targets with clang
# (libFuzzer + ASan + UBSan) and runs each for N seconds (first argument, default 20). Exits
# non-zero when a target crashes. Seeds come from the shared LI streams and, for the O&M
# targets, the payloads of the captures scripts/gen_om_pcaps.py writes.
set -eu
SECONDS_PER_TARGET=${1:-20}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
# Outside the tree (seeds come from shared data), one per checkout so two checkouts on one
# machine never share a fuzz build.
BUILD=${FUZZ_BUILD_DIR:-"${TMPDIR:-/tmp}/omwitness-fuzz-$(printf %s "$SRC" | cksum | cut -d' ' -f1)"}
SHARED=${OW_SHARED_DATA:-"$SRC/../shared/data"}

if [ ! -f "$BUILD/build.ninja" ]; then
    CC=clang meson setup "$BUILD" "$SRC" -Dfuzzers=true -Db_lundef=false -Dwerror=true >/dev/null
fi
OM_TARGETS="fuzz_tacacs fuzz_snmp fuzz_rmcp fuzz_bfd fuzz_ldp fuzz_pfcp fuzz_ldap"
TARGETS="fuzz_decode fuzz_policy fuzz_seal fuzz_ber fuzz_x2x3 fuzz_ps_pdu fuzz_hi2_33108 fuzz_xml fuzz_proto_stream $OM_TARGETS"
for t in $TARGETS; do
    ninja -C "$BUILD" "tests/fuzz/$t" >/dev/null
done

if command -v python3 >/dev/null; then
    python3 "$SRC/scripts/gen_om_pcaps.py" "$BUILD/om-pcaps" &&
        python3 "$SRC/tests/fuzz/om_seeds.py" "$BUILD/om-pcaps" "$BUILD/fuzz-corpus"
fi

status=0
for t in $TARGETS; do
    corpus="$BUILD/fuzz-corpus/$t"
    mkdir -p "$corpus"
    if [ "$t" = fuzz_policy ]; then
        cp "$SRC/examples/sample-policy.yaml" "$corpus/seed-sample-policy.yaml"
    fi
    if [ "$t" = fuzz_seal ]; then
        # A witness checkpoint line, a certs line and a small report (first byte: parser).
        printf '\000{"type":"checkpoint","sensor":"s","epoch":1,"number":1,"chain_seq":1,"head":"%064d","records":1,"packet_time_us":0,"wall_us":0,"reason":"run_end","signature":"%0128d"}' 0 0 > "$corpus/seed-witness"
        printf '\001cert s 1 %064d 5 %0128d' 0 0 > "$corpus/seed-cert"
        printf '\002{\n  "seal": {\n    "certificates": []\n  },\n  "signature": {\n    "epoch": 1,\n    "value": "%0128d"\n  }\n}\n' 0 > "$corpus/seed-report"
    fi
    if [ -d "$SHARED/li-streams" ] && [ "$t" != fuzz_policy ] && [ "$t" != fuzz_seal ] && ! echo " $OM_TARGETS " | grep -q " $t "; then
        for f in "$SHARED"/li-streams/*; do
            head -c 4096 "$f" > "$corpus/seed-$(basename "$f")"
        done
    fi
    echo "== $t (${SECONDS_PER_TARGET}s)"
    if ! (cd "$BUILD" && "./tests/fuzz/$t" -max_total_time="$SECONDS_PER_TARGET" \
            -max_len=4096 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
            -artifact_prefix="$BUILD/fuzz-corpus/$t-" "$corpus" 2>&1 | tail -n 12); then
        status=1
    fi
    if ls "$BUILD/fuzz-corpus/$t-"crash-* "$BUILD/fuzz-corpus/$t-"leak-* \
          "$BUILD/fuzz-corpus/$t-"timeout-* >/dev/null 2>&1; then
        echo "$t: crash artifacts in $BUILD/fuzz-corpus" >&2
        status=1
    fi
done
exit $status
