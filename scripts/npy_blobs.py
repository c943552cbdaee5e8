#!/usr/bin/env python3
"""Writes a float64 .npy file of seeded Gaussian blobs, with the standard
library alone (the MPI tests need no numpy).

Run: python3 scripts/npy_blobs.py OUT.npy ROWS COLS [--nan-at ROW]
"""
import random
import struct
import sys


def main():
    out, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    nan_at = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--nan-at" else None
    rng = random.Random(12)
    centres = [[rng.uniform(-5, 5) for _ in range(cols)] for _ in range(4)]
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols)
    # Magic (6) + version (2) + length (2) + header + newline: a multiple of 64.
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(out, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        for i in range(rows):
            c = centres[rng.randrange(len(centres))]
            row = [m + rng.gauss(0, 1) for m in c]
            if i == nan_at:
                row[cols - 1] = float("nan")
            f.write(struct.pack("<%dd" % cols, *row))


if __name__ == "__main__":
    main()
