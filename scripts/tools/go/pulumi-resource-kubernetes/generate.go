//go:build ignore

// Writes schema-embed.json (the provider's schema.json with the top-level "version" set,
// as upstream's own generate.go does) and terraform-mapping-embed.json into the working
// directory. Usage: VERSION=4.24.1 go run generate.go <provider module dir>
// Only the standard library, so it needs nothing beyond the wrapper module.
package main

import (
	"bytes"
	"encoding/json"
	"log"
	"os"
	"path/filepath"
)

func main() {
	version := os.Getenv("VERSION")
	if version == "" || len(os.Args) != 2 {
		log.Fatal("usage: VERSION=x.y.z go run generate.go <provider module dir>")
	}
	dir := filepath.Join(os.Args[1], "cmd", "pulumi-resource-kubernetes")

	var schema map[string]json.RawMessage
	raw, err := os.ReadFile(filepath.Join(dir, "schema.json"))
	if err != nil {
		log.Fatal(err)
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		log.Fatalf("cannot parse schema.json: %v", err)
	}
	schema["version"], _ = json.Marshal(version)
	out, err := json.Marshal(schema)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("schema-embed.json", out, 0o644); err != nil {
		log.Fatal(err)
	}

	raw, err = os.ReadFile(filepath.Join(dir, "terraform-mapping.json"))
	if err != nil {
		log.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		log.Fatalf("cannot parse terraform-mapping.json: %v", err)
	}
	if err := os.WriteFile("terraform-mapping-embed.json", compact.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
