// Command kumo runs the kumo AWS emulator (github.com/sivchari/kumo) on a free port of 127.0.0.1 and prints its
// URL on the first line: the Secrets Manager of one region for Atrium's tests (kumotest.Start).
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sivchari/kumo"
)

func main() {
	srv := kumo.NewServer() // loopback, a free port, logs off
	fmt.Println(srv.URL)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, os.Interrupt)
	<-ch
	srv.Close()
}
