// Package awssm is the AWS Secrets Manager backend of secrets (docs/secrets.md): one client per environment and
// region, the portal's own credentials from the default chain (or a shared-config profile), an endpoint per region
// for emulators and VPC endpoints. A write is PutSecretValue under the action's version token (ClientRequestToken),
// so a write done twice after a crash makes one version; a secret that does not exist yet is created with the
// value and its tags in one call.
package awssm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/sphera/atrium/internal/secrets"
	awssrc "github.com/sphera/atrium/internal/sources/aws"
)

// Tags of the secrets the portal creates.
const (
	TagManagedBy   = "managed-by"
	TagTeam        = "atrium:team"
	TagService     = "atrium:service"
	TagName        = "atrium:name"
	TagEnvironment = "atrium:environment"
)

// Backend writes and reads secrets in AWS Secrets Manager.
type Backend struct {
	Config *secrets.Config
	// HTTPClient, when set, is the SDK's HTTP client.
	HTTPClient *http.Client
	// RecoveryDays is the recovery window of a deletion (7–30); 0 deletes at once (ForceDeleteWithoutRecovery).
	RecoveryDays int64

	mu      sync.Mutex
	clients map[string]*sm.Client // by environment/region
}

// Client is the Secrets Manager client of env's region.
func (b *Backend) Client(ctx context.Context, env, region string) (*sm.Client, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := env + "/" + region
	if c, ok := b.clients[key]; ok {
		return c, nil
	}
	e, ok := b.Config.Environments[env]
	if !ok {
		return nil, fmt.Errorf("%w: environment %q has no secrets configured", secrets.ErrRefused, env)
	}
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region)}
	if e.AWS.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(e.AWS.Profile))
	}
	if b.HTTPClient != nil {
		opts = append(opts, awsconfig.WithHTTPClient(b.HTTPClient))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration for %s: %w", key, err)
	}
	ep := e.AWS.Endpoints[region]
	c := sm.NewFromConfig(cfg, func(o *sm.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	if b.clients == nil {
		b.clients = map[string]*sm.Client{}
	}
	b.clients[key] = c
	return c, nil
}

// Put implements secrets.Backend.
func (b *Backend) Put(ctx context.Context, t secrets.Target, version string, value []byte, meta secrets.Meta) error {
	c, err := b.Client(ctx, t.Environment, t.Region)
	if err != nil {
		return err
	}
	_, err = c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String(t.Object),
		SecretString: aws.String(string(value)), ClientRequestToken: aws.String(version)})
	if code(err) == "ResourceNotFoundException" {
		_, err = c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(t.Object),
			SecretString: aws.String(string(value)), ClientRequestToken: aws.String(version),
			Description: aws.String(fmt.Sprintf("%s of service %s (team %s), managed by Atrium", meta.Name, meta.Service, meta.Team)),
			Tags: []smtypes.Tag{{Key: aws.String(TagManagedBy), Value: aws.String("atrium")},
				{Key: aws.String(TagTeam), Value: aws.String(meta.Team)},
				{Key: aws.String(TagService), Value: aws.String(meta.Service)},
				{Key: aws.String(TagName), Value: aws.String(meta.Name)},
				{Key: aws.String(TagEnvironment), Value: aws.String(meta.Environment)}}})
		if code(err) == "ResourceExistsException" { // created meanwhile (an earlier attempt whose answer was lost)
			_, err = c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String(t.Object),
				SecretString: aws.String(string(value)), ClientRequestToken: aws.String(version)})
		}
	}
	return b.wrap(fmt.Sprintf("write %s in %s", t.Object, t.Region), err)
}

// Delete implements secrets.Backend.
func (b *Backend) Delete(ctx context.Context, t secrets.Target) error {
	c, err := b.Client(ctx, t.Environment, t.Region)
	if err != nil {
		return err
	}
	in := &sm.DeleteSecretInput{SecretId: aws.String(t.Object)}
	if b.RecoveryDays > 0 {
		in.RecoveryWindowInDays = aws.Int64(b.RecoveryDays)
	} else {
		in.ForceDeleteWithoutRecovery = aws.Bool(true)
	}
	_, err = c.DeleteSecret(ctx, in)
	if code(err) == "ResourceNotFoundException" {
		return nil
	}
	return b.wrap(fmt.Sprintf("delete %s in %s", t.Object, t.Region), err)
}

// Read implements secrets.Backend.
func (b *Backend) Read(ctx context.Context, t secrets.Target) ([]byte, error) {
	c, err := b.Client(ctx, t.Environment, t.Region)
	if err != nil {
		return nil, err
	}
	out, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(t.Object)})
	if code(err) == "ResourceNotFoundException" {
		return nil, fmt.Errorf("%w: %s in %s", secrets.ErrNoValue, t.Object, t.Region)
	}
	if err != nil {
		return nil, b.wrap(fmt.Sprintf("read %s in %s", t.Object, t.Region), err)
	}
	if out.SecretString != nil {
		return []byte(*out.SecretString), nil
	}
	return out.SecretBinary, nil
}

// Observer lists the secrets of an environment's region through the AWS collector (secrets.Lister): the secrets
// Atrium manages (tagged managed-by: atrium), with their tags, dates and AWS's last access (a day). The portal
// lists AWS once, in one place, for every feature that observes it: the collector's region of the environment
// must list Secrets Manager (the portal's wiring makes it so for every aws environment of the secrets section).
type Observer struct{ Collector *awssrc.Collector }

// List implements secrets.Lister.
func (o Observer) List(ctx context.Context, env, region string) ([]secrets.Observed, error) {
	r := o.Collector.Region(env, region)
	if r == nil {
		return nil, fmt.Errorf("the AWS collector has no region %s/%s", env, region)
	}
	list, err := r.ListSecrets(ctx)
	if err != nil {
		return nil, err
	}
	return Observed(list), nil
}

// Observed keeps of a region's secrets those Atrium manages, as secrets' metadata sees them.
func Observed(list []awssrc.Secret) []secrets.Observed {
	var out []secrets.Observed
	for _, e := range list {
		if e.Tags[TagManagedBy] != "atrium" {
			continue
		}
		out = append(out, secrets.Observed{Object: e.Name, Service: e.Tags[TagService], Name: e.Tags[TagName],
			Team: e.Tags[TagTeam], Environment: e.Tags[TagEnvironment], CreatedAt: e.CreatedAt, ChangedAt: e.ChangedAt,
			LastReadAt: e.LastAccessedAt})
	}
	return out
}

// code is the AWS error code of err, "" for none.
func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// wrap says what failed; AWS's refusals of the request (4xx codes but throttling) are secrets.ErrRefused. Neither
// the SDK's errors nor AWS's messages hold the value sent.
func (b *Backend) wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		msg := fmt.Sprintf("%s: AWS Secrets Manager answered %s: %s", what, ae.ErrorCode(), ae.ErrorMessage())
		switch {
		case strings.Contains(ae.ErrorCode(), "Throttl"), ae.ErrorCode() == "InternalServiceError",
			ae.ErrorFault() == smithy.FaultServer:
			return errors.New(msg)
		default:
			return fmt.Errorf("%w: %s", secrets.ErrRefused, msg)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}
