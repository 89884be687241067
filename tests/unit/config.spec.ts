import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { shellWord } from "../../components/clusterSpec";
import { CLOUD_DEFAULTS, ConfigError, DEFAULTS, KNOWN_KEYS } from "../../components/config";
import { CLUSTER_KEYS } from "../../components/config/cluster";
import { parseAny } from "../../tooling/mocks/mocks";
import { standInKubeconfig } from "../../tooling/mocks/kubeconfig";
import { refuses } from "./configSpecs";

const ROOT = path.join(__dirname, "..", "..");

describe("config", () => {
    it("declares in Pulumi.yaml exactly the keys and defaults the loader applies", () => {
        const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
            config: Record<string, { type?: string; default?: unknown }>;
        };
        const declared: Record<string, unknown> = {};
        for (const [key, decl] of Object.entries(project.config)) {
            if (!key.includes(":")) {
                declared[key] = decl.default;
            }
        }
        assert.deepStrictEqual(declared, { ...DEFAULTS, ...CLOUD_DEFAULTS });
        assert.deepStrictEqual(project.config["pulumi:disable-default-providers"], { value: ["kubernetes"] });
    });

    it("lists in the README exactly the keys a clusters entry may override", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const sentence = /override any of ([^:]+):/.exec(readme);
        assert.ok(sentence, "the README's clusters paragraph is gone");
        const listed = [...sentence[1].matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]).sort();
        assert.deepStrictEqual(listed, CLUSTER_KEYS.filter((k) => k !== "name").sort());
    });

    it("builds one cluster from the flat keys with the defaults", () => {
        const c = parseAny({});
        assert.strictEqual(c.target, "minikube");
        assert.strictEqual(c.kubeContext, undefined);
        assert.strictEqual(c.kubeconfigPath, undefined);
        assert.deepStrictEqual(c.clusters, [
            {
                name: "spark",
                namespace: "spark",
                workerReplicas: 2,
                maxWorkerReplicas: 10,
                sparkVersion: "4.3.0",
                image: undefined,
                workerCores: 1,
                workerMemory: "2Gi",
                workerMemoryMiB: 2048,
                workerScratchSize: "4Gi",
                workerScratchMiB: 4096,
                masterCores: 1,
                masterMemory: "1Gi",
                masterMemoryMiB: 1024,
                masterRecovery: { required: false, size: "1Gi", storageClassName: undefined },
                workerMaxUnavailable: 1,
                rpcAuth: true,
                networkCrypto: true,
                workerDecommissionSeconds: 60,
                autoscaling: undefined,
                monitoring: undefined,
                connect: undefined,
                historyServer: undefined,
            },
        ]);
    });

    it("turns the History Server on with the target's ReadWriteMany class, or the one given", () => {
        const history = (raw: Record<string, string>, ambient: Record<string, string> = {}) =>
            parseAny(raw, ambient).clusters.map((c) => c.historyServer);
        assert.deepStrictEqual(history({ historyServer: "true" }), [{ storageClassName: undefined, size: "10Gi" }]);
        assert.deepStrictEqual(history({ historyServer: "true", eventLogStorageClass: "nfs-client", eventLogSize: "50Gi" }), [
            { storageClassName: "nfs-client", size: "50Gi" },
        ]);
        // AKS's default class is Azure Disk (ReadWriteOnce): Azure Files instead.
        const aks = { target: "aks", historyServer: "true" };
        const aksAmbient = { "azure-native:location": "westeurope" };
        assert.deepStrictEqual(history(aks, aksAmbient), [{ storageClassName: "azurefile-csi", size: "10Gi" }]);
        // Per cluster, and off by default.
        assert.deepStrictEqual(history({ clusters: '[{"name": "etl", "historyServer": true}, {"name": "adhoc"}]' }), [
            { storageClassName: undefined, size: "10Gi" },
            undefined,
        ]);
    });

    it("keeps the master's recovery state on a claim where the target binds one: auto, on, off, per cluster", () => {
        const recovery = (raw: Record<string, string>, ambient: Record<string, string> = {}) =>
            parseAny(raw, ambient).clusters.map(
                (c) => c.masterRecovery && { storageClassName: c.masterRecovery.storageClassName, size: c.masterRecovery.size },
            );
        const eks = { "aws:region": "eu-west-1" };
        const aks = { "azure-native:location": "westeurope" };
        // minikube, existing and aks: the cluster's default class binds ReadWriteOnce.
        assert.deepStrictEqual(recovery({}), [{ storageClassName: undefined, size: "1Gi" }]);
        assert.deepStrictEqual(recovery({ target: "aks" }, aks), [{ storageClassName: undefined, size: "1Gi" }]);
        assert.deepStrictEqual(recovery({ masterRecovery: "on", masterRecoverySize: "2Gi" }), [
            { storageClassName: undefined, size: "2Gi" },
        ]);
        assert.deepStrictEqual(recovery({ masterRecovery: "off" }), [undefined]);
        // eks installs no EBS CSI driver: auto is off there, on needs a class that binds.
        assert.deepStrictEqual(recovery({ target: "eks" }, eks), [undefined]);
        assert.deepStrictEqual(recovery({ target: "eks", masterRecovery: "on", masterRecoveryStorageClass: "gp3" }, eks), [
            { storageClassName: "gp3", size: "1Gi" },
        ]);
        assert.deepStrictEqual(recovery({ clusters: '[{"name": "etl"}, {"name": "adhoc", "masterRecovery": "off"}]' }), [
            { storageClassName: undefined, size: "1Gi" },
            undefined,
        ]);
    });

    it("reads values as the CLI hands them over (strings)", () => {
        const c = parseAny({ workerReplicas: "0", workerCores: "3", workerMemory: "6G", namespace: "team-a", sparkVersion: "3.5.9" });
        assert.strictEqual(c.clusters[0].workerReplicas, 0);
        assert.strictEqual(c.clusters[0].workerCores, 3);
        assert.strictEqual(c.clusters[0].workerMemoryMiB, 5722);
        assert.strictEqual(c.clusters[0].namespace, "team-a");
        assert.strictEqual(c.clusters[0].sparkVersion, "3.5.9");
    });

    it("builds several clusters; entries inherit the flat keys and default their namespace to their name", () => {
        const c = parseAny({
            workerCores: "2",
            clusters: JSON.stringify([
                { name: "etl", workerReplicas: 4 },
                { name: "adhoc", namespace: "spark-adhoc", workerMemory: "4Gi" },
            ]),
        });
        assert.deepStrictEqual(
            c.clusters.map((x) => [x.name, x.namespace, x.workerReplicas, x.workerCores, x.workerMemory]),
            [
                ["etl", "etl", 4, 2, "2Gi"],
                ["adhoc", "spark-adhoc", 2, 2, "4Gi"],
            ],
        );
    });

    it("accepts a kubeconfig file for the local targets", () => {
        const file = standInKubeconfig("ctx");
        const c = parseAny({ target: "existing", kubeconfigPath: file, kubeContext: "ctx", image: "registry.local/spark:4.3.0" });
        assert.strictEqual(c.kubeconfigPath, file);
        assert.strictEqual(c.kubeContext, "ctx");
        assert.strictEqual(c.clusters[0].image, "registry.local/spark:4.3.0");
    });

    describe("refuses bad values before anything is registered, naming key, value and what is allowed", () => {
        const cases: [string, Record<string, string>, string, RegExp, Record<string, string>?][] = [
            ["negative workerReplicas", { workerReplicas: "-1" }, "workerReplicas", /"-1": must be a whole number >= 0/],
            ["fractional workerReplicas", { workerReplicas: "1.5" }, "workerReplicas", /"1.5": must be a whole number >= 0/],
            ["non-numeric workerReplicas", { workerReplicas: "three" }, "workerReplicas", /"three": must be a whole number/],
            ["empty workerReplicas", { workerReplicas: "" }, "workerReplicas", /must be a whole number/],
            ["workerReplicas above the quota", { workerReplicas: "11" }, "workerReplicas", /must not exceed maxWorkerReplicas \(10\)/],
            ["maxWorkerReplicas 0", { maxWorkerReplicas: "0", workerReplicas: "0" }, "maxWorkerReplicas", /whole number >= 1/],
            ["unknown target", { target: "gke" }, "target", /"gke": must be one of minikube, eks, aks, existing/],
            ["malformed workerMemory", { workerMemory: "2GB" }, "workerMemory", /"2GB": must be a whole Kubernetes memory quantity/],
            ["fractional workerMemory", { workerMemory: "1.5Gi" }, "workerMemory", /must be a whole Kubernetes memory quantity/],
            ["too small workerMemory", { workerMemory: "512Mi" }, "workerMemory", /at least 1024Mi/],
            ["malformed masterMemory", { masterMemory: "lots" }, "masterMemory", /"lots": must be a whole Kubernetes memory quantity/],
            ["too small masterMemory", { masterMemory: "256Mi" }, "masterMemory", /at least 512Mi/],
            ["workerCores 0", { workerCores: "0" }, "workerCores", /"0": must be a whole number of cores >= 1/],
            ["fractional workerCores", { workerCores: "0.5" }, "workerCores", /whole number of cores/],
            ["masterCores 0", { masterCores: "0" }, "masterCores", /whole number of cores >= 1/],
            [
                "sparkVersion without patch",
                { sparkVersion: "4.0" },
                "sparkVersion",
                /"4.0": must be a Spark release MAJOR.MINOR.PATCH, 3.5.x or 4.x.y/,
            ],
            ["unsupported sparkVersion", { sparkVersion: "2.4.8" }, "sparkVersion", /3.5.x or 4.x.y/],
            ["sparkVersion with a suffix", { sparkVersion: "4.0.0-preview1" }, "sparkVersion", /MAJOR.MINOR.PATCH/],
            ["namespace with capitals", { namespace: "Spark" }, "namespace", /"Spark": must be a DNS-1123 label/],
            ["namespace too long", { namespace: "a".repeat(64) }, "namespace", /DNS-1123 label: at most 63/],
            ["namespace ending in -", { namespace: "spark-" }, "namespace", /DNS-1123/],
            ["a namespace that always exists", { namespace: "kube-system" }, "namespace", /always exist and cannot be created/],
            ["the default namespace", { namespace: "default" }, "namespace", /always exist/],
            ["untagged image", { image: "apache/spark" }, "image", /with a tag or digest/],
            ["latest image", { image: "apache/spark:latest" }, "image", /must pin a version/],
            ["workerMaxUnavailable 0", { workerMaxUnavailable: "0" }, "workerMaxUnavailable", /whole number >= 1/],
            ["rpcAuth not a boolean", { rpcAuth: "yes" }, "rpcAuth", /"yes": must be true or false/],
            ["networkCrypto not a boolean", { networkCrypto: "aes" }, "networkCrypto", /"aes": must be true or false/],
            ["workerScratchSize below 1Gi", { workerScratchSize: "512Mi" }, "workerScratchSize", /"512Mi": must be a size of at least 1Gi/],
            [
                "workerScratchSize in bytes",
                { workerScratchSize: "4G" },
                "workerScratchSize",
                /"4G": must be a size of at least 1Gi in Mi, Gi or Ti/,
            ],
            [
                "negative workerDecommissionSeconds",
                { workerDecommissionSeconds: "-5" },
                "workerDecommissionSeconds",
                /from 0 \(off\) to 3600/,
            ],
            [
                "huge workerDecommissionSeconds",
                { workerDecommissionSeconds: "7200" },
                "workerDecommissionSeconds",
                /from 0 \(off\) to 3600/,
            ],
            ["historyServer not a boolean", { historyServer: "on" }, "historyServer", /"on": must be true or false/],
            [
                "eventLogStorageClass with capitals",
                { historyServer: "true", eventLogStorageClass: "EFS" },
                "eventLogStorageClass",
                /"EFS": must be a StorageClass name/,
            ],
            ["eventLogSize without a unit", { historyServer: "true", eventLogSize: "10" }, "eventLogSize", /at least 1Gi in Mi, Gi or Ti/],
            ["eventLogSize below 1Gi", { historyServer: "true", eventLogSize: "512Mi" }, "eventLogSize", /at least 1Gi/],
            [
                "historyServer on eks without a ReadWriteMany class",
                { target: "eks", historyServer: "true" },
                "eventLogStorageClass",
                /historyServer on eks needs a ReadWriteMany StorageClass .*EFS/,
                { "aws:region": "eu-west-1" },
            ],
            ["masterRecovery not one of the modes", { masterRecovery: "true" }, "masterRecovery", /"true": must be one of auto, on, off/],
            [
                "masterRecovery on, on eks without a class that binds",
                { target: "eks", masterRecovery: "on" },
                "masterRecovery",
                /on eks needs a StorageClass that binds here: .*aws-ebs-csi-driver.*or set masterRecovery off/,
                { "aws:region": "eu-west-1" },
            ],
            [
                "masterRecoverySize below 1Gi",
                { masterRecoverySize: "100Mi" },
                "masterRecoverySize",
                /"100Mi": must be a size of at least 1Gi/,
            ],
            [
                "masterRecoveryStorageClass with capitals",
                { masterRecoveryStorageClass: "GP3" },
                "masterRecoveryStorageClass",
                /"GP3": must be a StorageClass name/,
            ],
            ["a typo'd key", { workerReplica: "3" }, "workerReplica", /unknown key; the keys this stack reads are .*workerReplicas/],
            ["kubeContext on a cloud", { target: "eks", kubeContext: "x" }, "kubeContext", /only to the minikube and existing targets/],
            [
                "a missing kubeconfig file",
                { kubeconfigPath: "/nonexistent/kubeconfig" },
                "kubeconfigPath",
                /must name an existing kubeconfig file/,
            ],
            ["existing target without an image", { target: "existing" }, "image", /set a prebuilt image/],
            ["clusters that is not a list", { clusters: "{}" }, "clusters", /non-empty list of objects/],
            ["clusters that is not JSON", { clusters: "etl,adhoc" }, "clusters", /non-empty list/],
            ["an empty clusters list", { clusters: "[]" }, "clusters", /non-empty list/],
            ["a cluster entry that is a string", { clusters: '["etl"]' }, "clusters[0]", /must be an object/],
            ["a cluster without a name", { clusters: '[{"workerReplicas": 1}]' }, "clusters[0].name", /lowercase DNS label/],
            ["a cluster name starting with a digit", { clusters: '[{"name": "1st"}]' }, "clusters[0].name", /starting with a letter/],
            [
                "a cluster name too long",
                { clusters: JSON.stringify([{ name: "c".repeat(41) }]) },
                "clusters[0].name",
                /at most 40 characters/,
            ],
            [
                "an unknown cluster key",
                { clusters: '[{"name": "etl", "replicas": 3}]' },
                "clusters[0].replicas",
                /unknown key; allowed: name, namespace/,
            ],
            [
                "a bad value in a cluster entry",
                { clusters: '[{"name": "etl", "workerReplicas": -2}]' },
                "clusters[0].workerReplicas",
                /whole number >= 0/,
            ],
            [
                "duplicate cluster names",
                { clusters: '[{"name": "etl", "namespace": "a"}, {"name": "etl", "namespace": "b"}]' },
                "clusters",
                /own name; "etl" is used twice/,
            ],
            [
                "duplicate namespaces",
                { clusters: '[{"name": "etl", "namespace": "x"}, {"name": "adhoc", "namespace": "x"}]' },
                "clusters",
                /own namespace; "x" is used twice/,
            ],
        ];
        for (const [title, raw, key, allowed, ambient] of cases) {
            it(title, () => refuses(raw, key, allowed, ambient));
        }

        it("reports every problem at once", () => {
            assert.throws(
                () => parseAny({ workerReplicas: "-1", target: "gke", workerMemory: "x" }),
                (err: unknown) => err instanceof ConfigError && err.problems.length === 3,
            );
        });
    });

    it("lists every known key in the unknown-key message", () => {
        for (const key of ["target", "workerReplicas", "clusters", "image"]) {
            assert.ok(KNOWN_KEYS.includes(key), key);
        }
    });
});

describe("never the wrong cluster: the kubeconfig must name exactly one usable cluster", () => {
    const write = (doc: unknown) => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kc-")), "kubeconfig");
        fs.writeFileSync(file, typeof doc === "string" ? doc : JSON.stringify(doc));
        return file;
    };
    const twoContexts = {
        kind: "Config",
        contexts: [
            { name: "lab", context: { cluster: "lab", user: "lab" } },
            { name: "prod", context: { cluster: "prod", user: "nobody" } },
        ],
        clusters: [{ name: "lab", cluster: { server: "https://10.0.0.1:6443" } }],
        users: [{ name: "lab", user: {} }],
    };
    const existing = (raw: Record<string, string>) => ({ target: "existing", image: "registry.local/spark:4.3.0", ...raw });
    const cases: [string, () => Record<string, string>, string, RegExp][] = [
        [
            "an empty file (the provider would fall back to the ambient kubeconfig)",
            () => existing({ kubeconfigPath: write("") }),
            "kubeconfigPath",
            /must hold at least one context; this kubeconfig has none/,
        ],
        [
            "a file that is not YAML",
            () => existing({ kubeconfigPath: write("{{{") }),
            "kubeconfigPath",
            /must be a readable YAML kubeconfig/,
        ],
        [
            "a file of another kind",
            () => existing({ kubeconfigPath: write({ kind: "Pod" }) }),
            "kubeconfigPath",
            /must be a kubeconfig \(kind: Config\)/,
        ],
        [
            "a context the file lacks, listing the ones it has",
            () => existing({ kubeconfigPath: write(twoContexts), kubeContext: "staging" }),
            "kubeContext",
            /"staging": must be one of the contexts in .*: lab, prod/,
        ],
        [
            "no context given and no current-context",
            () => existing({ kubeconfigPath: write(twoContexts) }),
            "kubeContext",
            /must name one of the contexts in .* \(lab, prod\): it sets no current-context/,
        ],
        [
            "a context whose cluster the file does not define",
            () => existing({ kubeconfigPath: write(twoContexts), kubeContext: "prod" }),
            "kubeContext",
            /"prod": names cluster "prod", which .* does not define with a server/,
        ],
        [
            "minikube's default context missing from the ambient kubeconfig",
            () => ({ kubeContext: "" }),
            "kubeContext",
            /must be one of the contexts in .*\(empty means "minikube"\)/,
        ],
    ];
    for (const [title, raw, key, allowed] of cases) {
        it(`refuses ${title}`, () => {
            const home = process.env.HOME;
            // The ambient kubeconfig here has only a context "lab".
            process.env.HOME = path.dirname(
                path.dirname(standInKubeconfig("lab", path.join(fs.mkdtempSync(path.join(os.tmpdir(), "home-")), ".kube", "config"))),
            );
            try {
                refuses(raw(), key, allowed);
            } finally {
                process.env.HOME = home;
            }
        });
    }

    it("refuses a missing ambient kubeconfig on minikube, naming where it looked", () => {
        const home = process.env.HOME;
        process.env.HOME = fs.mkdtempSync(path.join(os.tmpdir(), "home-"));
        try {
            refuses({}, "kubeconfigPath", /no kubeconfig to deploy through: .*\.kube\/config does not exist/);
        } finally {
            process.env.HOME = home;
        }
    });

    it("accepts the context given, or the current one", () => {
        const file = write({ ...twoContexts, "current-context": "lab" });
        assert.strictEqual(parseAny(existing({ kubeconfigPath: file })).kubeconfigPath, file);
        assert.strictEqual(parseAny(existing({ kubeconfigPath: file, kubeContext: "lab" })).kubeContext, "lab");
    });

    it("quotes a context in the printed port-forward command so it is safe to paste", () => {
        assert.strictEqual(shellWord("kind-lab"), "kind-lab");
        assert.strictEqual(shellWord("arn:aws:eks:eu-west-1:123:cluster/x"), "arn:aws:eks:eu-west-1:123:cluster/x");
        assert.strictEqual(shellWord("a b;$(rm -rf ~)"), "'a b;$(rm -rf ~)'");
        assert.strictEqual(shellWord("it's"), "'it'\\''s'");
    });
});
