#!/usr/bin/env python3
"""Splits a C-order float64 .npy file (as npy_blobs.py writes) into shard
files of the given row counts, with the standard library alone.

Run: python3 scripts/npy_split.py IN.npy OUT_PREFIX ROWS...
     writes OUT_PREFIX-0.npy, OUT_PREFIX-1.npy, ... (ROWS must sum to the file's rows)
"""
import ast
import struct
import sys


def main():
    src, prefix, counts = sys.argv[1], sys.argv[2], [int(c) for c in sys.argv[3:]]
    with open(src, "rb") as f:
        data = f.read()
    length = struct.unpack("<H", data[8:10])[0]
    header = ast.literal_eval(data[10:10 + length].decode())
    rows, cols = header["shape"]
    assert header["descr"] == "<f8" and not header["fortran_order"], "float64 C order only"
    assert sum(counts) == rows, "the row counts must sum to %d" % rows
    body, at = data[10 + length:], 0
    for i, n in enumerate(counts):
        text = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }" % (n, cols)
        text += " " * (63 - (10 + len(text)) % 64) + "\n"
        with open("%s-%d.npy" % (prefix, i), "wb") as f:
            f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode())
            f.write(body[at * cols * 8:(at + n) * cols * 8])
        at += n


if __name__ == "__main__":
    main()
