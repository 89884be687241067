// The spark-on-k8s policy pack: what the project promises about every stack it deploys. The rules
// live in rules.ts (unit-tested there); this file only serves them to the Pulumi engine:
//   pulumi preview --policy-pack policy --policy-pack-config policy/config/<stack>.json
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

new PolicyPack("spark-on-k8s", { policies });
