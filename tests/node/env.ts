// Loaded before the e2e harness (see harness.ts): the node tier runs its control plane in
// its own state dir, never the e2e tier's or `npm run try`'s. The e2e harness reads this
// variable once, when it is first imported.
import * as path from "path";

export const NODE_CLUSTER_DIR = process.env.SPARK_NODE_CLUSTER_DIR ?? path.join(__dirname, "..", "..", ".local", "node-cluster");
process.env.SPARK_E2E_CLUSTER_DIR = NODE_CLUSTER_DIR;
