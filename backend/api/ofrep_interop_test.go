package api_test

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/open-feature/go-sdk-contrib/providers/ofrep"
	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"

	"github.com/sphera/atrium/backend/api/apitest"
)

// TestOFREPWithOpenFeatureProvider evaluates the portal's flags through the unmodified OpenFeature Go SDK and its
// OFREP provider, over loopback; every exchange is also checked against openapi.yaml.
func TestOFREPWithOpenFeatureProvider(t *testing.T) {
	p := newFlagPortal(t, nil)
	p.importShop("production")
	ctx := context.Background()

	provider := ofrep.NewProvider(p.url, ofrep.WithBearerToken(p.tokens["prod-service"]),
		ofrep.WithClient(&http.Client{Transport: apitest.Transport(t, nil)}))
	sdk := isolated.NewAPI()
	if err := sdk.SetProviderAndWait(ctx, provider); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sdk.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	}()
	client := sdk.NewClient()
	staff := of.NewEvaluationContext("user-1", map[string]any{"email": "jo@sphera.io", "appVersion": "2.3.0",
		"country": "SE"})
	guest := of.NewEvaluationContext("user-2", map[string]any{"email": "x@example.com", "appVersion": "1.0.0"})

	b, err := client.BooleanValueDetails(ctx, "new-checkout", false, staff)
	if err != nil || !b.Value || b.Variant != "on" || b.Reason != of.TargetingMatchReason {
		t.Errorf("boolean: %+v %v", b, err)
	}
	if b.FlagMetadata["team"] != "payments" || b.FlagMetadata["flagSetId"] != "shop" {
		t.Errorf("metadata %v", b.FlagMetadata)
	}
	s, err := client.StringValueDetails(ctx, "banner-text", "fallback", guest)
	if err != nil || s.Value != "Hello" || s.Reason != of.StaticReason {
		t.Errorf("string: %+v %v", s, err)
	}
	i, err := client.IntValueDetails(ctx, "page-size", 1, staff)
	if err != nil || i.Value != 50 || i.Variant != "large" {
		t.Errorf("int: %+v %v", i, err)
	}
	f, err := client.FloatValueDetails(ctx, "ratio", 0, guest)
	if err != nil || f.Value != 0.75 {
		t.Errorf("float: %+v %v", f, err)
	}
	o, err := client.ObjectValueDetails(ctx, "theme", map[string]any{}, staff)
	if err != nil || !reflect.DeepEqual(o.Value, map[string]any{"bg": "#000", "fg": "#fff"}) {
		t.Errorf("object: %+v %v", o, err)
	}
	// A percentage rollout is sticky per account and reported as a split.
	acct := of.NewEvaluationContext("user-3", map[string]any{"accountId": "acct-42"})
	first, _ := client.BooleanValueDetails(ctx, "new-checkout", false, acct)
	for n := 0; n < 5; n++ {
		again, _ := client.BooleanValueDetails(ctx, "new-checkout", !first.Value, acct)
		if again.Value != first.Value || again.Reason != of.SplitReason {
			t.Fatalf("rollout: %+v then %+v", first, again)
		}
	}
	// Disabled: the caller's default, reason DISABLED, no error.
	d, err := client.BooleanValueDetails(ctx, "old-promo", false, guest)
	if err != nil || d.Value != false || d.Reason != of.DisabledReason {
		t.Errorf("disabled: %+v %v", d, err)
	}
	// Missing flag and wrong type: the default with the right error code.
	nf, err := client.StringValueDetails(ctx, "no-such-flag", "dflt", guest)
	if err == nil || nf.Value != "dflt" || nf.ErrorCode != of.FlagNotFoundCode {
		t.Errorf("not found: %+v %v", nf, err)
	}
	tm, err := client.BooleanValueDetails(ctx, "banner-text", true, guest)
	if err == nil || tm.Value != true || tm.ErrorCode != of.TypeMismatchCode {
		t.Errorf("type mismatch: %+v %v", tm, err)
	}
	// A bad context value is reported with the protocol's error code.
	bad := of.NewEvaluationContext("", map[string]any{"targetingKey": 7})
	ic, err := client.StringValueDetails(ctx, "banner-text", "dflt", bad)
	if err == nil || ic.ErrorCode != of.InvalidContextCode {
		t.Errorf("invalid context: %+v %v", ic, err)
	}
	// A token for another environment is refused.
	other := ofrep.NewProvider(p.url, ofrep.WithBearerToken(p.tokens["stage-service"]),
		ofrep.WithClient(&http.Client{Transport: apitest.Transport(t, nil)}))
	sdk2 := isolated.NewAPI()
	if err := sdk2.SetProviderAndWait(ctx, other); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sdk2.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	}()
	if v, err := sdk2.NewClient().StringValueDetails(ctx, "banner-text", "dflt", guest); err == nil ||
		v.ErrorCode != of.FlagNotFoundCode {
		t.Errorf("staging token sees production flags: %+v %v", v, err)
	}
}
