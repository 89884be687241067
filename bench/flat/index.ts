// bench/e2e.ts's floor: every YAML file in the directory `spark-flat:rendered` names, applied by
// one ConfigGroup through an explicit provider on the kubeconfig `spark-flat:kubeconfig` names.
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const provider = new k8s.Provider("k8s", { kubeconfig: config.require("kubeconfig") });
new k8s.yaml.v2.ConfigGroup("spark", { files: [path.join(config.require("rendered"), "*.yaml")] }, { provider });
