#!/usr/bin/env python3
"""CPU seconds and resident memory of processes, read from /proc.

  procstat.py cpu PID...   user + system CPU seconds, summed over the processes still running
  procstat.py rss PID...   resident set size in MiB, summed
  procstat.py watch OUT PID...   every second until OUT.stop exists: writes the highest summed RSS (MiB) to OUT
"""
import os
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu(pids):
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def rss(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1024.0


def main():
    what, rest = sys.argv[1], sys.argv[2:]
    if what == "cpu":
        print(f"{cpu(rest):.2f}")
    elif what == "rss":
        print(f"{rss(rest):.1f}")
    elif what == "watch":
        out, pids = rest[0], rest[1:]
        peak = 0.0
        while not os.path.exists(out + ".stop"):
            peak = max(peak, rss(pids))
            with open(out, "w") as f:
                f.write(f"{peak:.1f}\n")
            time.sleep(1)
    else:
        sys.exit(f"unknown: {what}")


if __name__ == "__main__":
    main()
