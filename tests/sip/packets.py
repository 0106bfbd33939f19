"""Packets and captures built in the tests (dpkt), for what a SIPp run cannot make."""

import io
import struct

import dpkt


def ip_packet(src, dst, protocol, payload, ident=1, offset=0, more=False):
    ip = dpkt.ip.IP(
        src=bytes(map(int, src.split("."))),
        dst=bytes(map(int, dst.split("."))),
        p=protocol,
        id=ident,
        data=payload,
    )
    ip.offset, ip.mf = offset // 8, int(more)  # dpkt counts the offset in 8-byte units
    ip.len = 20 + len(payload)
    return bytes(ip)


def udp(src, dst, payload):
    return ip_packet(
        src[0], dst[0], 17, struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
    )


def tcp(src, dst, seq, payload, flags=0x18):
    segment = dpkt.tcp.TCP(sport=src[1], dport=dst[1], seq=seq, flags=flags, data=payload)
    return ip_packet(src[0], dst[0], 6, bytes(segment))


def pcap_file(packets, linktype=1):
    out = io.BytesIO()
    writer = dpkt.pcap.Writer(out, linktype=linktype)
    for number, packet in enumerate(packets):
        frame = bytes(12) + b"\x08\x00" + packet if linktype == 1 else packet
        writer.writepkt(frame, ts=1000 + number * 0.01)
    return out.getvalue()


def noise(count: int) -> bytes:
    """A capture of `count` UDP packets that are neither SIP nor RTP."""
    return pcap_file(
        [
            udp(("198.51.100.1", 40000 + n % 1000), ("198.51.100.2", 9), bytes([n % 256]) * 40)
            for n in range(count)
        ]
    )
