"""TLS in front of a plain TCP server on loopback (the image's `connect-tls` role).

Spark Connect's server speaks plain gRPC, and its thin clients insist on TLS as soon as they
send a token to any host but localhost. This terminates TLS (1.2 or later, ALPN h2 as gRPC
requires) on LISTEN_PORT and forwards the bytes to 127.0.0.1:BACKEND_PORT, one backend
connection per client connection. The certificate and key are read at start; rotating them
means restarting the pod (docs/connect.md).

Usage: tls-proxy.py LISTEN_PORT BACKEND_PORT CERT_FILE KEY_FILE
"""

import asyncio
import signal
import ssl
import sys

CHUNK = 256 * 1024


def log(message):
    print(f"tls-proxy: {message}", file=sys.stderr, flush=True)


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(CHUNK)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError, OSError):
        pass
    finally:
        writer.close()


async def serve(listen_port, backend_port, context):
    async def handle(client_reader, client_writer):
        peer = client_writer.get_extra_info("peername")
        try:
            backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", backend_port)
        except OSError as e:
            log(f"{peer}: backend 127.0.0.1:{backend_port} refused: {e}")
            client_writer.close()
            return
        # Either side ending ends both: gRPC runs over HTTP/2, which never half-closes.
        await asyncio.gather(pipe(client_reader, backend_writer), pipe(backend_reader, client_writer))

    server = await asyncio.start_server(handle, host=None, port=listen_port, ssl=context, ssl_handshake_timeout=10)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    log(f"TLS on port {listen_port} (ALPN h2) -> 127.0.0.1:{backend_port}")
    async with server:
        await stop.wait()
    log("stopping")


def main(argv):
    if len(argv) != 5:
        log(__doc__.strip().splitlines()[-1])
        return 2
    _, listen, backend, cert, key = argv
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["h2"])
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as e:
        log(f"cannot load the certificate {cert} and key {key}: {e}")
        return 2
    asyncio.run(serve(int(listen), int(backend), context))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
