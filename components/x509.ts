// A private CA and one server certificate it signs, made with Node's own crypto (ECDSA P-256,
// SHA-256) and a minimal DER writer for the few X.509 structures they need. No provider plugin
// (the tls provider is not obtainable here) and no library: generating both takes about 2 ms,
// which matters because the program runs it on every preview (the Secret that stores the result
// keeps the first one, see sparkCluster.ts). The unit tier checks the output with Node's and
// OpenSSL's X.509 parsers; the spark and node tiers complete real gRPC TLS handshakes with it.
import * as crypto from "crypto";
import * as net from "net";

export interface TlsMaterial {
    /** The CA's certificate (PEM): what clients trust. */
    caCert: string;
    /** The server's certificate (PEM), signed by the CA, valid for `hosts`. */
    cert: string;
    /** The server's private key (PKCS #8 PEM). */
    key: string;
}

// --- DER ---------------------------------------------------------------------------------

function der(tag: number, content: Buffer): Buffer {
    const n = content.length;
    let length: Buffer;
    if (n < 0x80) length = Buffer.from([n]);
    else {
        const bytes: number[] = [];
        for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
        length = Buffer.from([0x80 | bytes.length, ...bytes]);
    }
    return Buffer.concat([Buffer.from([tag]), length, content]);
}
const seq = (...items: Buffer[]) => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => der(0x31, Buffer.concat(items));
const explicit = (n: number, item: Buffer) => der(0xa0 + n, item);
const octets = (b: Buffer) => der(0x04, b);
const bool = (v: boolean) => der(0x01, Buffer.from([v ? 0xff : 0x00]));
const utf8 = (s: string) => der(0x0c, Buffer.from(s, "utf8"));
/** A non-negative INTEGER from its big-endian bytes. */
function integer(bytes: Buffer): Buffer {
    let b = bytes;
    while (b.length > 1 && b[0] === 0 && (b[1] & 0x80) === 0) b = b.subarray(1);
    return der(0x02, (b[0] & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), b]) : b);
}
/** A BIT STRING of whole bytes, or of `bits` bits for flag sets such as keyUsage. */
function bitString(b: Buffer, bits = b.length * 8): Buffer {
    const unused = b.length * 8 - bits;
    return der(0x03, Buffer.concat([Buffer.from([unused]), b]));
}
function oid(dotted: string): Buffer {
    const [a, b, ...rest] = dotted.split(".").map(Number);
    const out = [40 * a + b];
    for (const v of rest) {
        const chunk = [v & 0x7f];
        for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) chunk.unshift(0x80 | (x & 0x7f));
        out.push(...chunk);
    }
    return der(0x06, Buffer.from(out));
}
/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(d: Date): Buffer {
    const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14); // YYYYMMDDHHMMSS
    return d.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(`${iso.slice(2)}Z`)) : der(0x18, Buffer.from(`${iso}Z`));
}

const OID = {
    ecdsaWithSha256: "1.2.840.10045.4.3.2",
    commonName: "2.5.4.3",
    subjectKeyIdentifier: "2.5.29.14",
    keyUsage: "2.5.29.15",
    subjectAltName: "2.5.29.17",
    basicConstraints: "2.5.29.19",
    authorityKeyIdentifier: "2.5.29.35",
    extKeyUsage: "2.5.29.37",
    serverAuth: "1.3.6.1.5.5.7.3.1",
};
const extension = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
const name = (cn: string) => seq(set(seq(oid(OID.commonName), utf8(cn))));
/** The key identifier of RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
function keyId(spki: Buffer): Buffer {
    // SubjectPublicKeyInfo ::= SEQUENCE { algorithm, BIT STRING }: for P-256 the BIT STRING is
    // the last 66 bytes (tag, length 0x42, 0 unused bits, the 65-byte point).
    return crypto
        .createHash("sha1")
        .update(spki.subarray(spki.length - 65))
        .digest();
}
function subjectAltName(hosts: string[]): Buffer {
    return seq(
        ...hosts.map((h) => {
            const v = net.isIP(h);
            if (v === 4) return der(0x87, Buffer.from(h.split(".").map(Number)));
            if (v === 6) throw new Error(`IPv6 addresses are not supported in certificates here: ${h}`);
            return der(0x82, Buffer.from(h, "ascii"));
        }),
    );
}

interface Signer {
    name: Buffer;
    key: crypto.KeyObject;
    keyId: Buffer;
}

function certificate(subject: Buffer, spki: Buffer, issuer: Signer, from: Date, until: Date, extensions: Buffer[]): string {
    const algorithm = seq(oid(OID.ecdsaWithSha256));
    const tbs = seq(
        explicit(0, integer(Buffer.from([2]))), // v3
        integer(crypto.randomBytes(16)),
        algorithm,
        issuer.name,
        seq(time(from), time(until)),
        subject,
        spki,
        explicit(3, seq(...extensions)),
    );
    const signature = crypto.sign("sha256", tbs, issuer.key); // DER ECDSA-Sig-Value for EC keys
    const body = seq(tbs, algorithm, bitString(signature)).toString("base64");
    return `-----BEGIN CERTIFICATE-----\n${body.replace(/.{1,64}/g, "$&\n")}-----END CERTIFICATE-----\n`;
}

function validHost(h: string): boolean {
    return net.isIPv4(h) || /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(h);
}

/**
 * A new CA (`<commonName> CA`) and a server certificate for `hosts` (DNS names or IPv4
 * addresses) it signs, both valid from now (less a minute of clock skew) for `days`.
 */
export function generateServerTls(commonName: string, hosts: string[], days: number, now = new Date()): TlsMaterial {
    const bad = hosts.filter((h) => !validHost(h));
    if (hosts.length === 0 || bad.length > 0) {
        throw new Error(
            `certificate hosts must be lower-case DNS names or IPv4 addresses, got ${JSON.stringify(bad.length ? bad : hosts)}`,
        );
    }
    const from = new Date(now.getTime() - 60_000);
    const until = new Date(now.getTime() + days * 86_400_000);
    const pair = () => {
        const { publicKey, privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
        return { privateKey, spki: publicKey.export({ type: "spki", format: "der" }) };
    };
    const ca = pair();
    const caName = name(`${commonName} CA`);
    const caSigner: Signer = { name: caName, key: ca.privateKey, keyId: keyId(ca.spki) };
    const keyCertSign = Buffer.from([0x06]); // keyCertSign (bit 5), cRLSign (bit 6)
    const caCert = certificate(caName, ca.spki, caSigner, from, until, [
        extension(OID.basicConstraints, true, seq(bool(true), integer(Buffer.from([0])))),
        extension(OID.keyUsage, true, bitString(keyCertSign, 7)),
        extension(OID.subjectKeyIdentifier, false, octets(caSigner.keyId)),
    ]);
    const server = pair();
    const cert = certificate(name(commonName), server.spki, caSigner, from, until, [
        extension(OID.basicConstraints, true, seq()),
        extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 1)), // digitalSignature
        extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
        extension(OID.subjectAltName, false, subjectAltName(hosts)),
        extension(OID.subjectKeyIdentifier, false, octets(keyId(server.spki))),
        extension(OID.authorityKeyIdentifier, false, seq(der(0x80, caSigner.keyId))),
    ]);
    const key = server.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    return { caCert, cert, key };
}
