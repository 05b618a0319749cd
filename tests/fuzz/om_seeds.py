#!/usr/bin/env python3
"""om_seeds.py — seeds for the O&M fuzz targets: every TCP/UDP payload of the captures
scripts/gen_om_pcaps.py writes, as fuzz_classifier.c reads its input (one flags byte: final,
direction), into CORPUS/fuzz_<protocol>/. Usage: om_seeds.py PCAP_DIR CORPUS"""
import os
import struct
import sys


def payloads(path):
    data = open(path, "rb").read()
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        ip = frame[14:]
        if len(ip) < 20 or ip[0] >> 4 != 4:
            continue
        ihl = (ip[0] & 15) * 4
        l4 = ip[ihl:]
        if ip[9] == 17:
            yield l4[8:]
        elif ip[9] == 6 and len(l4) >= 20:
            yield l4[(l4[12] >> 4) * 4:]


def main():
    src, corpus = sys.argv[1], sys.argv[2]
    for name in sorted(os.listdir(src)):
        if not (name.startswith("om_") and name.endswith(".pcap")):
            continue
        target = os.path.join(corpus, "fuzz_" + name[3:-5])
        os.makedirs(target, exist_ok=True)
        for i, p in enumerate(payloads(os.path.join(src, name))):
            if p:
                with open(os.path.join(target, f"seed-{i:03d}"), "wb") as f:
                    f.write(b"\x01" + p)


if __name__ == "__main__":
    main()
