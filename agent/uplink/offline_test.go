package uplink_test

import (
	"context"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

// A clean stop discards the will, so the client itself must leave the
// offline status behind: a consumer that subscribes only after the stop
// finds it retained, both for Close and for a cancelled Run.
func TestCleanStopLeavesOfflineRetained(t *testing.T) {
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	for _, how := range []string{"close", "cancel"} {
		t.Run(how, func(t *testing.T) {
			id := "off-" + how
			cfg := baseConfig(b.URL(), id)
			cfg.OfflinePayload = func() []byte { return []byte(`{"state":"offline","reason":"stopped"}`) }
			c, err := uplink.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- c.Run(ctx) }()
			waitConnected(t, c)
			if how == "close" {
				c.Close()
			} else {
				cancel()
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Run = %v, want nil", err)
				}
			case <-time.After(wait):
				t.Fatal("Run did not return after the stop")
			}

			rec := &recorder{}
			uplinktest.NewConsumer(t, b.URL(), "after-"+id, rec.message, "axle/"+id+"/status")
			uplinktest.WaitFor(t, wait, "the retained offline status", func() bool {
				return rec.lastPayload("axle/"+id+"/status") == `{"state":"offline","reason":"stopped"}`
			})
		})
	}
}

// Run may be called again once it returned (the agent supervises it), but
// not while it runs.
func TestRunAgainAfterReturn(t *testing.T) {
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	c, err := uplink.New(baseConfig(b.URL(), "again"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for round := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		waitConnected(t, c)
		if err := c.Run(ctx); err == nil {
			t.Fatalf("round %d: a second concurrent Run returned nil", round)
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: Run = %v", round, err)
			}
		case <-time.After(wait):
			t.Fatalf("round %d: Run did not return after cancel", round)
		}
	}
	if n := c.Stats().Connects; n != 2 {
		t.Errorf("%d connections, want one per Run", n)
	}
}
