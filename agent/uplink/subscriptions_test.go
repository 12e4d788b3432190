package uplink_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

// runClient runs a client with these subscriptions, collecting the topics
// of the messages it receives; before, when set, runs before Run.
func runClient(t *testing.T, url, id string, subs []string, before func(*uplink.Client)) (*uplink.Client, func() []string, func()) {
	t.Helper()
	c, err := uplink.New(uplink.Config{Broker: url, ClientID: id, Subscribe: subs})
	if err != nil {
		t.Fatal(err)
	}
	if before != nil {
		before(c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = c.Run(ctx) }()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case m := <-c.Messages():
				mu.Lock()
				got = append(got, m.Topic)
				mu.Unlock()
			}
		}
	}()
	stop := func() { cancel(); wg.Wait() }
	t.Cleanup(stop)
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if err := c.WaitConnected(wctx); err != nil {
		t.Fatal(err)
	}
	return c, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) }, stop
}

// Subscriptions change at run time, connected or not; a filter given up
// is unsubscribed from the persistent session too.
func TestSetSubscriptions(t *testing.T) {
	t.Parallel()
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	pub := uplinktest.NewConsumer(t, b.URL(), "subs-pub", func(string, []byte) {}, "unused/topic")
	c, got, stop := runClient(t, b.URL(), "subs-dev", []string{"g/a/cmd"}, nil)

	if err := c.SetSubscriptions(context.Background(), []string{"g/a/cmd", "bad/#/x"}); err == nil || !strings.Contains(err.Error(), `subscriptions[1] "bad/#/x"`) {
		t.Fatalf("bad filter: %v", err)
	}
	if err := c.SetSubscriptions(context.Background(), []string{"g/b/cmd"}); err != nil {
		t.Fatal(err)
	}
	// One publisher, in order: when b's message is in, a's would be too.
	pub.Publish(t, "g/a/cmd", false, []byte("1"))
	pub.Publish(t, "g/b/cmd", false, []byte("2"))
	uplinktest.WaitFor(t, 10*time.Second, "the message on g/b/cmd", func() bool { return len(got()) > 0 })
	if g := got(); len(g) != 1 || g[0] != "g/b/cmd" {
		t.Fatalf("received %q after switching to g/b, want only g/b/cmd", g)
	}
	stop()

	// Offline: the next connection of the same session drops g/b for g/c.
	_, got2, _ := runClient(t, b.URL(), "subs-dev", []string{"g/b/cmd"}, func(c *uplink.Client) {
		if err := c.SetSubscriptions(context.Background(), []string{"g/c/cmd"}); err != nil {
			t.Fatal(err)
		}
	})
	pub.Publish(t, "g/b/cmd", false, []byte("3"))
	pub.Publish(t, "g/c/cmd", false, []byte("4"))
	uplinktest.WaitFor(t, 10*time.Second, "the message on g/c/cmd", func() bool { return len(got2()) > 0 })
	if g := got2(); len(g) != 1 || g[0] != "g/c/cmd" {
		t.Fatalf("received %q after switching to g/c offline, want only g/c/cmd", g)
	}
}
