#!/usr/bin/env python3
"""Resident pages of a process's executable, by ELF section.

usage: resident-sections.py PID EXE

Reads the section table with readelf, the process's maps for where EXE is mapped, and /proc/PID/pagemap (bit 63:
page present) for each page of each section. Needs root (or CAP_SYS_ADMIN) for pagemap's present bits to be read.
Prints, per section: its size and how much of it is resident, in kB.
"""
import os
import re
import struct
import subprocess
import sys

PAGE = os.sysconf("SC_PAGE_SIZE")


def sections(exe):
    out = subprocess.run(["readelf", "-SW", exe], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if not m:
            continue
        name, typ, addr, _off, size = m.groups()
        addr, size = int(addr, 16), int(size, 16)
        if addr and size:
            rows.append((name, typ, addr, size))
    return rows


def resident(pid, start, size):
    present = 0
    first, last = start // PAGE, (start + size - 1) // PAGE
    with open(f"/proc/{pid}/pagemap", "rb") as f:
        f.seek(first * 8)
        data = f.read((last - first + 1) * 8)
    for (entry,) in struct.iter_unpack("<Q", data):
        if entry >> 63 & 1:
            present += 1
    return present * PAGE, (last - first + 1) * PAGE


def main():
    pid, exe = sys.argv[1], sys.argv[2]
    total_res = 0
    print(f"{'section':<20} {'size kB':>9} {'resident kB':>12}")
    for name, typ, addr, size in sections(exe):
        res, span = resident(pid, addr, size)
        total_res += res
        print(f"{name:<20} {span // 1024:>9} {res // 1024:>12}")
    print(f"{'all':<20} {'':>9} {total_res // 1024:>12}")


if __name__ == "__main__":
    main()
