package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/buffer"
	"github.com/axle-edge/axle/agent/delivery"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

func TestDeliversLiveInOrderAndWakesOnNotify(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.waitConnected()
	for range 20 {
		r.appendRecs(buffer.ClassScore, 5, now)
		r.appendRecs(buffer.ClassEvent, 1, now)
	}
	r.waitDelivered()
	for _, a := range append(r.col.arrivals(buffer.ClassScore), r.col.arrivals(buffer.ClassEvent)...) {
		if a.hist {
			t.Fatalf("seq %d sent live was marked historical", a.seq)
		}
	}
	// The consumer can see the last record before the engine has counted
	// its PUBACK: wait for the count, then check the rest.
	uplinktest.WaitFor(t, wait, "120 records acked", func() bool { p := r.eng.Progress(); return p.Sent >= 120 && p.Acked >= 120 })
	p := r.eng.Progress()
	if p.Sent < 120 || p.Acked < 120 || p.Historical != 0 || p.Backlog != 0 || p.Draining {
		t.Fatalf("progress %+v, want 120 sent and acked live, nothing waiting", p)
	}
}

// TestBacklogAfterOutageLiveFirstThenHistorical checks what happens when the
// link comes back: the newest records go first, live, then the backlog
// oldest-first, marked historical, while new records still go out at once.
func TestBacklogAfterOutageLiveFirstThenHistorical(t *testing.T) {
	r := newRig(t, rigOptions{engine: delivery.Options{LiveFirst: 10, DrainRate: 500}})
	r.waitConnected()
	r.proxy.Cut()
	uplinktest.WaitFor(t, wait, "the uplink to notice the cut", func() bool { return !r.up.Connected() })
	old := time.Now().Add(-time.Hour)
	oldSeqs := r.appendRecs(buffer.ClassScore, 200, func(i int) time.Time { return old.Add(time.Duration(i) * time.Second) })
	recent := r.appendRecs(buffer.ClassScore, 20, now)
	r.proxy.Restore()
	uplinktest.WaitFor(t, wait, "the live-first records", func() bool { return r.col.count() >= 10 })
	live := r.appendRecs(buffer.ClassScore, 5, now)
	r.waitDelivered()

	arr := r.col.arrivals(buffer.ClassScore)
	hist := map[uint64]bool{}
	for _, a := range arr {
		hist[a.seq] = a.hist
	}
	// The 10 newest pending records went first and live.
	for i, a := range arr[:10] {
		if a.seq != recent[10+i] || a.hist {
			t.Fatalf("arrival %d = %+v, want live-first seq %d not historical", i, a, recent[10+i])
		}
	}
	for _, s := range oldSeqs {
		if !hist[s] {
			t.Fatalf("backlog seq %d not marked historical", s)
		}
	}
	for _, s := range recent[:10] {
		if !hist[s] {
			t.Fatalf("seq %d, pending at reconnect and not live-first, not marked historical", s)
		}
	}
	for _, s := range live {
		if hist[s] {
			t.Fatalf("seq %d appended after reconnect marked historical", s)
		}
	}
	// New records were not queued behind the rate-limited backlog.
	lastLive := 0
	for i, a := range arr {
		if a.seq == live[len(live)-1] {
			lastLive = i
		}
	}
	if lastLive > len(arr)-50 {
		t.Fatalf("the last live record arrived %d of %d: it waited for the backlog", lastLive, len(arr))
	}
	if p := r.eng.Progress(); p.Historical < 210 {
		t.Fatalf("progress %+v: want at least 210 historical", p)
	}
}

func TestNetworkCutMidStream(t *testing.T) {
	r := newRig(t, rigOptions{})
	stop := r.produce(2 * time.Millisecond)
	for round := range 3 {
		n := r.col.count()
		uplinktest.WaitFor(t, wait, "records flowing", func() bool { return r.col.count() > n+100 })
		if round == 1 {
			r.proxy.Stall() // silent: only the keepalive notices
		} else {
			r.proxy.Cut()
		}
		uplinktest.WaitFor(t, wait, "disconnect", func() bool { return !r.up.Connected() })
		acked := r.out.Stats().Acked
		r.proxy.Restore()
		uplinktest.WaitFor(t, wait, "delivery resumes", func() bool { return r.out.Stats().Acked > acked+50 })
	}
	stop()
	r.waitDelivered()
	if s := r.up.Stats(); s.Reconnects < 3 {
		t.Fatalf("uplink stats %+v, want 3 reconnects", s)
	}
}

func TestBrokerStopAndRestartMidStream(t *testing.T) {
	r := newRig(t, rigOptions{persist: true})
	stop := r.produce(2 * time.Millisecond)
	uplinktest.WaitFor(t, wait, "records flowing", func() bool { return r.col.count() > 200 })
	r.broker.Stop() // SIGTERM: the broker saves sessions and queued messages
	uplinktest.WaitFor(t, wait, "disconnect", func() bool { return !r.up.Connected() })
	pending := r.out.Stats().Records
	uplinktest.WaitFor(t, wait, "records piling up offline", func() bool { return r.out.Stats().Records > pending+100 })
	r.broker.Start()
	uplinktest.WaitFor(t, wait, "backlog drained", func() bool { return r.out.Stats().Records < 20 })
	stop()
	r.waitDelivered()
}

// TestBrokerRestartWithoutState replaces the broker by one that knows
// nothing (no sessions, no subscriptions). The device is cut off first and
// the backend is given what the old broker acknowledged, because a broker
// that dies with messages queued for its subscribers loses them whatever
// the device does; what is tested is the device side: its in-flight
// messages are resent and nothing it had not had acknowledged is lost.
func TestBrokerRestartWithoutState(t *testing.T) {
	r := newRig(t, rigOptions{})
	stop := r.produce(2 * time.Millisecond)
	uplinktest.WaitFor(t, wait, "records flowing", func() bool { return r.col.count() > 200 })
	r.proxy.Cut()
	uplinktest.WaitFor(t, wait, "disconnect", func() bool { return !r.up.Connected() })
	uplinktest.WaitFor(t, wait, "backend to have everything acknowledged", func() bool {
		pending := map[uint64]bool{}
		for _, c := range []buffer.Class{buffer.ClassEvent, buffer.ClassScore} {
			recs, err := r.out.Peek(c, 0, 1<<20, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range recs {
				pending[rec.Seq] = true
			}
		}
		var acked []uint64
		for _, s := range r.allAppended() {
			if !pending[s] {
				acked = append(acked, s)
			}
		}
		return r.col.has(acked)
	})
	r.broker.Kill()
	r.broker.Start()
	uplinktest.WaitFor(t, wait, "backend resubscribed", func() bool { return r.cons.Subscriptions() >= 2 })
	r.proxy.Restore()
	r.waitConnected()
	uplinktest.WaitFor(t, wait, "backlog drained", func() bool { return r.out.Stats().Records < 20 })
	stop()
	r.waitDelivered()
}

func TestOutboxBoundWhileOffline(t *testing.T) {
	r := newRig(t, rigOptions{maxBytes: 40 << 10})
	r.waitConnected()
	r.proxy.Cut()
	uplinktest.WaitFor(t, wait, "disconnect", func() bool { return !r.up.Connected() })
	var events, scores []uint64
	for range 10 {
		events = append(events, r.appendRecs(buffer.ClassEvent, 2, now)...)
		scores = append(scores, r.appendRecs(buffer.ClassScore, 50, now)...)
	}
	drops := r.out.TakeDrops()
	if drops.Scores == 0 || drops.Events != 0 {
		t.Fatalf("drops %+v, want scores dropped and no events", drops)
	}
	// The agent turns the drops into an event (fleet.EventDrop); making
	// room for it may drop one more score, reported next time.
	dropEvent := r.appendRecs(buffer.ClassEvent, 1, now)
	more := r.out.TakeDrops()
	if more.Events != 0 {
		t.Fatalf("drops %+v while storing the drop event", more)
	}
	drops.Scores += more.Scores
	drops.NewestDropped = max(drops.NewestDropped, more.NewestDropped)
	r.proxy.Restore()
	uplinktest.WaitFor(t, wait, "every event and the drop report", func() bool {
		return r.col.has(append(events, dropEvent...))
	})
	uplinktest.WaitFor(t, wait, "an empty outbox", func() bool { return r.out.Stats().Records == 0 })

	var kept, lost []uint64
	for _, s := range scores {
		if s >= drops.OldestDropped && s <= drops.NewestDropped {
			lost = append(lost, s)
		} else {
			kept = append(kept, s)
		}
	}
	if uint64(len(lost)) != drops.Scores || lost[0] != scores[0] {
		t.Fatalf("dropped range [%d,%d] holds %d scores, drops say %d; want the oldest", drops.OldestDropped, drops.NewestDropped, len(lost), drops.Scores)
	}
	uplinktest.WaitFor(t, wait, "every score that was not dropped", func() bool { return r.col.has(kept) })
	for _, s := range lost {
		if r.col.has([]uint64{s}) {
			t.Fatalf("dropped score %d arrived", s)
		}
	}
	m := delivery.Metrics(r.out.Stats(), r.up.Stats(), r.eng.Progress())
	if m["outbox_dropped_scores_total"] != float64(drops.Scores) || m["outbox_dropped_events_total"] != 0 {
		t.Fatalf("metrics %v do not report %d dropped scores", m, drops.Scores)
	}
}

func TestDrainRateBoundsTheBacklog(t *testing.T) {
	const n, rate = 600, 2000.0
	r := newRig(t, rigOptions{engine: delivery.Options{DrainRate: rate, LiveFirst: -1}})
	r.waitConnected()
	r.proxy.Cut()
	uplinktest.WaitFor(t, wait, "disconnect", func() bool { return !r.up.Connected() })
	r.appendRecs(buffer.ClassScore, n, now)
	start := time.Now()
	r.proxy.Restore()
	r.waitDelivered()
	// A token bucket with a 0.1 s burst cannot send n records faster than
	// this; a lower bound cannot flake on a slow machine.
	if min := time.Duration((n - rate/10) / rate * float64(time.Second)); time.Since(start) < min {
		t.Fatalf("drained %d records in %v at DrainRate %v: faster than the %v the rate allows", n, time.Since(start), rate, min)
	}
}

func TestBatchPacksRecordsIntoArrays(t *testing.T) {
	r := newRig(t, rigOptions{engine: delivery.Options{Batch: 10, LiveFirst: -1}})
	r.waitConnected()
	r.proxy.Cut()
	uplinktest.WaitFor(t, wait, "disconnect", func() bool { return !r.up.Connected() })
	r.appendRecs(buffer.ClassScore, 95, now)
	r.appendRecs(buffer.ClassEvent, 7, now)
	r.proxy.Restore()
	r.waitDelivered()
	p := r.eng.Progress()
	if p.Sent != 102 || p.Messages != 11 {
		t.Fatalf("progress %+v: want 102 records in 11 messages (10 of ≤10 scores, 1 of 7 events)", p)
	}
}

func TestSecondConcurrentRunRefused(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.waitConnected()
	// A delivered record proves the rig's Run is active before the second
	// one starts.
	r.appendRecs(buffer.ClassScore, 1, now)
	r.waitDelivered()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.eng.Run(ctx); err == nil {
		t.Fatal("a second concurrent Run was accepted")
	}
}
