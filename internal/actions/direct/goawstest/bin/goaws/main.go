// Command goaws runs goaws v0.5.4 (github.com/Admiral-Piett/goaws), an SQS and SNS emulator, for Atrium's tests
// (goawstest.Start). It is goaws's own command with one change: it listens on 127.0.0.1 only, where goaws's
// cmd listens on every interface (0.0.0.0), which would expose a test's queues to the network.
//
//	goaws -config FILE [-loglevel LEVEL] [ENVIRONMENT]
package main

import (
	"flag"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/Admiral-Piett/goaws/app/conf"
	"github.com/Admiral-Piett/goaws/app/gosqs"
	"github.com/Admiral-Piett/goaws/app/router"
	log "github.com/sirupsen/logrus"
)

func main() {
	config := flag.String("config", "", "the goaws YAML configuration")
	loglevel := flag.String("loglevel", "info", "log level")
	flag.Parse()

	log.SetFormatter(&log.JSONFormatter{})
	log.SetOutput(os.Stdout)
	level, err := log.ParseLevel(*loglevel)
	if err != nil {
		log.Fatalf("goaws: -loglevel: %v", err)
	}
	log.SetLevel(level)

	env := "Local"
	if flag.NArg() > 0 {
		env = flag.Arg(0)
	}
	ports := conf.LoadYamlConfig(*config, env)
	if len(ports) != 1 {
		log.Fatalf("goaws: the configuration must give exactly one port for %q, got %v", env, ports)
	}

	quit := make(chan bool)
	go gosqs.PeriodicTasks(1*time.Second, quit)

	addr := net.JoinHostPort("127.0.0.1", ports[0])
	log.Warnf("goaws listening on %s", addr)
	srv := &http.Server{Addr: addr, Handler: router.New(), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
