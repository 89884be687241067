// Command kube-network-policies enforces NetworkPolicy on the node tier's real nodes: the
// policy evaluation of sigs.k8s.io/kube-network-policies (its pkg/networkpolicy, which judges
// the first packet of every connection handed to an NFQUEUE), run as one process on the host
// for every node, since the nodes share the host's network namespace (scripts/node/up.sh).
//
// Upstream's own command differs in three ways that matter here, hence this one:
//   - it reads the in-cluster service-account config; this takes --kubeconfig;
//   - it stops only on SIGINT; this also stops on SIGTERM (what scripts/lib.sh's stop sends),
//     so the controller removes its nftables table on the way out;
//   - --cleanup removes the table and exits, for a stop after SIGKILL.
//
// Which packets reach the queue is decided by scripts/node/up.sh with iptables (the NFQUEUE
// target), not by the controller's own nftables rules: those use nftables' queue expression,
// which kernels built without CONFIG_NFT_QUEUE (this machine's) refuse. The controller is
// therefore given a node name that no pod has (--node-name), so its own rules, where the
// kernel takes them, queue nothing and every connection is judged once.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/google/nftables"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/kube-network-policies/pkg/networkpolicy"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster whose NetworkPolicies are enforced (required)")
	nodeName := flag.String("node-name", "", "node name given to the controller: only its own nftables rules depend on it (required)")
	queueID := flag.Int("nfqueue-id", 100, "the NFQUEUE the controller judges packets from")
	table := flag.String("nftables-table", "kube-network-policies", "name of the controller's own inet nftables table")
	cleanup := flag.Bool("cleanup", false, "delete the nftables table and exit")
	klog.InitFlags(nil)
	flag.Parse()

	if *cleanup {
		if err := deleteTable(*table); err != nil {
			fmt.Fprintf(os.Stderr, "kube-network-policies: deleting nftables table %s: %v\n", *table, err)
			os.Exit(1)
		}
		return
	}
	if *kubeconfig == "" || *nodeName == "" {
		fmt.Fprintln(os.Stderr, "kube-network-policies: --kubeconfig and --node-name are required")
		os.Exit(2)
	}
	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		klog.Fatalf("reading %s: %v", *kubeconfig, err)
	}
	clientset, err := kubernetes.NewForConfig(config)
	if err != nil {
		klog.Fatalf("client for %s: %v", *kubeconfig, err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	factory := informers.NewSharedInformerFactory(clientset, 0)
	controller, err := networkpolicy.NewController(
		clientset,
		factory.Networking().V1().NetworkPolicies(),
		factory.Core().V1().Namespaces(),
		factory.Core().V1().Pods(),
		nil, nil, nil, nil, // nodes and the AdminNetworkPolicy API: not used
		networkpolicy.Config{
			QueueID:             *queueID,
			NodeName:            *nodeName,
			NFTableName:         *table,
			NetfilterBug1766Fix: true,
		},
	)
	if err != nil {
		klog.Fatalf("starting the network policy controller: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := controller.Run(ctx); err != nil {
			klog.Errorf("network policy controller: %v", err)
			stop()
		}
	}()
	factory.Start(ctx.Done())
	<-ctx.Done()
	// Run removes its table on return; give it the time it needs.
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
}

// deleteTable removes the controller's inet table if it is there.
func deleteTable(name string) error {
	nft, err := nftables.New()
	if err != nil {
		return err
	}
	tables, err := nft.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if t.Name == name {
			nft.DelTable(t)
			return nft.Flush()
		}
	}
	return nil
}
