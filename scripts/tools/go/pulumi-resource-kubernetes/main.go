// Command pulumi-resource-kubernetes is the Pulumi Kubernetes provider, built from
// github.com/pulumi/pulumi-kubernetes/provider/v4. Upstream's main embeds schema files that
// its build generates; generate.go writes them here (scripts/tools/build.sh runs it).
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
