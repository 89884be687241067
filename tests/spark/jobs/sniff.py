"""Captures TCP on the loopback interface and reports where a marker string crossed "hosts".

Usage (root: it opens an AF_PACKET socket):  python3 sniff.py MARKER REPORT.json [IFACE [CIDR]]

IFACE (default lo) is the interface to capture, `any` for all of them (the node tier: pods'
veths on the bridge); with CIDR, only packets between two addresses inside it count (pod to pod).

The runtime tests give each Spark process its own loopback address (127.0.0.2, ...), as pods
have their own IPs. Traffic between two different addresses is what would cross the network
between pods; traffic from an address to itself (a JVM and its Python workers, py4j) never
leaves a host and is not counted. Payloads are joined per TCP flow in capture order, so a
marker split across segments is still found. Prints READY once capturing; on SIGTERM or
SIGINT it writes the report: packets and bytes between hosts, the flows and the number of
times the marker was found in them.
"""
import ipaddress
import json
import signal
import socket
import struct
import sys

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def main():
    marker = sys.argv[1].encode()
    report_path = sys.argv[2]
    iface = sys.argv[3] if len(sys.argv) > 3 else "lo"
    within = ipaddress.ip_network(sys.argv[4]) if len(sys.argv) > 4 else None
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(ETH_P_ALL))
    if iface != "any":
        sock.bind((iface, 0))
    # Room for bursts (a shuffle between pods on a busy host), past rmem_max as root.
    sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 64 << 20)
    sock.settimeout(0.2)
    flows = {}
    stats = {"packets": 0, "interHostPackets": 0, "interHostBytes": 0}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print("READY", flush=True)
    while not stop:
        try:
            frame, addr = sock.recvfrom(262144)
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        # Frames are seen sent and received (loopback; a bridge's two veths): keep the received copy.
        if addr[2] == PACKET_OUTGOING or len(frame) < 14 + 20:
            continue
        ip = frame[14:]
        if ip[0] >> 4 != 4 or ip[9] != socket.IPPROTO_TCP:
            continue
        stats["packets"] += 1
        ihl = (ip[0] & 0x0F) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
        tcp = ip[ihl:total]
        sport, dport = struct.unpack("!HH", tcp[:4])
        payload = tcp[(tcp[12] >> 4) * 4 :]
        if src == dst or not payload:
            continue
        if within and not (ipaddress.ip_address(src) in within and ipaddress.ip_address(dst) in within):
            continue
        stats["interHostPackets"] += 1
        stats["interHostBytes"] += len(payload)
        key = f"{src}:{sport}->{dst}:{dport}"
        flows[key] = flows.get(key, b"") + payload
    hits = {k: v.count(marker) for k, v in flows.items() if marker in v}
    report = {**stats, "flows": len(flows), "markerHits": sum(hits.values()), "flowsWithMarker": sorted(hits)}
    with open(report_path, "w") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main()
