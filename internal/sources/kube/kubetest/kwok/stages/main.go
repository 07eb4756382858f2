// Command stages prints kwok's "fast" stages (as kwokctl configures them): nodes become Ready at once and keep
// a lease, pods bound to a kwok node become Running and Ready with an IP, and deleted pods go away.
package main

import (
	"fmt"
	"os"

	nodefast "sigs.k8s.io/kwok/kustomize/stage/node/fast"
	nodelease "sigs.k8s.io/kwok/kustomize/stage/node/heartbeat-with-lease"
	podfast "sigs.k8s.io/kwok/kustomize/stage/pod/fast"
)

func main() {
	for _, s := range []string{nodefast.DefaultNodeInit, nodelease.DefaultNodeHeartbeatWithLease,
		podfast.DefaultPodReady, podfast.DefaultPodComplete, podfast.DefaultPodDelete} {
		if _, err := fmt.Fprintf(os.Stdout, "---\n%s\n", s); err != nil {
			os.Exit(1)
		}
	}
}
