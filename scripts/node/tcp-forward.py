#!/usr/bin/env python3
"""Forwards TCP from the node bridge to the API server on loopback (scripts/node/up.sh).

The local control plane's API server listens on 127.0.0.1 only (scripts/cluster/up.sh), where no
pod can reach it. Pods that talk to the API as in any cluster (KEDA's operator and metrics server
on the real nodes: the in-cluster config, 10.96.0.1:443 through kube-proxy) reach this forwarder
on the bridge address instead, which copies bytes both ways. TLS stays end to end: the API
server's certificate names 10.96.0.1 and kubernetes.default.svc, so clients verify it as usual.

Usage: tcp-forward.py LISTEN_HOST:PORT TARGET_HOST:PORT --state-dir DIR
(--state-dir only marks the process as that node dir's, as scripts/lib.sh's owned_pid checks.)
"""
import argparse
import asyncio
import signal


def endpoint(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: expected HOST:PORT")
    return host, int(port)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        if not writer.is_closing():
            writer.close()


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("listen", type=endpoint)
    p.add_argument("target", type=endpoint)
    p.add_argument("--state-dir", required=True)
    args = p.parse_args()

    async def serve(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            upstream_r, upstream_w = await asyncio.open_connection(*args.target)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(pipe(client_r, upstream_w), pipe(upstream_r, client_w))

    server = await asyncio.start_server(serve, *args.listen, reuse_address=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    print(f"forwarding {args.listen[0]}:{args.listen[1]} -> {args.target[0]}:{args.target[1]}", flush=True)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
