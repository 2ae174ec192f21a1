// Command pause is the pod sandbox process of the local test cluster: it holds the pod's namespaces, reaps orphaned
// children (it is PID 1 of the pod) and exits on SIGINT/SIGTERM — what Kubernetes' own pause image does, built here
// because no registry can be reached.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
