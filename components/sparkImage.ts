import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ImageRegistry } from "./platforms/platform";

/** The image build context: Dockerfile, entrypoint and Spark conf. */
export const IMAGE_CONTEXT = path.join(__dirname, "..", "images", "spark");

/** Repository name used where nothing is pushed (minikube's own Docker daemon). */
export const LOCAL_REPOSITORY = "spark-on-k8s/spark";

export interface SparkImageArgs {
    /** Spark release baked into the image (build arg SPARK_VERSION). */
    sparkVersion: string;
    /** Where to push; undefined builds into the local (minikube) Docker daemon without pushing. */
    registry?: ImageRegistry;
    /** Build context; default `images/spark`. */
    context?: string;
}

/**
 * Hash of every file in the build context. It goes into the tag, so the tag changes exactly when
 * the version or the image's files change, and the workloads roll only then.
 */
export function contextHash(dir: string): string {
    const hash = crypto.createHash("sha256");
    const walk = (d: string) => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            const full = path.join(d, entry.name);
            if (entry.isDirectory()) {
                // dist/ holds a Spark distribution staged for offline builds (SPARK_DIST=local),
                // hundreds of MB that stand for the version already in the tag.
                if (!(d === dir && entry.name === "dist")) {
                    walk(full);
                }
            } else if (entry.isFile()) {
                hash.update(path.relative(dir, full)).update("\0").update(fs.readFileSync(full)).update("\0");
            }
        }
    };
    walk(dir);
    return hash.digest("hex").slice(0, 12);
}

/** `<sparkVersion>-<context hash>`: never `latest`, and unique per content. */
export function imageTag(sparkVersion: string, hash: string): string {
    return `${sparkVersion}-${hash}`;
}

/**
 * The Spark image built from `images/spark` for one Spark version, pushed to the platform's
 * registry where it has one. `ref` is what workloads run: the registry digest when pushed (so a
 * rollout always means a new image), the unique tag otherwise.
 */
export class SparkImage extends pulumi.ComponentResource {
    readonly ref: pulumi.Output<string>;
    readonly sparkVersion: string;

    constructor(name: string, args: SparkImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("spark-on-k8s:image:SparkImage", name, {}, opts);
        const context = args.context ?? IMAGE_CONTEXT;
        const tag = imageTag(args.sparkVersion, contextHash(context));
        const repository = args.registry?.repository ?? LOCAL_REPOSITORY;
        this.sparkVersion = args.sparkVersion;

        const image = new docker.Image(
            `${name}-image`,
            {
                imageName: pulumi.interpolate`${repository}:${tag}`,
                build: {
                    context,
                    dockerfile: path.join(context, "Dockerfile"),
                    platform: "linux/amd64",
                    args: { SPARK_VERSION: args.sparkVersion },
                },
                skipPush: args.registry === undefined,
                registry: args.registry && {
                    server: args.registry.server,
                    username: args.registry.username,
                    password: pulumi.secret(args.registry.password),
                },
            },
            { parent: this },
        );
        this.ref = args.registry === undefined ? image.imageName : image.repoDigest;
        this.registerOutputs({ ref: this.ref });
    }
}
