package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/buffer"
	"github.com/axle-edge/axle/agent/delivery"
	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

const wait = 30 * time.Second

const (
	scoreTopic = "axle/dev1/scores/pump"
	eventTopic = "axle/dev1/events"
)

// arrival is one record as the backend saw it.
type arrival struct {
	seq  uint64
	hist bool
	at   time.Time
}

// collector is the backend: it parses every message (a v1 object or a
// batch array of them) and keeps arrivals per class.
type collector struct {
	mu     sync.Mutex
	events []arrival
	scores []arrival
	seen   map[uint64]bool
	msgs   int
	err    error
}

func newCollector() *collector { return &collector{seen: map[uint64]bool{}} }

func (c *collector) handle(topic string, payload []byte) {
	now := time.Now()
	var objs []json.RawMessage
	if len(payload) > 0 && payload[0] == '[' {
		if err := json.Unmarshal(payload, &objs); err != nil {
			c.fail(fmt.Errorf("batch on %s: %v: %q", topic, err, payload))
			return
		}
	} else {
		objs = []json.RawMessage{payload}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs++
	for _, o := range objs {
		var v struct {
			V          int    `json:"v"`
			Seq        uint64 `json:"seq"`
			Historical bool   `json:"historical"`
		}
		if err := json.Unmarshal(o, &v); err != nil || v.V != 1 || v.Seq == 0 {
			if c.err == nil {
				c.err = fmt.Errorf("bad record on %s: %q (%v)", topic, o, err)
			}
			continue
		}
		a := arrival{seq: v.Seq, hist: v.Historical, at: now}
		if topic == eventTopic {
			c.events = append(c.events, a)
		} else {
			c.scores = append(c.scores, a)
		}
		c.seen[v.Seq] = true
	}
}

func (c *collector) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
}

func (c *collector) has(seqs []uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range seqs {
		if !c.seen[s] {
			return false
		}
	}
	return true
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

func (c *collector) arrivals(class buffer.Class) []arrival {
	c.mu.Lock()
	defer c.mu.Unlock()
	if class == buffer.ClassEvent {
		return slices.Clone(c.events)
	}
	return slices.Clone(c.scores)
}

// checkOrder asserts the documented guarantee for one class: taking the
// first arrival of each seq, the historical ones come in ascending order
// and so do the live ones.
func checkOrder(t *testing.T, class buffer.Class, arr []arrival) {
	t.Helper()
	seen := map[uint64]bool{}
	var lastHist, lastLive uint64
	for i, a := range arr {
		if seen[a.seq] {
			continue // a duplicate: at-least-once
		}
		seen[a.seq] = true
		last := &lastLive
		if a.hist {
			last = &lastHist
		}
		if a.seq < *last {
			t.Fatalf("%s arrival %d: seq %d (historical=%v) after %d: not ascending", class, i, a.seq, a.hist, *last)
		}
		*last = a.seq
	}
}

// checkComplete asserts every appended seq arrived, the appended seqs have
// no gap, and nothing else arrived.
func (c *collector) checkComplete(t *testing.T, appended []uint64) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		t.Fatal(c.err)
	}
	want := slices.Clone(appended)
	slices.Sort(want)
	for i := 1; i < len(want); i++ {
		if want[i] != want[i-1]+1 {
			t.Fatalf("appended seqs jump from %d to %d", want[i-1], want[i])
		}
	}
	got := make([]uint64, 0, len(c.seen))
	for s := range c.seen {
		got = append(got, s)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		missing := 0
		for _, s := range want {
			if !c.seen[s] {
				missing++
			}
		}
		t.Fatalf("backend saw %d distinct seqs, %d appended, %d missing", len(got), len(want), missing)
	}
}

type rigOptions struct {
	persist  bool
	maxBytes int64
	engine   delivery.Options
	inFlight int
	dir      string         // outbox directory; "" = t.TempDir()
	outbox   buffer.Options // MaxBytes is taken from maxBytes
}

// rig is one device (outbox, uplink through a proxy, engine) and one
// backend consumer, all real.
type rig struct {
	t      *testing.T
	broker *uplinktest.Broker
	proxy  *uplinktest.Proxy
	col    *collector
	cons   *uplinktest.Consumer
	out    *buffer.Outbox
	up     *uplink.Client
	eng    *delivery.Engine

	mu       sync.Mutex
	appended []uint64
	addedAt  map[uint64]time.Time
}

func newRig(t *testing.T, ro rigOptions) *rig {
	t.Helper()
	r := &rig{t: t, col: newCollector(), addedAt: map[uint64]time.Time{}}
	r.broker = uplinktest.StartBroker(t, uplinktest.BrokerOptions{Persistence: ro.persist})
	r.proxy = uplinktest.NewProxy(t, r.broker.Addr())
	r.cons = uplinktest.NewConsumer(t, r.broker.URL(), "backend", r.col.handle, "axle/dev1/scores/#", "axle/dev1/events")
	var err error
	if ro.dir == "" {
		ro.dir = t.TempDir()
	}
	ro.outbox.MaxBytes = ro.maxBytes
	r.out, err = buffer.Open(filepath.Join(ro.dir, "outbox.db"), ro.outbox)
	if err != nil {
		t.Fatal(err)
	}
	if ro.inFlight == 0 {
		ro.inFlight = 100
	}
	r.up, err = uplink.New(uplink.Config{
		Broker: r.proxy.URL(), ClientID: "dev1", KeepAlive: 2 * time.Second,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, InFlight: ro.inFlight,
	})
	if err != nil {
		t.Fatal(err)
	}
	if ro.engine.InFlight == 0 {
		ro.engine.InFlight = ro.inFlight
	}
	r.eng = delivery.New(r.out, r.up, ro.engine)

	upCtx, upCancel := context.WithCancel(context.Background())
	engCtx, engCancel := context.WithCancel(context.Background())
	upDone, engDone := make(chan error, 1), make(chan error, 1)
	go func() { upDone <- r.up.Run(upCtx) }()
	go func() { engDone <- r.eng.Run(engCtx) }()
	t.Cleanup(func() {
		// The agent's order: engine, then uplink, then outbox.
		engCancel()
		if err := <-engDone; err != nil {
			t.Errorf("engine Run: %v", err)
		}
		upCancel()
		if err := <-upDone; err != nil {
			t.Errorf("uplink Run: %v", err)
		}
		if err := r.out.Close(); err != nil {
			t.Errorf("outbox close: %v", err)
		}
	})
	return r
}

// appendRecs stores n records of class with times from at(i) and wakes the
// engine, like the agent does.
func (r *rig) appendRecs(class buffer.Class, n int, at func(i int) time.Time) []uint64 {
	r.t.Helper()
	seqs, err := r.add(class, n, at)
	if err != nil {
		r.t.Fatal(err)
	}
	return seqs
}

func (r *rig) add(class buffer.Class, n int, at func(i int) time.Time) ([]uint64, error) {
	topic := scoreTopic
	if class == buffer.ClassEvent {
		topic = eventTopic
	}
	recs := make([]buffer.Record, n)
	for i := range recs {
		recs[i] = buffer.Record{Class: class, Topic: topic, Time: at(i), Payload: fmt.Appendf(nil, `{"v":1,"i":%d,"pad":"%s"}`, i, strings.Repeat("x", 100))}
	}
	if err := r.out.Append(context.Background(), recs); err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	r.eng.Notify()
	seqs := make([]uint64, n)
	for i := range recs {
		seqs[i] = recs[i].Seq
	}
	added := time.Now()
	r.mu.Lock()
	for _, s := range seqs {
		r.addedAt[s] = added
	}
	r.appended = append(r.appended, seqs...)
	r.mu.Unlock()
	return seqs, nil
}

func now(int) time.Time { return time.Now() }

func (r *rig) appendedAt(seq uint64) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.addedAt[seq]
	return t, ok
}

func (r *rig) allAppended() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.appended)
}

// produce appends a score every tick (and an event every 10th) until the
// returned stop is called; stop waits for the producer to finish.
func (r *rig) produce(tick time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tk := time.NewTicker(tick)
		defer tk.Stop()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-tk.C:
			}
			_, err := r.add(buffer.ClassScore, 2, now)
			if err == nil && i%10 == 0 {
				_, err = r.add(buffer.ClassEvent, 1, now)
			}
			if err != nil {
				r.t.Errorf("producer: %v", err)
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}

// waitDelivered waits until the backend saw every appended record and the
// outbox is empty, then checks completeness and order.
func (r *rig) waitDelivered() {
	r.t.Helper()
	all := r.allAppended()
	uplinktest.WaitFor(r.t, wait, fmt.Sprintf("%d records at the backend", len(all)), func() bool { return r.col.has(all) })
	uplinktest.WaitFor(r.t, wait, "an empty outbox", func() bool { return r.out.Stats().Records == 0 })
	r.col.checkComplete(r.t, all)
	checkOrder(r.t, buffer.ClassEvent, r.col.arrivals(buffer.ClassEvent))
	checkOrder(r.t, buffer.ClassScore, r.col.arrivals(buffer.ClassScore))
}

func (r *rig) waitConnected() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := r.up.WaitConnected(ctx); err != nil {
		r.t.Fatal(err)
	}
}
