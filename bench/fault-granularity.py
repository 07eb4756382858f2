#!/usr/bin/env python3
"""How much of a file one page fault maps: the kernel's fault granularity for a file's page cache.

usage: fault-granularity.py FILE [STRIDE_KB]

Maps FILE read-only, reads one byte every STRIDE_KB (default 2048 kB) and prints how many pages were touched and how
much of the mapping is then resident (Rss in /proc/self/smaps). With small page-cache folios a fault maps the page
and its fault-around neighbours (64 kB); with large folios (ext4 on recent kernels, with readahead) it maps the whole
folio, so touching one byte in 2 MB can make most of the file resident. bench/RESULTS.md (issue 17) uses it to read
the window process's RSS: its binary's resident pages say how the kernel maps, not how much code ran.
"""
import mmap
import os
import sys


def mapping_rss_kb(path):
    real = os.path.realpath(path)
    rss, inside = 0, False
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()
            if head and "-" in head[0] and len(head) >= 5 and ":" in head[3]:
                inside = len(head) >= 6 and head[5] == real
            elif inside and line.startswith("Rss:"):
                rss += int(head[1])
    return rss


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    path = sys.argv[1]
    stride = int(sys.argv[2]) * 1024 if len(sys.argv) == 3 else 2 << 20
    size = os.path.getsize(path)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as m:
        touched = 0
        for off in range(0, size, stride):
            _ = m[off]
            touched += 1
        rss = mapping_rss_kb(path)
    print(f"{path}: {size // 1024} kB, {touched} pages touched ({touched * mmap.PAGESIZE // 1024} kB), "
          f"resident after: {rss} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
