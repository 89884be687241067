// Command etcd is etcd's server built from its Go module (go.etcd.io/etcd/server/v3),
// since the etcd module itself has no installable main package for 3.6.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
