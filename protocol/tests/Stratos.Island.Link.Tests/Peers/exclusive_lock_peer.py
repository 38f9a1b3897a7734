#!/usr/bin/env python3
"""Written for this project from FACTS.md's description of the reference peer's file mapping on
Linux (its "generic" machine): a peer that opens the shared-memory file, takes flock(LOCK_EX) and
waits for it without limit, then maps it once for the life of the process and never looks at the
path again.

Usage: exclusive_lock_peer.py PATH SIZE
Prints "locked <inode>" once it holds the lock and the mapping, then answers commands on stdin, one
per line:
  u32 OFFSET   -> "u32 <value>"  (little-endian, read through the ONE mapping taken at start)
  u8 OFFSET    -> "u8 <value>"
  w8 OFFSET V  -> "ok"           (writes one byte through the mapping)
  quit         -> exits
"""
import fcntl
import mmap
import os
import struct
import sys


def main():
    path, size = sys.argv[1], int(sys.argv[2], 0)
    fd = os.open(path, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # blocks while anyone holds any flock on the file
    view = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    print("locked", os.fstat(fd).st_ino, flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        offset = int(words[1], 0)
        if words[0] == "u32":
            print("u32", struct.unpack_from("<I", view, offset)[0], flush=True)
        elif words[0] == "u8":
            print("u8", view[offset], flush=True)
        elif words[0] == "w8":
            view[offset] = int(words[2], 0)
            print("ok", flush=True)
        else:
            print("error unknown command", words[0], flush=True)


if __name__ == "__main__":
    main()
