// Composition root: config -> platform -> image -> clusters -> outputs.
// The exported names are a contract; other stacks read them through a StackReference.
import { loadConfig } from "./components/config";
import { createSparkStack } from "./components/sparkStack";

const stack = createSparkStack(loadConfig());

export const target = stack.target;
export const namespace = stack.namespace;
export const masterUrl = stack.masterUrl;
export const masterWebUiUrl = stack.masterWebUiUrl;
export const portForwardCommand = stack.portForwardCommand;
export const image = stack.image;
export const sparkVersion = stack.sparkVersion;
export const workerReplicas = stack.workerReplicas;
export const rpcAuthSecretName = stack.rpcAuthSecretName;
export const networkCrypto = stack.networkCrypto;
export const historyServerUrl = stack.historyServerUrl;
export const eventLogClaimName = stack.eventLogClaimName;
export const masterRecoveryClaimName = stack.masterRecoveryClaimName;
export const connectUrl = stack.connectUrl;
export const connectTokenSecretName = stack.connectTokenSecretName;
export const connectCaCert = stack.connectCaCert;
export const connectCaConfigMapName = stack.connectCaConfigMapName;
export const connectPortForwardCommand = stack.connectPortForwardCommand;
export const connectLoadBalancerUrl = stack.connectLoadBalancerUrl;
export const clusterName = stack.clusterName;
export const kubeconfig = stack.kubeconfig;
export const clusters = stack.clusters;
