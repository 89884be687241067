// Egress control on mocks: the `networkEgress` config (flat and per cluster, refusals) and the
// Egress NetworkPolicy it adds beside the ingress one. The node tier shows the policy enforced.
import * as assert from "assert";
import { CLIENT_LABEL } from "../../components/clusterSpec";
import { egressPolicySpec } from "../../components/networkEgress";
import { all, evaluate, parseAny } from "../../tooling/mocks/mocks";
import { refuses } from "./configSpecs";

const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const own = { "app.kubernetes.io/name": "spark", "app.kubernetes.io/instance": "spark" };

describe("egress control config", () => {
    it("is off by default and when empty; {} turns it on with no CIDRs", () => {
        assert.strictEqual(parseAny({}).clusters[0].networkEgress, undefined);
        assert.strictEqual(parseAny({ networkEgress: "" }).clusters[0].networkEgress, undefined);
        assert.deepStrictEqual(parseAny({ networkEgress: "{}" }).clusters[0].networkEgress, { allowCidrs: [] });
    });

    it("is set flat as JSON text, or per `clusters` entry as an object", () => {
        const flat = parseAny({ networkEgress: '{"allowCidrs":["10.20.0.0/16","2001:db8::/32"]}' }).clusters[0];
        assert.deepStrictEqual(flat.networkEgress, { allowCidrs: ["10.20.0.0/16", "2001:db8::/32"] });
        const list = parseAny({
            networkEgress: "{}",
            clusters: JSON.stringify([
                { name: "a" },
                { name: "b", networkEgress: "" },
                { name: "c", networkEgress: { allowCidrs: ["0.0.0.0/0"] } },
            ]),
        }).clusters;
        assert.deepStrictEqual(
            list.map((c) => c.networkEgress),
            [{ allowCidrs: [] }, undefined, { allowCidrs: ["0.0.0.0/0"] }],
        );
    });

    for (const bad of ["10.0.0.0", "10.0.0.0/33", "10.0.0/8", "example.com/8", "2001:db8::/129", "", " 10.0.0.0/8"]) {
        it(`refuses the CIDR ${JSON.stringify(bad)}, naming its index`, () =>
            refuses(
                { networkEgress: JSON.stringify({ allowCidrs: ["10.0.0.0/8", bad] }) },
                "networkEgress.allowCidrs[1]",
                /must be an IPv4 or IPv6 CIDR such as 10\.20\.0\.0\/16/,
            ));
    }
    for (const [label, value, key, allowed] of [
        [
            "not an object",
            "on",
            "networkEgress",
            /must be an object such as \{\} or \{allowCidrs: \[10\.20\.0\.0\/16\]\}, or empty for off/,
        ],
        ["a CIDR list that is a string", '{"allowCidrs":"10.0.0.0/8"}', "networkEgress.allowCidrs", /must be a list of CIDRs/],
        ["a CIDR that is a number", '{"allowCidrs":[10]}', "networkEgress.allowCidrs[0]", /must be a CIDR string/],
        ["an unknown key", '{"allowCidr":[]}', "networkEgress.allowCidr", /unknown key; allowed: allowCidrs/],
    ] as const) {
        it(`refuses ${label}`, () => refuses({ networkEgress: value }, key, allowed));
    }
});

describe("egress control objects", () => {
    it("when off: only the ingress policy", async () => {
        const e = await evaluate({});
        assert.deepStrictEqual(
            all(e.resources, NETPOL).map((r) => r.inputs.metadata.name),
            ["spark-spark"],
        );
    });

    it("when on: an Egress policy letting Spark pods reach only DNS, the cluster's own and client pods, and the listed CIDRs", async () => {
        const e = await evaluate({ namespace: "spark-dev", networkEgress: '{"allowCidrs":["10.20.0.0/16","2001:db8::/32"]}' });
        const egress = all(e.resources, NETPOL).find((r) => r.inputs.metadata.name === "spark-spark-egress");
        assert.ok(egress, "no egress policy");
        assert.strictEqual(egress.inputs.metadata.namespace, "spark-dev");
        assert.deepStrictEqual(egress.inputs.spec, {
            podSelector: { matchLabels: own },
            policyTypes: ["Egress"],
            egress: [
                {
                    ports: [
                        { port: 53, protocol: "UDP" },
                        { port: 53, protocol: "TCP" },
                    ],
                },
                { to: [{ podSelector: { matchLabels: own } }, { podSelector: { matchLabels: { [CLIENT_LABEL]: "true" } } }] },
                { to: [{ ipBlock: { cidr: "10.20.0.0/16" } }, { ipBlock: { cidr: "2001:db8::/32" } }] },
            ],
        });
    });

    it("with no CIDRs listed, has no ipBlock rule at all (not an empty 'to', which would allow everything)", () => {
        const spec = egressPolicySpec(parseAny({ networkEgress: "{}" }).clusters[0])!;
        assert.strictEqual((spec.egress as unknown[]).length, 2);
        assert.ok(!JSON.stringify(spec).includes("ipBlock"));
    });
});
