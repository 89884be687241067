// Command coredns is CoreDNS (COREDNS_VERSION) with only the plugins the node tier's Corefile
// uses (scripts/node/up.sh: bind, errors, ready, kubernetes). Upstream's own command links every
// plugin, among them the clouds' DNS SDKs and tracing libraries: most of its build time, and none
// of it is used here. Only which plugins are linked differs: coremain.Run is upstream's main.
package main

import (
	"github.com/coredns/coredns/coremain"
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/ready"
)

func main() {
	coremain.Run()
}
