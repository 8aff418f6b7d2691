"""Writes a PNG the portal takes, of exactly SIZE bytes, to PATH: its header, one ancillary
chunk of zeros that fills it out, its end (bench/run, bench/documents).

    python3 bench/png.py SIZE PATH
"""
import struct
import sys
import zlib


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


size, path = int(sys.argv[1]), sys.argv[2]
body = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
end = chunk(b"IEND", b"")
pad = size - len(body) - len(end) - 12
with open(path, "wb") as out:
    out.write(body + chunk(b"zzZz", b"\0" * pad) + end)
