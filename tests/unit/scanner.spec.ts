import * as assert from "assert";
import { checkovAnnotations, isDigestRef, sparkWorkloadSkips } from "../../components/scanner";

const DIGEST = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/spark@sha256:${"ab".repeat(32)}`;

describe("scanner suppressions (components/scanner.ts)", () => {
    it("recognises digest references only", () => {
        assert.strictEqual(isDigestRef(DIGEST), true);
        assert.strictEqual(isDigestRef("spark-on-k8s/spark:4.3.0-1a2b3c4d5e6f"), false);
        assert.strictEqual(isDigestRef("spark@sha256:abc"), false);
    });

    it("numbers the annotations as checkov reads them", () => {
        assert.deepStrictEqual(
            checkovAnnotations([
                { check: "CKV_K8S_40", reason: "a" },
                { check: "CKV2_K8S_6", reason: "b" },
            ]),
            { "checkov.io/skip1": "CKV_K8S_40=a", "checkov.io/skip2": "CKV2_K8S_6=b" },
        );
    });

    it("refuses a skip without a reason, with an `=` in it, or with a malformed check id", () => {
        assert.throws(() => checkovAnnotations([{ check: "CKV_K8S_40", reason: " " }]), /invalid checkov skip/);
        assert.throws(() => checkovAnnotations([{ check: "CKV_K8S_40", reason: "a=b" }]), /invalid checkov skip/);
        assert.throws(() => checkovAnnotations([{ check: "K8S_40", reason: "a" }]), /invalid checkov skip/);
    });

    it("accepts the digest and pull-policy findings only for images without a digest", () => {
        const checks = (image: string, policy: string) => sparkWorkloadSkips(image, policy).map((s) => s.check);
        // No CKV2_K8S_6 (pods without a NetworkPolicy): every cluster has one.
        assert.deepStrictEqual(checks(DIGEST, "IfNotPresent"), ["CKV_K8S_40"]);
        assert.deepStrictEqual(checks("spark-on-k8s/spark:4.3.0-local", "IfNotPresent"), ["CKV_K8S_40", "CKV_K8S_43", "CKV_K8S_15"]);
        assert.deepStrictEqual(checks("spark-on-k8s/spark:4.3.0-local", "Always"), ["CKV_K8S_40", "CKV_K8S_43"]);
    });
});
