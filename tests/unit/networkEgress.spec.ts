import * as assert from "assert";
import { CLIENT_LABEL } from "../../components/clusterSpec";
import { checkCidr, EGRESS_CLIENT_LABEL, egressPolicySpec } from "../../components/networkEgress";

describe("egress control (pure builder)", () => {
    const own = { "app.kubernetes.io/name": "spark", "app.kubernetes.io/instance": "spark" };

    it("is off by default: no egress policy", () => {
        assert.strictEqual(egressPolicySpec("spark"), undefined);
        assert.strictEqual(egressPolicySpec("spark", false, ["10.0.0.0/8"]), undefined);
    });

    it("when on, lets Spark pods reach only DNS, the cluster's own and client pods, and the listed CIDRs", () => {
        assert.deepStrictEqual(egressPolicySpec("spark", true, ["10.20.0.0/16", "2001:db8::/32"]), {
            podSelector: { matchLabels: own },
            policyTypes: ["Egress"],
            egress: [
                {
                    ports: [
                        { port: 53, protocol: "UDP" },
                        { port: 53, protocol: "TCP" },
                    ],
                },
                { to: [{ podSelector: { matchLabels: own } }, { podSelector: { matchLabels: { "spark-on-k8s/client": "true" } } }] },
                { to: [{ ipBlock: { cidr: "10.20.0.0/16" } }, { ipBlock: { cidr: "2001:db8::/32" } }] },
            ],
        });
    });

    it("with no CIDRs listed, has no ipBlock rule at all (not an empty 'to', which would allow everything)", () => {
        const spec = egressPolicySpec("spark", true, [])!;
        assert.strictEqual((spec.egress as unknown[]).length, 2);
        assert.ok(!JSON.stringify(spec).includes("ipBlock"));
    });

    it("admits the same client label as the ingress policy", () => {
        assert.strictEqual(EGRESS_CLIENT_LABEL, CLIENT_LABEL);
    });

    it("refuses a bad CIDR, naming the key, the value and what is allowed", () => {
        for (const bad of ["10.0.0.0", "10.0.0.0/33", "10.0.0/8", "example.com/8", "2001:db8::/129", "", " 10.0.0.0/8"]) {
            assert.throws(
                () => egressPolicySpec("spark", true, ["10.0.0.0/8", bad]),
                (e: Error) =>
                    e.message.startsWith("networkEgress.allowCidrs[1]: ") &&
                    e.message.includes(JSON.stringify(bad)) &&
                    e.message.includes("IPv4 or IPv6 CIDR"),
                bad,
            );
        }
        assert.throws(() => checkCidr("k", 10), /k: 10 is not a string/);
        // Refused even while egress control is off, so a typo does not wait for the day it is turned on.
        assert.throws(() => egressPolicySpec("spark", false, ["nope"]), /allowCidrs\[0\]/);
        assert.strictEqual(checkCidr("k", "0.0.0.0/0"), "0.0.0.0/0");
    });
});
