package agent

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sphera/atrium/internal/audit"
)

// Config tunes a Queue; zero fields take the defaults.
type Config struct {
	// Lease is how long an agent holds an item without renewing it (default 30 s): an agent that dies mid-item
	// gives it up this long after its last renewal.
	Lease time.Duration
	// MaxAttempts fails an item whose leases ran out this many times (its agents kept dying on it; default 5).
	MaxAttempts int
	// MaxWait bounds a long poll (default 60 s).
	MaxWait time.Duration
	// Recheck is how often an open long poll looks at the database for work it was not told about: work queued by
	// another portal process, or a lease running out (default 2 s).
	Recheck time.Duration
	// MaxPollsPerCluster and MaxPolls bound the long polls open at once, per cluster (default 8) and in all
	// (default 512); more are refused with ErrBusy.
	MaxPollsPerCluster int
	MaxPolls           int
	// ConnectedWithin: an agent that polled this recently counts as connected (default 90 s).
	ConnectedWithin time.Duration
}

func (c *Config) defaults() {
	if c.Lease <= 0 {
		c.Lease = 30 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.MaxWait <= 0 {
		c.MaxWait = 60 * time.Second
	}
	if c.Recheck <= 0 {
		c.Recheck = 2 * time.Second
	}
	if c.MaxPollsPerCluster <= 0 {
		c.MaxPollsPerCluster = 8
	}
	if c.MaxPolls <= 0 {
		c.MaxPolls = 512
	}
	if c.ConnectedWithin <= 0 {
		c.ConnectedWithin = 90 * time.Second
	}
}

// Queue keeps work items in the agent_work table and the agents in the agents table of the portal database. One
// Queue per process: its long polls are woken by what is enqueued through it (and find the rest by Recheck).
type Queue struct {
	DB     *sql.DB
	Config Config
	Log    *slog.Logger
	// OnFinish, when set, hears of every item that succeeded or failed, once, after it is stored: where the job
	// waiting for it is woken (the actions worker's Wake).
	OnFinish func(Item)
	// Now is the clock (tests move it to expire leases); default time.Now.
	Now func() time.Time
	// Waiting, when set, is called each time a long poll of cluster found nothing to lease and starts to wait:
	// tests queue work then, rather than sleeping.
	Waiting func(cluster string)

	mu       sync.Mutex
	queued   map[string]chan struct{} // per cluster: closed when work for it may be available
	finished map[string]chan struct{} // per item: closed when it is finished
	polls    map[string]int           // open long polls per cluster
	total    int
}

// NewQueue returns the queue on db.
func NewQueue(db *sql.DB, cfg Config, log *slog.Logger) *Queue {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	return &Queue{DB: db, Config: cfg, Log: log}
}

func (q *Queue) now() time.Time {
	if q.Now != nil {
		return q.Now().UTC()
	}
	return time.Now().UTC()
}

func (q *Queue) cfg() Config {
	c := q.Config
	c.defaults()
	return c
}

func newID(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// hashWork is what identifies the content of work for its idempotency key: kind and payload, without the sealed
// box (sealing the same content twice gives different boxes).
func hashWork(w Work) string {
	p := w.Payload
	if p.Sealed != nil {
		p.Sealed = &Sealed{KeyID: p.Sealed.KeyID}
	}
	b, _ := json.Marshal(struct {
		Kind    string  `json:"kind"`
		Payload Payload `json:"payload"`
	}{w.Kind, p})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

const itemCols = `id, cluster, kind, ref, idempotency_key, request_hash, payload, state, lease_id, lease_until,
	attempts, result, error, created_at, updated_at, finished_at`

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func scanItem(row interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var payload, result string
	var leaseUntil, created, updated, finished int64
	if err := row.Scan(&it.ID, &it.Cluster, &it.Kind, &it.Ref, &it.IdempotencyKey, &it.requestHash, &payload,
		&it.State, &it.LeaseID, &leaseUntil, &it.Attempts, &result, &it.Error, &created, &updated, &finished); err != nil {
		return it, err
	}
	if err := json.Unmarshal([]byte(payload), &it.Payload); err != nil {
		return it, fmt.Errorf("work %s: payload: %w", it.ID, err)
	}
	if it.State.Final() {
		it.Result = &Result{}
		if err := json.Unmarshal([]byte(result), it.Result); err != nil {
			return it, fmt.Errorf("work %s: result: %w", it.ID, err)
		}
		if it.Result.Objects == nil {
			it.Result.Objects = []ObjectResult{}
		}
	}
	ms := func(v int64) time.Time {
		if v == 0 {
			return time.Time{}
		}
		return time.UnixMilli(v).UTC()
	}
	it.LeaseUntil, it.CreatedAt, it.UpdatedAt, it.FinishedAt = ms(leaseUntil), ms(created), ms(updated), ms(finished)
	return it, nil
}

func (q *Queue) get(ctx context.Context, db querier, id string) (Item, error) {
	it, err := scanItem(db.QueryRowContext(ctx, `SELECT `+itemCols+` FROM agent_work WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return it, fmt.Errorf("work %q: %w", id, ErrNotFound)
	}
	return it, err
}

// Get returns an item.
func (q *Queue) Get(ctx context.Context, id string) (Item, error) { return q.get(ctx, q.DB, id) }

// Enqueue stores work for cluster, or returns the item already stored under the same idempotency key for that
// cluster. A key reused for different work is ErrIdempotencyConflict; invalid work is ErrInvalid, naming every
// problem. Waiting agents of the cluster are woken.
func (q *Queue) Enqueue(ctx context.Context, cluster string, w Work) (Item, error) {
	if !ValidCluster(cluster) {
		return Item{}, fmt.Errorf("%w: cluster %q is not a cluster name (lower-case letters, digits and -)", ErrInvalid, cluster)
	}
	if err := w.check(); err != nil {
		return Item{}, err
	}
	payload, err := json.Marshal(w.Payload)
	if err != nil {
		return Item{}, fmt.Errorf("%w: payload: %v", ErrInvalid, err)
	}
	if len(payload) > MaxPayload {
		return Item{}, fmt.Errorf("%w: payload is %d bytes; at most %d", ErrInvalid, len(payload), MaxPayload)
	}
	hash := hashWork(w)
	tx, err := q.DB.BeginTx(ctx, nil)
	if err != nil {
		return Item{}, err
	}
	defer tx.Rollback()
	prev, err := scanItem(tx.QueryRowContext(ctx, `SELECT `+itemCols+` FROM agent_work
		WHERE cluster = ? AND idempotency_key = ?`, cluster, w.IdempotencyKey))
	switch {
	case err == nil:
		if prev.requestHash != hash {
			return prev, fmt.Errorf("%w: key %q of cluster %s was first used for work %s", ErrIdempotencyConflict,
				w.IdempotencyKey, cluster, prev.ID)
		}
		return prev, nil
	case !errors.Is(err, sql.ErrNoRows):
		return Item{}, err
	}
	now := q.now().UnixMilli()
	id := newID("wrk_")
	if _, err := tx.ExecContext(ctx, `INSERT INTO agent_work(id, cluster, kind, ref, idempotency_key, request_hash,
		payload, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, cluster, w.Kind, w.Ref,
		w.IdempotencyKey, hash, string(payload), StateQueued, now, now); err != nil {
		return Item{}, fmt.Errorf("store work: %w", err)
	}
	it, err := q.get(ctx, tx, id)
	if err != nil {
		return it, err
	}
	if err := tx.Commit(); err != nil {
		return it, err
	}
	q.Log.Info("agent work queued", "cluster", cluster, "work", id, "kind", w.Kind, "ref", w.Ref,
		"apply", len(w.Payload.Apply), "sealed", w.Payload.Sealed != nil, "delete", len(w.Payload.Delete))
	q.signal(cluster)
	return it, nil
}

// signal wakes the long polls of cluster.
func (q *Queue) signal(cluster string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if ch, ok := q.queued[cluster]; ok {
		close(ch)
		delete(q.queued, cluster)
	}
}

func (q *Queue) queuedChan(cluster string) <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.queued == nil {
		q.queued = map[string]chan struct{}{}
	}
	ch, ok := q.queued[cluster]
	if !ok {
		ch = make(chan struct{})
		q.queued[cluster] = ch
	}
	return ch
}

// Lease gives owner the oldest item of cluster that is queued or whose lease ran out, leased until now+Lease;
// false when there is none. Items are leased one at a time, so two agents never hold the same item. An item whose
// leases ran out MaxAttempts times is failed instead of leased again.
func (q *Queue) Lease(ctx context.Context, cluster, owner string) (Item, bool, error) {
	cfg := q.cfg()
	var gaveUp []Item
	defer func() {
		for _, it := range gaveUp {
			q.finished1(it)
		}
	}()
	for {
		it, ok, expired, err := q.leaseOnce(ctx, cluster, owner, cfg)
		if err != nil || !expired {
			return it, ok, err
		}
		gaveUp = append(gaveUp, it) // failed after too many attempts: look for the next item
	}
}

func (q *Queue) leaseOnce(ctx context.Context, cluster, owner string, cfg Config) (it Item, ok, gaveUp bool, err error) {
	tx, err := q.DB.BeginTx(ctx, nil)
	if err != nil {
		return it, false, false, err
	}
	defer tx.Rollback()
	now := q.now()
	it, err = scanItem(tx.QueryRowContext(ctx, `SELECT `+itemCols+` FROM agent_work WHERE cluster = ?
		AND (state = 'queued' OR (state = 'leased' AND lease_until < ?)) ORDER BY created_at, id LIMIT 1`,
		cluster, now.UnixMilli()))
	if errors.Is(err, sql.ErrNoRows) {
		return it, false, false, nil
	}
	if err != nil {
		return it, false, false, err
	}
	if it.State == StateLeased && it.Attempts >= cfg.MaxAttempts {
		msg := fmt.Sprintf("gave up after %d attempts: each agent that leased this work stopped reporting "+
			"(it crashed, was stopped, or lost the portal) before finishing it", it.Attempts)
		b, _ := json.Marshal(Result{Objects: []ObjectResult{}, Message: msg})
		if _, err := tx.ExecContext(ctx, `UPDATE agent_work SET state = 'failed', result = ?, error = ?, lease_until = 0,
			updated_at = ?, finished_at = ? WHERE id = ?`, string(b), msg, now.UnixMilli(), now.UnixMilli(), it.ID); err != nil {
			return it, false, false, err
		}
		if it, err = q.get(ctx, tx, it.ID); err != nil {
			return it, false, false, err
		}
		q.Log.Warn("agent work failed: its leases kept running out", "cluster", cluster, "work", it.ID, "attempts", it.Attempts)
		return it, false, true, tx.Commit()
	}
	if it.State == StateLeased {
		q.Log.Warn("agent work offered again: its lease ran out", "cluster", cluster, "work", it.ID,
			"attempts", it.Attempts)
	}
	leaseID := newID("lse_")
	if _, err := tx.ExecContext(ctx, `UPDATE agent_work SET state = 'leased', lease_id = ?, lease_owner = ?,
		lease_until = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?`, leaseID, owner,
		now.Add(cfg.Lease).UnixMilli(), now.UnixMilli(), it.ID); err != nil {
		return it, false, false, err
	}
	if it, err = q.get(ctx, tx, it.ID); err != nil {
		return it, false, false, err
	}
	return it, true, false, tx.Commit()
}

// Next is the long poll of cluster's agent: Lease, and while there is nothing to lease, wait up to wait (at most
// MaxWait) for work to be queued or a lease to run out. false when there was nothing within wait. It records
// that the agent is polling (Agents reports it connected), and refuses with ErrBusy beyond the configured number of
// open polls.
func (q *Queue) Next(ctx context.Context, cluster, owner string, wait time.Duration) (Item, bool, error) {
	cfg := q.cfg()
	wait = min(max(wait, 0), cfg.MaxWait)
	q.mu.Lock()
	if q.polls == nil {
		q.polls = map[string]int{}
	}
	if q.polls[cluster] >= cfg.MaxPollsPerCluster || q.total >= cfg.MaxPolls {
		q.mu.Unlock()
		return Item{}, false, fmt.Errorf("%w: cluster %s has %d open polls (at most %d; in all %d of %d)", ErrBusy,
			cluster, q.polls[cluster], cfg.MaxPollsPerCluster, q.total, cfg.MaxPolls)
	}
	q.polls[cluster]++
	q.total++
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		q.polls[cluster]--
		q.total--
		q.mu.Unlock()
		// The poll's end is a sign of life too: record it with a context of its own, the request's may be gone.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := q.seen(sctx, cluster, owner); err != nil {
			// The poll's answer stands; the agent's next poll records it again.
			q.Log.Warn("record agent's last poll", "cluster", cluster, "err", err)
		}
	}()
	if err := q.seen(ctx, cluster, owner); err != nil {
		return Item{}, false, err
	}
	deadline := time.Now().Add(wait)
	for {
		ch := q.queuedChan(cluster) // before looking, so that work queued meanwhile wakes us
		it, ok, err := q.Lease(ctx, cluster, owner)
		if err != nil || ok {
			return it, ok, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return Item{}, false, nil
		}
		if q.Waiting != nil {
			q.Waiting(cluster)
		}
		t := time.NewTimer(min(left, cfg.Recheck))
		select {
		case <-ctx.Done():
			t.Stop()
			return Item{}, false, ctx.Err()
		case <-ch:
		case <-t.C:
		}
		t.Stop()
	}
}

// seen records that cluster's agent (principal owner) showed up.
func (q *Queue) seen(ctx context.Context, cluster, owner string) error {
	now := q.now().UnixMilli()
	_, err := q.DB.ExecContext(ctx, `INSERT INTO agents(cluster, subject, first_seen, last_seen) VALUES (?, ?, ?, ?)
		ON CONFLICT(cluster) DO UPDATE SET subject = excluded.subject, last_seen = excluded.last_seen`,
		cluster, owner, now, now)
	return err
}

// Renew extends the lease leaseID on item id of cluster to now+Lease and returns its new end; ErrLeaseLost when
// the lease is no longer the item's (it ran out and another agent took the item, or the item finished).
func (q *Queue) Renew(ctx context.Context, cluster, id, leaseID string) (time.Time, error) {
	now := q.now()
	until := now.Add(q.cfg().Lease)
	res, err := q.DB.ExecContext(ctx, `UPDATE agent_work SET lease_until = ?, updated_at = ? WHERE id = ? AND cluster = ?
		AND lease_id = ? AND state = 'leased'`, until.UnixMilli(), now.UnixMilli(), id, cluster, leaseID)
	if err != nil {
		return time.Time{}, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return until, nil
	}
	if _, err := q.itemOf(ctx, cluster, id); err != nil {
		return time.Time{}, err
	}
	return time.Time{}, fmt.Errorf("%w: work %s is no longer leased to this agent", ErrLeaseLost, id)
}

// itemOf returns item id if it belongs to cluster (else ErrNotFound, so that one cluster's agent learns nothing of
// another's work).
func (q *Queue) itemOf(ctx context.Context, cluster, id string) (Item, error) {
	it, err := q.Get(ctx, id)
	if err == nil && it.Cluster != cluster {
		return Item{}, fmt.Errorf("work %q: %w", id, ErrNotFound)
	}
	return it, err
}

// Report records the outcome of item id under lease leaseID: succeeded unless res.Failed(). The result is
// recorded once: the same report again (a retry after a lost answer) returns the item unchanged, and a report
// under a lease that is no longer the item's is ErrLeaseLost.
func (q *Queue) Report(ctx context.Context, cluster, id, leaseID string, res Result) (Item, error) {
	if res.Objects == nil {
		res.Objects = []ObjectResult{}
	}
	b, err := json.Marshal(res)
	if err != nil {
		return Item{}, err
	}
	if len(b) > MaxResult {
		return Item{}, invalidf("invalid result: %d bytes; at most %d", len(b), MaxResult)
	}
	state, errMsg := StateSucceeded, ""
	if res.Failed() {
		state, errMsg = StateFailed, res.Message
		if errMsg == "" {
			errMsg = "the agent reported a failure (see the result's objects)"
		}
	}
	tx, err := q.DB.BeginTx(ctx, nil)
	if err != nil {
		return Item{}, err
	}
	defer tx.Rollback()
	it, err := q.get(ctx, tx, id)
	if err == nil && it.Cluster != cluster {
		err = fmt.Errorf("work %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return it, err
	}
	switch {
	case it.LeaseID != leaseID || it.State == StateQueued:
		return it, fmt.Errorf("%w: work %s is no longer leased to this agent; another agent reports it", ErrLeaseLost, id)
	case it.State.Final():
		return it, nil // this lease's report, again
	}
	now := q.now().UnixMilli()
	if _, err := tx.ExecContext(ctx, `UPDATE agent_work SET state = ?, result = ?, error = ?, lease_until = 0,
		updated_at = ?, finished_at = ? WHERE id = ?`, state, string(b), errMsg, now, now, id); err != nil {
		return it, fmt.Errorf("store result of work %s: %w", id, err)
	}
	if it, err = q.get(ctx, tx, id); err != nil {
		return it, err
	}
	if err := tx.Commit(); err != nil {
		return it, err
	}
	q.Log.Info("agent work finished", "cluster", cluster, "work", id, "state", it.State, "attempts", it.Attempts,
		"error", it.Error)
	q.finished1(it)
	return it, nil
}

// finished1 tells Wait and OnFinish of a finished item.
func (q *Queue) finished1(it Item) {
	q.mu.Lock()
	if ch, ok := q.finished[it.ID]; ok {
		close(ch)
		delete(q.finished, it.ID)
	}
	q.mu.Unlock()
	if q.OnFinish != nil {
		q.OnFinish(it)
	}
}

// Wait blocks until item id is finished (or ctx ends) and returns it. Items finished by another portal process
// are noticed within Recheck.
func (q *Queue) Wait(ctx context.Context, id string) (Item, error) {
	for {
		q.mu.Lock()
		if q.finished == nil {
			q.finished = map[string]chan struct{}{}
		}
		ch, ok := q.finished[id]
		if !ok {
			ch = make(chan struct{})
			q.finished[id] = ch
		}
		q.mu.Unlock()
		it, err := q.Get(ctx, id)
		if err != nil || it.State.Final() {
			return it, err
		}
		t := time.NewTimer(q.cfg().Recheck)
		select {
		case <-ctx.Done():
			t.Stop()
			return it, ctx.Err()
		case <-ch:
		case <-t.C:
		}
		t.Stop()
	}
}

// Hello is what an agent says when it connects.
type Hello struct {
	AgentID     string `json:"agent_id"`
	Version     string `json:"version"`
	KubeVersion string `json:"kube_version"`
	PublicKey   string `json:"public_key"`
}

// Settings are the portal's answer to Hello: what the agent must go by.
type Settings struct {
	Cluster        string `json:"cluster"`
	KeyID          string `json:"key_id"`
	LeaseSeconds   int    `json:"lease_seconds"`
	MaxWaitSeconds int    `json:"max_wait_seconds"`
}

// Hello registers cluster's agent (principal subject): its version and public key. A new or changed key is
// audited: work sealed from now on is sealed to it.
func (q *Queue) Hello(ctx context.Context, cluster, subject string, h Hello) (Settings, error) {
	if !ValidCluster(cluster) {
		return Settings{}, invalidf("invalid hello: cluster %q is not a cluster name", cluster)
	}
	pub, err := ParsePublicKey(h.PublicKey)
	if err != nil {
		return Settings{}, invalidf("invalid hello: public_key: %v", err)
	}
	for _, f := range []struct{ name, v string }{{"agent_id", h.AgentID}, {"version", h.Version}, {"kube_version", h.KubeVersion}} {
		if len(f.v) > 200 {
			return Settings{}, invalidf("invalid hello: %s: at most 200 characters", f.name)
		}
	}
	tx, err := q.DB.BeginTx(ctx, nil)
	if err != nil {
		return Settings{}, err
	}
	defer tx.Rollback()
	var prevKey string
	if err := tx.QueryRowContext(ctx, `SELECT key_id FROM agents WHERE cluster = ?`, cluster).Scan(&prevKey); err != nil &&
		!errors.Is(err, sql.ErrNoRows) {
		return Settings{}, err
	}
	now := q.now().UnixMilli()
	if _, err := tx.ExecContext(ctx, `INSERT INTO agents(cluster, subject, agent_id, version, kube_version, public_key,
		key_id, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(cluster) DO UPDATE SET
		subject = excluded.subject, agent_id = excluded.agent_id, version = excluded.version,
		kube_version = excluded.kube_version, public_key = excluded.public_key, key_id = excluded.key_id,
		last_seen = excluded.last_seen`, cluster, subject, h.AgentID, h.Version, h.KubeVersion, pub.String(), pub.ID(),
		now, now); err != nil {
		return Settings{}, fmt.Errorf("register agent of %s: %w", cluster, err)
	}
	if prevKey != pub.ID() {
		if err := audit.RecordTx(ctx, tx, audit.Event{Actor: subject, Action: "agent.key_registered",
			Resource: "cluster/" + cluster, Detail: map[string]any{"key_id": pub.ID(), "previous_key_id": prevKey,
				"agent_id": h.AgentID, "version": h.Version}}); err != nil {
			return Settings{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Settings{}, err
	}
	if prevKey != pub.ID() {
		q.Log.Info("agent key registered", "cluster", cluster, "key", pub.ID(), "previous", prevKey, "by", subject)
	}
	cfg := q.cfg()
	return Settings{Cluster: cluster, KeyID: pub.ID(), LeaseSeconds: int(cfg.Lease / time.Second),
		MaxWaitSeconds: int(cfg.MaxWait / time.Second)}, nil
}

// PublicKey is the key cluster's agent registered last; ErrNoAgent when none did.
func (q *Queue) PublicKey(ctx context.Context, cluster string) (PublicKey, error) {
	var s string
	err := q.DB.QueryRowContext(ctx, `SELECT public_key FROM agents WHERE cluster = ?`, cluster).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) || err == nil && s == "" {
		return PublicKey{}, fmt.Errorf("%w: cluster %s (start its agent first: docs/agent.md)", ErrNoAgent, cluster)
	}
	if err != nil {
		return PublicKey{}, err
	}
	return ParsePublicKey(s)
}

// Seal encrypts c to the key cluster's agent registered (Seal), for a Payload's Sealed part.
func (q *Queue) Seal(ctx context.Context, cluster string, c SealedContent) (*Sealed, error) {
	pub, err := q.PublicKey(ctx, cluster)
	if err != nil {
		return nil, err
	}
	return Seal(pub, c)
}

// Status is a cluster's agent as GET /api/v1/agents shows it.
type Status struct {
	Cluster     string    `json:"cluster"`
	Connected   bool      `json:"connected"`
	Polling     int       `json:"polling"` // long polls open now
	Subject     string    `json:"subject,omitempty"`
	AgentID     string    `json:"agent_id,omitempty"`
	Version     string    `json:"version,omitempty"`
	KubeVersion string    `json:"kube_version,omitempty"`
	KeyID       string    `json:"key_id,omitempty"`
	FirstSeen   time.Time `json:"first_seen,omitzero"`
	LastSeen    time.Time `json:"last_seen,omitzero"`
	Queued      int       `json:"queued"`
	Leased      int       `json:"leased"`
}

// Agents lists every cluster that has an agent or unfinished work, by name.
func (q *Queue) Agents(ctx context.Context) ([]Status, error) {
	rows, err := q.DB.QueryContext(ctx, `
		WITH clusters AS (SELECT cluster FROM agents UNION SELECT DISTINCT cluster FROM agent_work
			WHERE state IN ('queued', 'leased'))
		SELECT c.cluster, COALESCE(a.subject, ''), COALESCE(a.agent_id, ''), COALESCE(a.version, ''),
			COALESCE(a.kube_version, ''), COALESCE(a.key_id, ''), COALESCE(a.first_seen, 0), COALESCE(a.last_seen, 0),
			(SELECT COUNT(*) FROM agent_work w WHERE w.cluster = c.cluster AND w.state = 'queued'),
			(SELECT COUNT(*) FROM agent_work w WHERE w.cluster = c.cluster AND w.state = 'leased')
		FROM clusters c LEFT JOIN agents a ON a.cluster = c.cluster ORDER BY c.cluster`)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	defer rows.Close()
	now := q.now()
	within := q.cfg().ConnectedWithin
	out := []Status{}
	for rows.Next() {
		var s Status
		var first, last int64
		if err := rows.Scan(&s.Cluster, &s.Subject, &s.AgentID, &s.Version, &s.KubeVersion, &s.KeyID, &first, &last,
			&s.Queued, &s.Leased); err != nil {
			return nil, err
		}
		if first > 0 {
			s.FirstSeen, s.LastSeen = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
		}
		q.mu.Lock()
		s.Polling = q.polls[s.Cluster]
		q.mu.Unlock()
		s.Connected = s.Polling > 0 || last > 0 && now.Sub(s.LastSeen) < within
		out = append(out, s)
	}
	return out, rows.Err()
}
