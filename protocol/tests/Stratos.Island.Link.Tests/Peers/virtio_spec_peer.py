#!/usr/bin/env python3
"""A virtio rpmsg peer that follows only the virtio 1.1 spec (legacy split-ring layout, little-endian,
no VIRTIO_F_VERSION_1) and the remoteproc resource table, written from the spec, not from this
project's code. It maps the file as FACTS.md says the reference peer does (flock(LOCK_EX), one mmap
for life) and
polls; it never uses the kick socket (kicks are hints).

Usage: virtio_spec_peer.py driver|device PATH
  driver: finds the device's resource table, resets the status (0), sets ACKNOWLEDGE|DRIVER,
          acknowledges the name-service feature, initialises both vrings and posts its RX buffers,
          sets DRIVER_OK; prints "announce NAME ADDR" for every name-service message it receives;
          when the device sets DEVICE_NEEDS_RESET it prints "needs-reset STATUS", resets and
          renegotiates (virtio 1.1 sections 2.1.2, 3.1.1) and prints "renegotiated STATUS".
  device: writes the resource table (status 0, ver last), waits for DRIVER_OK ("driver-ok STATUS"),
          announces "spec-peer" at 0x400 through the name service ("announced"). Commands on stdin:
            needs-reset  set DEVICE_NEEDS_RESET, wait until the driver has reset and set DRIVER_OK
                         again ("renegotiated STATUS"), re-announce ("announced")
            reboot       rewrite the table as a rebooted device does (status 0), then as at start
            quit
"""
import fcntl
import mmap
import os
import select
import struct
import sys
import time

SIZE = 0x80000
STATUS = 0x2C            # fw_rsc_vdev at 0x14: type id notifyid dfeatures gfeatures config_len, status u8
DFEATURES, GFEATURES = 0x20, 0x24
ACKNOWLEDGE, DRIVER, DRIVER_OK, NEEDS_RESET = 0x01, 0x02, 0x04, 0x40
DESC_F_WRITE = 2
NS_ADDR = 53
RX_BASE, TX_BASE, BUF = 0x10000, 0x30000, 512


def u16(m, o): return struct.unpack_from("<H", m, o)[0]
def u32(m, o): return struct.unpack_from("<I", m, o)[0]
def w16(m, o, v): struct.pack_into("<H", m, o, v & 0xFFFF)
def w32(m, o, v): struct.pack_into("<I", m, o, v & 0xFFFFFFFF)
def out(*words): print(*words, flush=True)


class Ring:
    """vring_init: desc at da, avail after 16*num, used at the next align boundary."""
    def __init__(self, m, entry):
        self.m = m
        self.da, self.align, self.num = u32(m, entry), u32(m, entry + 4), u32(m, entry + 8)
        self.desc = self.da
        self.avail = self.desc + 16 * self.num
        self.used = (self.avail + 4 + 2 * self.num + 2 + self.align - 1) & ~(self.align - 1)

    def clear(self):
        self.m[self.desc:self.used + 4 + 8 * self.num + 2] = bytes(self.used + 4 + 8 * self.num + 2 - self.desc)

    def set_desc(self, i, addr, length, flags):
        struct.pack_into("<QIHH", self.m, self.desc + 16 * i, addr, length, flags, 0)

    def desc_addr(self, i): return struct.unpack_from("<Q", self.m, self.desc + 16 * i)[0]


def ns_payload(payload):
    name = bytes(payload[:32]).split(b"\0")[0].decode()
    return name, u32(payload, 32), u32(payload, 36)


def status(m): return m[STATUS]


def set_status(m, value): m[STATUS] = value


def stdin_command():
    if select.select([sys.stdin], [], [], 0)[0]:
        line = sys.stdin.readline()
        return line.strip() if line else "quit"
    return None


def run_driver(m):
    while u32(m, 0) != 1:
        time.sleep(0.001)
    rx, tx = Ring(m, 0x30), Ring(m, 0x44)
    state = {}

    def negotiate():
        set_status(m, 0)                                  # reset
        set_status(m, ACKNOWLEDGE | DRIVER)
        w32(m, GFEATURES, u32(m, DFEATURES) & 1)          # VIRTIO_RPMSG_F_NS only
        rx.clear(); tx.clear()
        for i in range(rx.num):
            rx.set_desc(i, RX_BASE + i * BUF, BUF, DESC_F_WRITE)
            w16(m, rx.avail + 4 + 2 * i, i)
        for i in range(tx.num):
            tx.set_desc(i, TX_BASE + i * BUF, BUF, 0)
        w16(m, rx.avail + 2, rx.num)
        state["used"], state["avail"] = 0, rx.num
        set_status(m, ACKNOWLEDGE | DRIVER | DRIVER_OK)

    negotiate()
    while True:
        command = stdin_command()
        if command == "quit":
            return
        s = status(m)
        if s & NEEDS_RESET:
            out("needs-reset", s)
            negotiate()
            out("renegotiated", status(m))
            continue
        while u16(m, rx.used + 2) != state["used"] & 0xFFFF:
            slot = state["used"] % rx.num
            ident = u32(m, rx.used + 4 + 8 * slot)
            state["used"] += 1
            buf = RX_BASE + ident * BUF
            src, dst, length = u32(m, buf), u32(m, buf + 4), u16(m, buf + 12)
            if dst == NS_ADDR and length == 40:
                name, addr, flags = ns_payload(m[buf + 16:buf + 56])
                out("announce", name, hex(addr))
            w16(m, rx.avail + 4 + 2 * (state["avail"] % rx.num), ident)
            state["avail"] += 1
            w16(m, rx.avail + 2, state["avail"])
        time.sleep(0.0005)


def write_table(m):
    w32(m, 0, 0)                                           # ver last: "not booted" meanwhile
    m[4:0x58] = bytes(0x54)
    w32(m, 4, 1); w32(m, 0x10, 0x14)
    w32(m, 0x14, 3); w32(m, 0x18, 7); w32(m, 0x1C, 0); w32(m, DFEATURES, 1); w32(m, GFEATURES, 0)
    m[0x2D] = 2
    for entry, da, notify in ((0x30, 0x4000, 1), (0x44, 0x8000, 2)):
        w32(m, entry, da); w32(m, entry + 4, 0x1000); w32(m, entry + 8, 256); w32(m, entry + 12, notify)
    w32(m, 0, 1)


def run_device(m):
    def attach():
        while not (status(m) & DRIVER_OK) or status(m) & NEEDS_RESET:
            if stdin_command() == "quit":
                sys.exit(0)
            time.sleep(0.0005)
        out("driver-ok", status(m))
        rx = Ring(m, 0x30)
        # The driver initialised the rings: avail/used indices start from the used idx (0).
        used = u16(m, rx.used + 2)
        while u16(m, rx.avail + 2) == used:
            time.sleep(0.0005)
        head = u16(m, rx.avail + 4 + 2 * (used % rx.num))
        buf = rx.desc_addr(head)
        name = b"spec-peer".ljust(32, b"\0")
        struct.pack_into("<IIIHH", m, buf, 0x400, NS_ADDR, 0, 40, 0)
        m[buf + 16:buf + 56] = name + struct.pack("<II", 0x400, 0)
        struct.pack_into("<II", m, rx.used + 4 + 8 * (used % rx.num), head, 56)
        w16(m, rx.used + 2, used + 1)
        out("announced")

    write_table(m)
    attach()
    while True:
        command = stdin_command()
        if command == "quit":
            return
        if command == "needs-reset":
            set_status(m, status(m) | NEEDS_RESET)
            attach_status_before = status(m)
            out("needs-reset-set", attach_status_before)
            attach()
        elif command == "reboot":
            write_table(m)
            attach()
        time.sleep(0.0005)


def main():
    role, path = sys.argv[1], sys.argv[2]
    fd = os.open(path, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)                         # the reference peer's mapping (FACTS.md)
    m = mmap.mmap(fd, SIZE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    out("mapped")
    run_driver(m) if role == "driver" else run_device(m)


if __name__ == "__main__":
    main()
