// The certificates the stack generates for Connect's TLS proxy (components/x509.ts): parsed by
// Node's X509Certificate, and proven in a real TLS handshake on loopback that verifies the
// chain and the host name as gRPC clients do.
import * as assert from "assert";
import * as crypto from "crypto";
import * as net from "net";
import * as tls from "tls";
import { generateServerTls } from "../../components/x509";

/** A TLS server on loopback with the material; resolves to what a client verifying `servername` against the CA saw. */
async function handshake(m: { caCert: string; cert: string; key: string }, servername: string, ca = m.caCert): Promise<string> {
    const server = tls.createServer({ cert: m.cert, key: m.key, minVersion: "TLSv1.2" }, (s) => s.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
        return await new Promise<string>((resolve) => {
            const host = net.isIP(servername) ? servername : "127.0.0.1";
            const socket = tls.connect({ host, port, ca, servername: net.isIP(servername) ? undefined : servername }, () => {
                socket.once("data", (d) => resolve(`${socket.authorized ? "authorized" : "unauthorized"} ${d}`));
            });
            socket.on("error", (err) => resolve(`refused: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
        });
    } finally {
        server.close();
    }
}

describe("Connect's generated TLS material", () => {
    const hosts = ["spark-connect", "spark-connect.ns", "spark-connect.ns.svc", "spark-connect.ns.svc.cluster.local", "127.0.0.1"];
    const now = new Date("2026-12-01T00:00:00Z");
    const m = generateServerTls("spark-connect", hosts, 3650, now);
    const ca = new crypto.X509Certificate(m.caCert);
    const cert = new crypto.X509Certificate(m.cert);

    it("is a CA that signed a server certificate for exactly the hosts, valid from a minute before now for the days asked", () => {
        assert.strictEqual(ca.ca, true);
        assert.strictEqual(cert.ca, false);
        assert.ok(ca.verify(ca.publicKey), "the CA is not self-signed");
        assert.ok(cert.verify(ca.publicKey), "the CA did not sign the certificate");
        assert.ok(cert.checkIssued(ca));
        assert.strictEqual(cert.subject, "CN=spark-connect");
        assert.strictEqual(ca.subject, "CN=spark-connect CA");
        assert.strictEqual(
            cert.subjectAltName,
            "DNS:spark-connect, DNS:spark-connect.ns, DNS:spark-connect.ns.svc, DNS:spark-connect.ns.svc.cluster.local, IP Address:127.0.0.1",
        );
        assert.deepStrictEqual(cert.keyUsage, ["1.3.6.1.5.5.7.3.1"]); // serverAuth
        assert.strictEqual(new Date(cert.validFrom).getTime(), now.getTime() - 60_000);
        assert.strictEqual(new Date(cert.validTo).getTime(), now.getTime() + 3650 * 86_400_000);
        assert.strictEqual(cert.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
        assert.ok(cert.checkPrivateKey(crypto.createPrivateKey(m.key)));
        // Fresh keys and serial numbers each time.
        const again = generateServerTls("spark-connect", hosts, 3650, now);
        assert.notStrictEqual(again.key, m.key);
        assert.notStrictEqual(new crypto.X509Certificate(again.cert).serialNumber, cert.serialNumber);
    });

    it("passes a verifying TLS handshake for a DNS name and an IP in it, and fails one for another name or another CA", async () => {
        const fresh = generateServerTls("spark-connect", hosts, 1);
        assert.strictEqual(await handshake(fresh, "spark-connect.ns.svc.cluster.local"), "authorized ok");
        assert.strictEqual(await handshake(fresh, "127.0.0.1"), "authorized ok");
        assert.strictEqual(await handshake(fresh, "spark-master.ns.svc"), "refused: ERR_TLS_CERT_ALTNAME_INVALID");
        const other = generateServerTls("spark-connect", hosts, 1);
        assert.strictEqual(await handshake(fresh, "spark-connect", other.caCert), "refused: UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    });

    it("is refused for hosts that are no lower-case DNS names or IPv4 addresses, naming them", () => {
        assert.throws(() => generateServerTls("x", [], 1), /certificate hosts must be lower-case DNS names or IPv4 addresses, got \[\]/);
        assert.throws(() => generateServerTls("x", ["ok", "Bad_Host"], 1), /got \["Bad_Host"\]/);
        assert.throws(() => generateServerTls("x", ["::1"], 1), /got \["::1"\]/);
    });
});
