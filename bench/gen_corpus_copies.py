#!/usr/bin/env python3
"""gen_corpus_copies.py — builds the big replay benchmark input: nDPI 4.2's test corpus
(../shared/data/pcaps/ndpi-4.2, pcap and pcapng) copied N times, every copy's addresses moved
into a range of its own, so that no flow of one copy merges with a flow of another.

Why these choices:
- One output file per link type (big-EN10MB.pcap, big-LINUX_SLL.pcap ...): a capture file has
  one link type, and libpcap refuses pcapng files whose interfaces differ in link type, so
  "every link type kept as libpcap reads it" means a file per type. Ethernet is 99% of it.
- Addresses: copy k XORs every IPv4 address with a per-copy 32-bit mask and every IPv6
  address's low 64 bits with a per-copy 64-bit mask (copy 0 is the original). A flow of copy
  j merges with one of copy k only if both of its endpoints collide at once: with random masks
  the generator checks it never happens for the corpus (it counts distinct 5-tuples).
  The IPv4 header checksum and the TCP/UDP checksums are fixed incrementally (RFC 1624).
  Addresses inside tunnels (GTP, 6in4, GRE) are not rewritten: their inner flows do merge
  across copies, in both tools alike.
- Time: every source file's packets are shifted so the whole output runs forward in time,
  one second between files; the first copy starts at the corpus's first timestamp; a gap of
  more than an hour inside a file is cut to an hour (pcap's seconds are 32 bits). A file
  whose record is malformed ends there, as libpcap would stop.
Usage: bench/gen_corpus_copies.py --copies N --out DIR [--corpus DIR]"""
import argparse
import glob
import os
import random
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINKTYPE_NAMES = {0: "NULL", 1: "EN10MB", 9: "PPP", 101: "RAW", 104: "C_HDLC", 113: "LINUX_SLL",
                  12: "RAW", 14: "RAW", 228: "IPV4", 229: "IPV6"}
MAX_RECORD = 262144


def read_pcap(data):
    """Yields (linktype, ts_ns, caplen_bytes, origlen) from a classic pcap image."""
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        return
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
        if incl > MAX_RECORD or off + 16 + incl > len(data):
            return
        ts = sec * 1_000_000_000 + (frac if nano else frac * 1000)
        yield linktype, ts, data[off + 16:off + 16 + incl], orig
        off += 16 + incl


def read_pcapng(data):
    """Yields (linktype, ts_ns, bytes, origlen) from a pcapng image (EPB, SPB and the old PB)."""
    off, end, ifaces = 0, "<", []
    while off + 12 <= len(data):
        btype = struct.unpack(end + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            bom = data[off + 8:off + 12]
            end = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        blen = struct.unpack(end + "I", data[off + 4:off + 8])[0]
        if blen < 12 or blen % 4 or off + blen > len(data):
            return
        body = data[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 8:
            linktype = struct.unpack(end + "H", body[:2])[0]
            tsres = 6
            opt = 8
            while opt + 4 <= len(body):
                code, olen = struct.unpack(end + "HH", body[opt:opt + 4])
                if code == 0:
                    break
                if code == 9 and olen >= 1:
                    tsres = body[opt + 4]
                opt += 4 + ((olen + 3) & ~3)
            ifaces.append((linktype, tsres))
        elif btype in (6, 2) and len(body) >= 20:
            if btype == 6:
                iface, hi, lo, cap, orig = struct.unpack(end + "IIIII", body[:20])
            else:
                iface, _drops, hi, lo, cap, orig = struct.unpack(end + "HHIIII", body[:20])
            if iface >= len(ifaces) or 20 + cap > len(body):
                return
            linktype, tsres = ifaces[iface]
            units = (hi << 32) | lo
            if tsres & 0x80:
                ts = units * 1_000_000_000 >> (tsres & 0x7F)
            else:
                ts = units * 1_000_000_000 // (10 ** tsres) if tsres <= 9 else units // (10 ** (tsres - 9))
            yield linktype, ts, body[20:20 + cap], orig
        elif btype == 3 and len(body) >= 4 and ifaces:
            orig = struct.unpack(end + "I", body[:4])[0]
            yield ifaces[0][0], None, body[4:4 + orig], orig
        off += blen


def l3_offset(linktype, pkt):
    """(offset, ethertype-like version) of the IP header, or None."""
    if linktype == 1:
        off, et = 12, None
        while off + 2 <= len(pkt):
            et = struct.unpack(">H", pkt[off:off + 2])[0]
            if et in (0x8100, 0x88A8, 0x9100):
                off += 4
                continue
            break
        return (off + 2, et) if et in (0x0800, 0x86DD) else None
    if linktype == 113 and len(pkt) >= 16:
        et = struct.unpack(">H", pkt[14:16])[0]
        return (16, et) if et in (0x0800, 0x86DD) else None
    if linktype == 0 and len(pkt) >= 4:
        fam = struct.unpack("<I", pkt[:4])[0]
        if fam == 2:
            return 4, 0x0800
        return (4, 0x86DD) if fam in (10, 24, 28, 30) else None
    if linktype in (101, 12, 14, 228, 229) and pkt:
        v = pkt[0] >> 4
        return (0, 0x0800 if v == 4 else 0x86DD) if v in (4, 6) else None
    if linktype == 9 and len(pkt) >= 4:
        proto = struct.unpack(">H", pkt[2:4])[0]
        return (4, 0x0800 if proto == 0x21 else 0x86DD) if proto in (0x21, 0x57) else None
    if linktype == 104 and len(pkt) >= 4:
        et = struct.unpack(">H", pkt[2:4])[0]
        return (4, et) if et in (0x0800, 0x86DD) else None
    return None


def csum_fix(csum, old, new):
    """RFC 1624 eqn. 3: the checksum after the 16-bit words of old became those of new."""
    s = (~csum) & 0xFFFF
    for i in range(0, len(old), 2):
        s += ((~struct.unpack(">H", old[i:i + 2])[0]) & 0xFFFF) + struct.unpack(">H", new[i:i + 2])[0]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def xor_bytes(b, mask):
    return bytes(x ^ y for x, y in zip(b, mask))


def rewrite(pkt, linktype, m4, m6):
    """pkt with its outer IP addresses moved by the copy's masks; returns (bytes, tuple key)."""
    where = l3_offset(linktype, pkt)
    if where is None:
        return pkt, None
    off, et = where
    b = bytearray(pkt)
    if et == 0x0800 and len(b) >= off + 20 and b[off] >> 4 == 4:
        ihl = (b[off] & 0xF) * 4
        old = bytes(b[off + 12:off + 20])
        new = xor_bytes(old, m4 + m4)
        b[off + 12:off + 20] = new
        if ihl >= 20 and len(b) >= off + ihl:
            c = struct.unpack(">H", b[off + 10:off + 12])[0]
            b[off + 10:off + 12] = struct.pack(">H", csum_fix(c, old, new))
        proto, frag = b[off + 9], struct.unpack(">H", bytes(b[off + 6:off + 8]))[0] & 0x1FFF
        l4 = off + ihl
        fix_l4(b, proto, l4, frag, old, new)
        return bytes(b), (4, new, proto)
    if et == 0x86DD and len(b) >= off + 40 and b[off] >> 4 == 6:
        old = bytes(b[off + 8:off + 40])
        new = old[:8] + xor_bytes(old[8:16], m6) + old[16:24] + xor_bytes(old[24:32], m6)
        b[off + 8:off + 40] = new
        fix_l4(b, b[off + 6], off + 40, 0, old, new)
        return bytes(b), (6, new, b[off + 6])
    return pkt, None


def fix_l4(b, proto, l4, frag, old, new):
    if frag:
        return
    if proto == 6 and len(b) >= l4 + 18:
        at = l4 + 16
    elif proto == 17 and len(b) >= l4 + 8:
        at = l4 + 6
        if b[at] == 0 and b[at + 1] == 0:
            return
    else:
        return
    c = struct.unpack(">H", b[at:at + 2])[0]
    b[at:at + 2] = struct.pack(">H", csum_fix(c, old, new))


class Writer:
    """A nanosecond pcap per link type."""
    def __init__(self, out_dir):
        self.out_dir, self.files, self.counts = out_dir, {}, {}

    def write(self, linktype, ts, pkt, orig):
        f = self.files.get(linktype)
        if f is None:
            name = LINKTYPE_NAMES.get(linktype, str(linktype))
            f = open(os.path.join(self.out_dir, f"big-{name}-{linktype}.pcap"), "wb")
            f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, MAX_RECORD, linktype))
            self.files[linktype], self.counts[linktype] = f, 0
        f.write(struct.pack("<IIII", ts // 1_000_000_000, ts % 1_000_000_000, len(pkt), max(orig, len(pkt))))
        f.write(pkt)
        self.counts[linktype] += 1

    def close(self):
        for f in self.files.values():
            f.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=24)
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "data", "pcaps", "ndpi-4.2"))
    o = ap.parse_args()
    files = sorted(glob.glob(os.path.join(o.corpus, "*.pcap*")))
    if not files:
        sys.exit(f"no captures in {o.corpus}")
    os.makedirs(o.out, exist_ok=True)
    images = []
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        recs = list(read_pcapng(data) if data[:4] == b"\x0a\x0d\x0d\x0a" else read_pcap(data))
        if recs:
            images.append(recs)
    rnd = random.Random(20261201)
    w = Writer(o.out)
    cursor = None
    keys = set()
    collisions = 0
    for copy in range(o.copies):
        m4 = b"\0" * 4 if copy == 0 else rnd.getrandbits(32).to_bytes(4, "big")
        m6 = b"\0" * 8 if copy == 0 else rnd.getrandbits(64).to_bytes(8, "big")
        copy_keys = set()
        for recs in images:
            first = next((t for _, t, _, _ in recs if t is not None), 0)
            if cursor is None:
                cursor = first
            last = cursor
            for linktype, ts, pkt, orig in recs:
                t = cursor + ((ts if ts is not None else first) - first)
                # A gap over an hour (a few corpus files jump years) is cut to an hour: every
                # flow times out across either, and 24 copies would overflow pcap's 32-bit seconds.
                t = min(max(t, last), last + 3600 * 1_000_000_000)
                last = t
                moved, key = rewrite(pkt, linktype, m4, m6)
                if key is not None:
                    copy_keys.add(key)
                w.write(linktype, t, moved, orig)
            cursor = last + 1_000_000_000
        collisions += len(copy_keys & keys)
        keys |= copy_keys
    w.close()
    total = sum(w.counts.values())
    for lt, n in sorted(w.counts.items()):
        print(f"big-{LINKTYPE_NAMES.get(lt, str(lt))}-{lt}.pcap: {n} packets")
    print(f"{o.copies} copies of {len(images)} captures: {total} packets; "
          f"address pairs shared between copies: {collisions}")
    if collisions:
        sys.exit("copies collide: choose other masks")


if __name__ == "__main__":
    main()
