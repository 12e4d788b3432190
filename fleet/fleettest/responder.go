// Package fleettest has scripted stand-ins for agents, for tests of the
// operator side against a real broker: each Responder is a real MQTT
// client that verifies the signature of every command it receives,
// answers with an accepted and a final result the way an agent does, and
// keeps its retained status (with the model version it runs) up to date.
// The behaviour per verb is the test's script.
package fleettest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/trust"
)

// Answer is a responder's reply to one command; Status "" sends nothing.
type Answer struct {
	Status string // fleet.ResultDone, ResultFailed, ResultRejected or ""
	Error  string
	// Version, when set with Status done, becomes the model version the
	// status reports.
	Version string
	// Gate, when set, publishes a deployment event saying this probation
	// gate tripped for the deployed version after the result, and the
	// status returns to the old version.
	Gate string
	// Twice sends the final result a second time (at-least-once delivery).
	Twice bool
	// Shadow, when set with Status done, puts a candidate in shadow: the
	// status shows it and a shadow event carries these figures. It stays
	// until an answer with a Version or a model.discard.
	Shadow *fleet.ShadowStatus
}

// Script decides the answer of r to cmd; nil answers done to everything.
type Script func(r *Responder, cmd fleet.Command) Answer

// Received is one verified command with its arrival order across all
// responders of a Fleet.
type Received struct {
	Seq     int64
	Command fleet.Command
}

// Responder stands for one agent.
type Responder struct {
	ID     string
	Groups []string
	Model  string

	t      testing.TB
	kr     *trust.Keyring
	cl     *uplink.Client
	seq    *atomic.Int64
	script Script
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	version string
	shadow  *fleet.ShadowStatus
	got     []Received
}

// Fleet is a set of responders sharing a command order counter.
type Fleet struct {
	Responders []*Responder
	seq        atomic.Int64
}

// Options for NewFleet.
type Options struct {
	Broker  string // uplink broker URL
	Prefix  string // default "axle"
	Keyring *trust.Keyring
	Model   string // model name in the status; default "pump"
	Version string // model version at start; default "1"
	Groups  []string
	Script  Script
}

// NewFleet starts one responder per id, each online (retained status
// published) when it returns; they stop at test cleanup.
func NewFleet(t testing.TB, ids []string, o Options) *Fleet {
	t.Helper()
	f := &Fleet{}
	for _, id := range ids {
		f.Responders = append(f.Responders, f.start(t, id, o))
	}
	return f
}

// Get returns the responder of device id, or nil.
func (f *Fleet) Get(id string) *Responder {
	for _, r := range f.Responders {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func (f *Fleet) start(t testing.TB, id string, o Options) *Responder {
	if o.Prefix == "" {
		o.Prefix = fleet.DefaultPrefix
	}
	if o.Model == "" {
		o.Model = "pump"
	}
	if o.Version == "" {
		o.Version = "1"
	}
	r := &Responder{ID: id, Groups: o.Groups, Model: o.Model, t: t, kr: o.Keyring, seq: &f.seq, script: o.Script, version: o.Version, done: make(chan struct{})}
	top := fleet.Topics{Prefix: o.Prefix, Device: id}
	subs := []string{top.Command(), top.AllCommand()}
	for _, g := range o.Groups {
		subs = append(subs, top.GroupCommand(g))
	}
	will, _ := json.Marshal(fleet.Status{V: 1, Device: id, State: fleet.StateOffline, Reason: fleet.ReasonLost, TS: time.Now().UTC()})
	cl, err := uplink.New(uplink.Config{Broker: o.Broker, ClientID: "responder-" + id, Subscribe: subs,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		WillTopic: top.Status(), WillPayload: will, OnlineTopic: top.Status(), OnlinePayload: r.status})
	if err != nil {
		t.Fatalf("fleettest: responder %s: %v", id, err)
	}
	r.cl = cl
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	var wg sync.WaitGroup
	wg.Go(func() { _ = cl.Run(ctx) })
	wg.Go(func() { r.serve(ctx, top) })
	go func() { wg.Wait(); close(r.done) }()
	t.Cleanup(r.Stop)
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := cl.WaitConnected(wctx); err != nil {
		t.Fatalf("fleettest: responder %s: %v", id, err)
	}
	// The online status goes out with the connection but is not awaited
	// there; publish it once more and wait, so it is retained on return.
	r.setVersion(wctx, top, o.Version)
	return r
}

// Stop disconnects the responder and waits for its goroutines.
func (r *Responder) Stop() {
	r.cancel()
	r.cl.Close()
	<-r.done
}

// Version is the model version the responder reports.
func (r *Responder) Version() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.version
}

// Received lists the verified commands in arrival order.
func (r *Responder) Received() []Received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Received(nil), r.got...)
}

// Verbs counts the received commands by verb.
func (r *Responder) Verbs() map[string]int {
	out := map[string]int{}
	for _, x := range r.Received() {
		out[x.Command.Verb]++
	}
	return out
}

func (r *Responder) status() []byte {
	r.mu.Lock()
	v, sh := r.version, r.shadow
	r.mu.Unlock()
	b, _ := json.Marshal(struct {
		fleet.Status
		Groups  []string `json:"groups,omitempty"`
		Backlog int64    `json:"backlog"`
	}{fleet.Status{V: 1, Device: r.ID, State: fleet.StateOnline, Agent: "v-test",
		Models: []fleet.ModelStatus{{Name: r.Model, Version: v, Runtime: "tflite-go", State: fleet.ModelActive, Shadow: sh}}, TS: time.Now().UTC()}, r.Groups, 0})
	return b
}

func (r *Responder) serve(ctx context.Context, top fleet.Topics) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-r.cl.Messages():
			r.handle(ctx, top, m.Payload)
		}
	}
}

func (r *Responder) publish(ctx context.Context, topic string, retained bool, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		r.t.Errorf("fleettest: %s: %v", r.ID, err)
		return
	}
	tok, err := r.cl.Publish(ctx, topic, 1, retained, b)
	if err == nil {
		err = tok.Wait(ctx)
	}
	if err != nil && ctx.Err() == nil {
		r.t.Errorf("fleettest: %s: publish %s: %v", r.ID, topic, err)
	}
}

func (r *Responder) handle(ctx context.Context, top fleet.Topics, raw []byte) {
	cmd, err := fleet.DecodeCommand(raw)
	if err != nil {
		r.t.Errorf("fleettest: %s: undecodable command: %v", r.ID, err)
		return
	}
	if _, err := fleet.VerifyCommand(raw, r.kr); err != nil {
		r.publish(ctx, top.Result(), false, fleet.Result{V: 1, ID: cmd.ID, Status: fleet.ResultRejected, Error: err.Error(), TS: time.Now().UTC()})
		return
	}
	r.mu.Lock()
	r.got = append(r.got, Received{Seq: r.seq.Add(1), Command: cmd})
	r.mu.Unlock()
	a := Answer{Status: fleet.ResultDone}
	if r.script != nil {
		a = r.script(r, cmd)
	}
	if a.Status == "" {
		return
	}
	r.publish(ctx, top.Result(), false, fleet.Result{V: 1, ID: cmd.ID, Status: fleet.ResultAccepted, TS: time.Now().UTC()})
	old := r.Version()
	if a.Status == fleet.ResultDone && (a.Version != "" || a.Shadow != nil || cmd.Verb == fleet.VerbModelDiscard) {
		r.mu.Lock()
		r.shadow = a.Shadow
		r.mu.Unlock()
		r.setVersion(ctx, top, cmp.Or(a.Version, old))
	}
	res := fleet.Result{V: 1, ID: cmd.ID, Status: a.Status, Error: a.Error, Result: map[string]any{"device": r.ID}, TS: time.Now().UTC()}
	r.publish(ctx, top.Result(), false, res)
	if a.Twice {
		r.publish(ctx, top.Result(), false, res)
	}
	if a.Status == fleet.ResultDone && a.Shadow != nil {
		data := map[string]any{}
		b, _ := json.Marshal(a.Shadow)
		_ = json.Unmarshal(b, &data)
		data["model"] = r.Model
		r.publish(ctx, top.Events(), false, fleet.Event{V: 1, TS: time.Now().UTC(), Kind: fleet.EventShadow, Severity: "info",
			Message: fmt.Sprintf("model %s shadow %s: %d windows", r.Model, a.Shadow.Version, a.Shadow.Windows), Data: data})
	}
	if a.Gate != "" {
		r.setVersion(ctx, top, old)
		r.publish(ctx, top.Events(), false, fleet.Event{V: 1, TS: time.Now().UTC(), Kind: fleet.EventDeployment, Severity: "warning",
			Message: fmt.Sprintf("model %s version %s rolled back: gate %s", r.Model, a.Version, a.Gate),
			Data:    map[string]any{"model": r.Model, "version": a.Version, "previous": old, "step": "rollback", "gate": a.Gate}})
	}
}

func (r *Responder) setVersion(ctx context.Context, top fleet.Topics, v string) {
	r.mu.Lock()
	r.version = v
	r.mu.Unlock()
	tok, err := r.cl.Publish(ctx, top.Status(), 1, true, r.status())
	if err == nil {
		err = tok.Wait(ctx)
	}
	if err != nil && ctx.Err() == nil {
		r.t.Errorf("fleettest: %s: publish status: %v", r.ID, err)
	}
}

// DeployArgs decodes the args of a model.deploy the way the agent reads
// them, for scripts.
type DeployArgs struct {
	Model   string `json:"model"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	Source  struct {
		Kind string `json:"kind"`
	} `json:"source"`
}

// Deploy decodes cmd's args as model.deploy args.
func Deploy(cmd fleet.Command) (DeployArgs, error) {
	var a DeployArgs
	err := json.Unmarshal(cmd.Args, &a)
	return a, err
}

// GoOffline publishes the retained offline status the broker would
// publish from the will when the agent vanished.
func (r *Responder) GoOffline(ctx context.Context, prefix string) error {
	if prefix == "" {
		prefix = fleet.DefaultPrefix
	}
	b, err := json.Marshal(fleet.Status{V: 1, Device: r.ID, State: fleet.StateOffline, Reason: fleet.ReasonLost, TS: time.Now().UTC()})
	if err != nil {
		return err
	}
	tok, err := r.cl.Publish(ctx, fleet.Topics{Prefix: prefix, Device: r.ID}.Status(), 1, true, b)
	if err != nil {
		return err
	}
	return tok.Wait(ctx)
}
