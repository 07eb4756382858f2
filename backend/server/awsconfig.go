package server

import (
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/catalog"
	awssrc "github.com/sphera/atrium/internal/sources/aws"
	"github.com/sphera/atrium/internal/store"
)

// AWSConfig is the aws section of the configuration file: the AWS collector (docs/drift.md). Without it the
// collector still lists every region the portal writes to — the actions' environments delivered directly or by
// gitops (SQS and SNS) and the secrets' aws environments (Secrets Manager) — through the same endpoints and
// profiles; regions lists more.
//
//	aws:
//	  interval: 5m            # between listings of a region
//	  regions:                # regions to observe besides the actions' and the secrets'
//	    - {environment: production, region: ap-south-1, services: [sqs, sns], endpoint: "", profile: ""}
//	  off: false              # true: list nothing (drift then knows no AWS resource)
type AWSConfig struct {
	Interval time.Duration `yaml:"interval"`
	Regions  []AWSRegion   `yaml:"regions"`
	Off      bool          `yaml:"off"`
}

// AWSRegion is one more region for the collector.
type AWSRegion struct {
	Environment string   `yaml:"environment"`
	Region      string   `yaml:"region"`
	Services    []string `yaml:"services"`
	Endpoint    string   `yaml:"endpoint"`
	Profile     string   `yaml:"profile"`
}

// awsTargets are the regions the AWS collector lists: the aws section's, the actions' environments that reach AWS
// (SQS and SNS), and the secrets' aws environments (Secrets Manager).
func (fc *FileConfig) awsTargets() []awssrc.Target {
	if fc.AWS.Off {
		return nil
	}
	var out []awssrc.Target
	for _, r := range fc.AWS.Regions {
		out = append(out, awssrc.Target{Environment: r.Environment, Region: r.Region, Services: r.Services,
			Endpoint: r.Endpoint, Profile: r.Profile})
	}
	for _, name := range fc.Actions.EnvironmentNames() {
		env := fc.Actions.Environments[name]
		if env.Delivery != actions.DeliveryDirect && env.Delivery != actions.DeliveryGitOps {
			continue // preview creates nothing: there is nothing to observe
		}
		for _, region := range env.Regions {
			out = append(out, awssrc.Target{Environment: name, Region: region, Endpoint: env.AWS.Endpoints[region],
				Profile: env.AWS.Profile, Services: []string{awssrc.ServiceSQS, awssrc.ServiceSNS}})
		}
	}
	if fc.Secrets.Enabled() {
		for _, name := range fc.Secrets.EnvironmentNames() {
			env := fc.Secrets.Environments[name]
			if env.Backend != catalog.SecretBackendAWS {
				continue
			}
			for _, region := range env.Regions {
				out = append(out, awssrc.Target{Environment: name, Region: region, Endpoint: env.AWS.Endpoints[region],
					Profile: env.AWS.Profile, Services: []string{awssrc.ServiceSecretsManager}})
			}
		}
	}
	return out
}

// checkAWS checks the aws section.
func (fc *FileConfig) checkAWS() error {
	if fc.AWS.Interval < 0 {
		return fmt.Errorf("aws.interval must not be negative")
	}
	seen := map[string]bool{}
	for i, r := range fc.AWS.Regions {
		if r.Environment == "" || r.Region == "" {
			return fmt.Errorf("aws.regions[%d]: environment and region are required", i)
		}
		for _, s := range r.Services {
			if s != awssrc.ServiceSQS && s != awssrc.ServiceSNS && s != awssrc.ServiceSecretsManager {
				return fmt.Errorf("aws.regions[%d].services: %q is not sqs, sns or secretsmanager", i, s)
			}
		}
		k := r.Environment + "/" + r.Region
		if seen[k] {
			return fmt.Errorf("aws.regions[%d]: %s is listed twice", i, k)
		}
		seen[k] = true
	}
	return nil
}

// newAWSCollector builds the AWS collector of fc; nil when there is no region to list.
func newAWSCollector(fc *FileConfig, db *store.DB, log *slog.Logger) (*awssrc.Collector, error) {
	targets := fc.awsTargets()
	if len(targets) == 0 {
		return nil, nil
	}
	sort.SliceStable(targets, func(i, j int) bool { return targets[i].Key() < targets[j].Key() })
	return awssrc.New(awssrc.Config{Targets: targets, Interval: fc.AWS.Interval}, db, log.With("collector", "aws"))
}
