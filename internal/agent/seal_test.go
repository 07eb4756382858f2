package agent_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/store/storetest"
)

func secretManifest(value string) json.RawMessage {
	return json.RawMessage(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"apps"},` +
		`"stringData":{"password":"` + value + `"}}`)
}

func TestSealOpenRoundTrip(t *testing.T) {
	k, err := agent.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	in := agent.SealedContent{Apply: []json.RawMessage{secretManifest("s3cr3t-value")}}
	s, err := agent.Seal(k.Public, in)
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyID != k.Public.ID() || bytes.Contains(s.Box, []byte("s3cr3t-value")) {
		t.Fatalf("sealed: key %s, box holds the plaintext: %v", s.KeyID, bytes.Contains(s.Box, []byte("s3cr3t-value")))
	}
	out, err := k.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Apply) != 1 || !bytes.Equal(out.Apply[0], in.Apply[0]) {
		t.Fatalf("opened %s", out.Apply)
	}
	// The same content sealed twice gives different boxes (a fresh ephemeral key each time).
	s2, _ := agent.Seal(k.Public, in)
	if bytes.Equal(s.Box, s2.Box) {
		t.Error("sealing is deterministic")
	}

	other, _ := agent.GenerateKey()
	if _, err := other.Open(s); !errors.Is(err, agent.ErrWrongKey) || !strings.Contains(err.Error(), k.Public.ID()) {
		t.Errorf("another agent's key: %v", err)
	}
	forged := *s
	forged.KeyID = other.Public.ID()
	if _, err := other.Open(&forged); err == nil || errors.Is(err, agent.ErrWrongKey) {
		t.Errorf("a box relabelled for another key opened: %v", err)
	}
	tampered := *s
	tampered.Box = append([]byte(nil), s.Box...)
	tampered.Box[len(tampered.Box)-1] ^= 1
	if _, err := k.Open(&tampered); err == nil {
		t.Error("a tampered box opened")
	}
	if _, err := agent.Seal(k.Public, agent.SealedContent{Apply: []json.RawMessage{json.RawMessage(`{"kind":"Secret","stringData":{"p":"s3cr3t-value"}}`)}}); !errors.Is(err, agent.ErrInvalid) ||
		strings.Contains(err.Error(), "s3cr3t-value") {
		t.Errorf("sealing an invalid manifest: %v", err)
	}
}

func TestKeyPairText(t *testing.T) {
	k, _ := agent.GenerateKey()
	b, _ := k.MarshalText()
	var back agent.KeyPair
	if err := back.UnmarshalText(b); err != nil || back != k {
		t.Fatalf("round trip: %v", err)
	}
	other, _ := agent.GenerateKey()
	mixed := other.Public.String() + "\n" + strings.Split(string(b), "\n")[1] + "\n"
	if err := back.UnmarshalText([]byte(mixed)); err == nil || !strings.Contains(err.Error(), "does not belong") {
		t.Errorf("a public key of another pair: %v", err)
	}
	for _, bad := range []string{"", "x y", k.Public.String() + " !!", base64.StdEncoding.EncodeToString(make([]byte, 32)) + " x"} {
		if err := back.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestSealedValueNeverReachesTheDatabase: a Secret's value sealed for an agent is stored only as ciphertext — not
// in the database file, nor in its write-ahead log — while the work is queued, leased and reported.
func TestSealedValueNeverReachesTheDatabase(t *testing.T) {
	q, db := newQueue(t, agent.Config{})
	ctx := context.Background()
	k, _ := agent.GenerateKey()
	if _, err := q.Seal(ctx, "eu", agent.SealedContent{Apply: []json.RawMessage{secretManifest("x")}}); !errors.Is(err, agent.ErrNoAgent) {
		t.Fatalf("sealing before the agent registered: %v", err)
	}
	if _, err := q.Hello(ctx, "eu", "agent-eu", agent.Hello{AgentID: "pod-1", Version: "dev", KubeVersion: "v1.37.2",
		PublicKey: k.Public.String()}); err != nil {
		t.Fatal(err)
	}
	value := "pw-" + strings.Repeat("7Qz", 4) + "-unique-4f1d0c"
	sealed, err := q.Seal(ctx, "eu", agent.SealedContent{Apply: []json.RawMessage{secretManifest(value)}})
	if err != nil {
		t.Fatal(err)
	}
	w := work("secret")
	w.Kind = "secret"
	w.Payload.Sealed = sealed
	it, err := q.Enqueue(ctx, "eu", w)
	if err != nil {
		t.Fatal(err)
	}
	leased, _, _ := q.Lease(ctx, "eu", "agent-eu")
	opened, err := k.Open(leased.Payload.Sealed)
	if err != nil || !bytes.Contains(opened.Apply[0], []byte(value)) {
		t.Fatalf("the agent opens what it leased: %v", err)
	}
	if _, err := q.Report(ctx, "eu", it.ID, leased.LeaseID, agent.Result{Objects: []agent.ObjectResult{{
		ObjectRef: agent.ObjectRef{APIVersion: "v1", Kind: "Secret", Namespace: "apps", Name: "db"},
		Action:    agent.ActionCreated, Sealed: true}}}); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal"} {
		b, err := storetest.Dump(db, suffix)
		if err != nil {
			t.Fatal(err)
		}
		for _, form := range []string{value, base64.StdEncoding.EncodeToString([]byte(value))} {
			if bytes.Contains(b, []byte(form)) {
				t.Errorf("%s holds the sealed value", db.Path()+suffix)
			}
		}
		if suffix == "-wal" && !bytes.Contains(b, []byte(sealed.KeyID)) {
			t.Errorf("the write-ahead log does not hold the work at all: the check looked at the wrong bytes")
		}
	}
}
