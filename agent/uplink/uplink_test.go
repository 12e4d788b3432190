package uplink_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

const wait = 15 * time.Second

// recorder keeps connection events and consumer messages for assertions.
type recorder struct {
	mu     sync.Mutex
	events []uplink.ConnEvent
	msgs   []uplink.Message
}

func (r *recorder) event(ev uplink.ConnEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *recorder) message(topic string, payload []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, uplink.Message{Topic: topic, Payload: append([]byte(nil), payload...)})
}

func (r *recorder) count(s uplink.ConnState) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ev := range r.events {
		if ev.State == s {
			n++
		}
	}
	return n
}

func (r *recorder) lastEvent() uplink.ConnEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) == 0 {
		return uplink.ConnEvent{}
	}
	return r.events[len(r.events)-1]
}

func (r *recorder) eventsCopy() []uplink.ConnEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uplink.ConnEvent(nil), r.events...)
}

// payloads returns the payloads received on topic, in order.
func (r *recorder) payloads(topic string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.msgs {
		if m.Topic == topic {
			out = append(out, string(m.Payload))
		}
	}
	return out
}

func (r *recorder) lastPayload(topic string) string {
	p := r.payloads(topic)
	if len(p) == 0 {
		return ""
	}
	return p[len(p)-1]
}

// start creates a client and runs it until the test ends, checking that Run
// returns nil on cancel.
func start(t *testing.T, cfg uplink.Config) (*uplink.Client, *recorder) {
	t.Helper()
	rec := &recorder{}
	cfg.OnConnEvent = rec.event
	c, err := uplink.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v on cancel, want nil", err)
			}
		case <-time.After(wait):
			t.Errorf("Run did not return within %v of cancel", wait)
		}
	})
	return c, rec
}

func waitConnected(t *testing.T, c *uplink.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.WaitConnected(ctx); err != nil {
		t.Fatalf("WaitConnected: %v", err)
	}
}

func baseConfig(broker, id string) uplink.Config {
	return uplink.Config{
		Broker:        broker,
		ClientID:      id,
		KeepAlive:     5 * time.Second,
		MinBackoff:    20 * time.Millisecond,
		MaxBackoff:    200 * time.Millisecond,
		WillTopic:     "axle/" + id + "/status",
		WillPayload:   []byte(`{"state":"offline"}`),
		OnlineTopic:   "axle/" + id + "/status",
		OnlinePayload: func() []byte { return []byte(`{"state":"online"}`) },
		Subscribe:     []string{"axle/" + id + "/cmd", "axle/all/cmd"},
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	ok := baseConfig("tcp://127.0.0.1:1883", "dev1")
	cases := []struct {
		name string
		mod  func(*uplink.Config)
		want string
	}{
		{"no broker", func(c *uplink.Config) { c.Broker = "" }, "Broker is empty"},
		{"bad scheme", func(c *uplink.Config) { c.Broker = "http://x:1" }, `scheme "http"`},
		{"no host", func(c *uplink.Config) { c.Broker = "tcp://:1883" }, "has no host"},
		{"path", func(c *uplink.Config) { c.Broker = "tcp://h:1/x" }, "only scheme://host:port"},
		{"user in url", func(c *uplink.Config) { c.Broker = "tcp://u:p@h:1" }, "only scheme://host:port"},
		{"no client id", func(c *uplink.Config) { c.ClientID = "" }, "ClientID is empty"},
		{"password alone", func(c *uplink.Config) { c.Password = "x" }, "Password is set without Username"},
		{"keepalive", func(c *uplink.Config) { c.KeepAlive = time.Millisecond }, "KeepAlive"},
		{"backoff order", func(c *uplink.Config) { c.MaxBackoff = time.Millisecond }, "MaxBackoff"},
		{"inflight", func(c *uplink.Config) { c.InFlight = 70000 }, "InFlight"},
		{"will wildcard", func(c *uplink.Config) { c.WillTopic = "a/+/b" }, "WillTopic"},
		{"will payload alone", func(c *uplink.Config) { c.WillTopic = ""; c.WillPayload = []byte("x") }, "WillPayload is set without WillTopic"},
		{"online without payload", func(c *uplink.Config) { c.OnlinePayload = nil }, "OnlineTopic is set without OnlinePayload"},
		{"offline without topic", func(c *uplink.Config) {
			c.OnlineTopic, c.OnlinePayload, c.OfflinePayload = "", nil, func() []byte { return nil }
		}, "OfflinePayload is set without OnlineTopic"},
		{"bad filter", func(c *uplink.Config) { c.Subscribe = []string{"a/#/b"} }, "Subscribe[0]"},
		{"bad plus", func(c *uplink.Config) { c.Subscribe = []string{"ok", "a/b+"} }, "Subscribe[1]"},
		{"ca on tcp", func(c *uplink.Config) { c.CAFile = "/etc/ssl/ca.pem" }, "CAFile is set but Broker"},
		{"missing ca", func(c *uplink.Config) { c.Broker = "ssl://h"; c.CAFile = "/nonexistent/ca.pem" }, "CAFile"},
		{"cert without key", func(c *uplink.Config) { c.Broker = "mqtts://h"; c.CertFile = "/x.crt" }, "CertFile is set without KeyFile"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.mod(&cfg)
			_, err := uplink.New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := uplink.New(ok); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
}

func TestPublishStatusAndCommands(t *testing.T) {
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	rec := &recorder{}
	cons := uplinktest.NewConsumer(t, b.URL(), "backend", rec.message, "axle/dev1/#")
	c, events := start(t, baseConfig(b.URL(), "dev1"))
	waitConnected(t, c)
	if !c.Connected() {
		t.Fatal("Connected() = false after WaitConnected")
	}

	ctx := context.Background()
	var toks []uplink.Token
	for i := range 10 {
		tok, err := c.Publish(ctx, "axle/dev1/scores/m", 1, false, []byte{byte('0' + i)})
		if err != nil {
			t.Fatalf("Publish %d: %v", i, err)
		}
		toks = append(toks, tok)
	}
	for i, tok := range toks {
		wctx, cancel := context.WithTimeout(ctx, wait)
		if err := tok.Wait(wctx); err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
		cancel()
	}
	uplinktest.WaitFor(t, wait, "10 scores at the consumer", func() bool { return len(rec.payloads("axle/dev1/scores/m")) == 10 })
	if got := strings.Join(rec.payloads("axle/dev1/scores/m"), ""); got != "0123456789" {
		t.Fatalf("consumer got %q, want 0123456789 in order", got)
	}
	if got := rec.payloads("axle/dev1/status"); len(got) != 1 || got[0] != `{"state":"online"}` {
		t.Fatalf("status messages %q, want one online", got)
	}
	// The status is retained: a backend that connects later sees it.
	late := &recorder{}
	uplinktest.NewConsumer(t, b.URL(), "late", late.message, "axle/dev1/status")
	uplinktest.WaitFor(t, wait, "retained online status", func() bool { return late.lastPayload("axle/dev1/status") == `{"state":"online"}` })

	cons.Publish(t, "axle/all/cmd", false, []byte(`{"verb":"ping"}`))
	select {
	case m := <-c.Messages():
		if m.Topic != "axle/all/cmd" || string(m.Payload) != `{"verb":"ping"}` || m.QoS != 1 {
			t.Fatalf("message = %+v", m)
		}
	case <-time.After(wait):
		t.Fatal("command not received")
	}

	uplinktest.WaitFor(t, wait, "in-flight back to 0", func() bool { return c.Stats().InFlight == 0 })
	s := c.Stats()
	if s.Publishes != 11 || s.Acked != 11 || s.Failures != 0 || s.Connects != 1 || s.Reconnects != 0 || s.Received != 1 || !s.Connected {
		t.Fatalf("stats = %+v, want 11 publishes (status + 10) all acked, 1 connect, 1 received", s)
	}
	if ev := events.eventsCopy(); len(ev) != 1 || ev[0].State != uplink.StateConnected || ev[0].Err != nil {
		t.Fatalf("events = %+v, want one clean connect", ev)
	}
}

func TestPublishRejectsBadInput(t *testing.T) {
	c, err := uplink.New(baseConfig("tcp://127.0.0.1:1", "dev1"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Publish(ctx, "a/b", 2, false, nil); err == nil || !strings.Contains(err.Error(), "QoS 2") {
		t.Fatalf("QoS 2: err = %v", err)
	}
	if _, err := c.Publish(ctx, "a/#", 1, false, nil); err == nil || !strings.Contains(err.Error(), "wildcard") {
		t.Fatalf("wildcard topic: err = %v", err)
	}
	if _, err := c.Publish(ctx, "a/b", 1, false, nil); !errors.Is(err, uplink.ErrNotConnected) {
		t.Fatalf("publish before Run: err = %v, want ErrNotConnected", err)
	}
	var zero uplink.Token
	if zero.Err() == nil {
		t.Fatal("zero Token reports success")
	}
}

func TestWillFiresOnCutAndClientReconnects(t *testing.T) {
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	p := uplinktest.NewProxy(t, b.Addr())
	rec := &recorder{}
	uplinktest.NewConsumer(t, b.URL(), "backend", rec.message, "axle/dev1/status")
	c, events := start(t, baseConfig(p.URL(), "dev1"))
	waitConnected(t, c)
	uplinktest.WaitFor(t, wait, "online status", func() bool { return rec.lastPayload("axle/dev1/status") == `{"state":"online"}` })

	p.Cut()
	uplinktest.WaitFor(t, wait, "the will (offline)", func() bool { return rec.lastPayload("axle/dev1/status") == `{"state":"offline"}` })
	uplinktest.WaitFor(t, wait, "disconnected event", func() bool { return events.count(uplink.StateDisconnected) == 1 })
	if _, err := c.Publish(context.Background(), "axle/dev1/x", 1, false, nil); !errors.Is(err, uplink.ErrNotConnected) {
		t.Fatalf("publish while cut: err = %v, want ErrNotConnected", err)
	}
	uplinktest.WaitFor(t, wait, "failed reconnect attempts", func() bool { return events.count(uplink.StateConnectFailed) >= 2 })

	p.Restore()
	uplinktest.WaitFor(t, wait, "reconnect", func() bool { return c.Stats().Reconnects == 1 })
	uplinktest.WaitFor(t, wait, "online again", func() bool { return rec.lastPayload("axle/dev1/status") == `{"state":"online"}` })

	evs := events.eventsCopy()
	if evs[0].State != uplink.StateConnected || evs[1].State != uplink.StateDisconnected || evs[len(evs)-1].State != uplink.StateConnected {
		t.Fatalf("event order %v, want connected, disconnected, (connect failed)*, connected", evs)
	}
	if !errors.Is(evs[1].Err, uplink.ErrConnectionLost) || evs[1].Retry <= 0 {
		t.Fatalf("disconnect event = %+v, want ErrConnectionLost and a retry delay", evs[1])
	}
	for i, ev := range evs[2 : len(evs)-1] {
		if ev.State != uplink.StateConnectFailed || ev.Err == nil || ev.Attempt != i+1 {
			t.Fatalf("event %d = %+v, want connect failed attempt %d with a reason", i+2, ev, i+1)
		}
		if ev.Retry < 10*time.Millisecond || ev.Retry > 200*time.Millisecond {
			t.Fatalf("retry %v outside [MinBackoff/2, MaxBackoff]", ev.Retry)
		}
	}
}

func TestCloseDisconnectsCleanly(t *testing.T) {
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	rec := &recorder{}
	cons := uplinktest.NewConsumer(t, b.URL(), "backend", rec.message, "axle/dev1/#")
	c, err := uplink.New(baseConfig(b.URL(), "dev1"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	waitConnected(t, c)
	uplinktest.WaitFor(t, wait, "online status", func() bool { return rec.lastPayload("axle/dev1/status") == `{"state":"online"}` })

	c.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after Close = %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after Close")
	}
	// A marker sent after Close arrives after anything the broker did on
	// our disconnect; the will must not be among it.
	cons.Publish(t, "axle/dev1/marker", false, []byte("m"))
	uplinktest.WaitFor(t, wait, "marker", func() bool { return len(rec.payloads("axle/dev1/marker")) == 1 })
	if got := rec.payloads("axle/dev1/status"); len(got) != 1 {
		t.Fatalf("status messages after clean Close: %q, want only the online one (no will)", got)
	}
	if err := c.Run(context.Background()); !errors.Is(err, uplink.ErrClosed) {
		t.Fatalf("Run after Close = %v, want ErrClosed", err)
	}
	if err := c.WaitConnected(context.Background()); !errors.Is(err, uplink.ErrClosed) {
		t.Fatalf("WaitConnected after Close = %v, want ErrClosed", err)
	}
	c.Close() // idempotent
}

func TestStalledLinkFailsInFlightAndBoundsWindow(t *testing.T) {
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	p := uplinktest.NewProxy(t, b.Addr())
	cfg := baseConfig(p.URL(), "dev1")
	cfg.KeepAlive = time.Second
	cfg.InFlight = 3
	c, events := start(t, cfg)
	waitConnected(t, c)
	uplinktest.WaitFor(t, wait, "status acked", func() bool { return c.Stats().InFlight == 0 })

	p.Stall()
	ctx := context.Background()
	var toks []uplink.Token
	for i := range 3 {
		tok, err := c.Publish(ctx, "axle/dev1/scores/m", 1, false, []byte("x"))
		if err != nil {
			t.Fatalf("publish %d into a stalled link: %v", i, err)
		}
		toks = append(toks, tok)
	}
	if n := c.Stats().InFlight; n != 3 {
		t.Fatalf("in flight = %d, want 3", n)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	_, err := c.Publish(short, "axle/dev1/scores/m", 1, false, []byte("x"))
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("publish beyond InFlight: err = %v, want it to wait and hit the deadline", err)
	}
	// Only the keepalive notices a silent link: PINGRESP missing.
	for i, tok := range toks {
		wctx, cancel := context.WithTimeout(ctx, wait)
		err := tok.Wait(wctx)
		cancel()
		if !errors.Is(err, uplink.ErrConnectionLost) {
			t.Fatalf("token %d after stall: %v, want ErrConnectionLost", i, err)
		}
	}
	uplinktest.WaitFor(t, wait, "disconnected event", func() bool { return events.count(uplink.StateDisconnected) == 1 })
	if s := c.Stats(); s.Failures != 3 || s.Connected {
		t.Fatalf("stats after stall = %+v, want 3 failures, not connected", s)
	}

	p.Restore()
	waitConnected(t, c)
	tok, err := c.Publish(ctx, "axle/dev1/scores/m", 1, false, []byte("y"))
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := tok.Wait(wctx); err != nil {
		t.Fatalf("publish after restore: %v", err)
	}
}

func TestResubscribesAfterBrokerRestart(t *testing.T) {
	for _, persist := range []bool{true, false} {
		name := "fresh broker"
		if persist {
			name = "persisted session"
		}
		t.Run(name, func(t *testing.T) {
			b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{Persistence: persist})
			c, events := start(t, baseConfig(b.URL(), "dev1"))
			waitConnected(t, c)
			b.Stop()
			uplinktest.WaitFor(t, wait, "disconnect", func() bool { return !c.Connected() })
			b.Start()
			uplinktest.WaitFor(t, wait, "reconnect", func() bool { return c.Stats().Reconnects == 1 })
			ev := events.lastEvent()
			if ev.State != uplink.StateConnected || ev.SessionPresent != persist {
				t.Fatalf("last event %+v, want connected with SessionPresent=%v", ev, persist)
			}

			rec := &recorder{}
			cons := uplinktest.NewConsumer(t, b.URL(), "backend", rec.message, "axle/dev1/status")
			uplinktest.WaitFor(t, wait, "retained online status after restart", func() bool { return rec.lastPayload("axle/dev1/status") == `{"state":"online"}` })
			cons.Publish(t, "axle/dev1/cmd", false, []byte("after-restart"))
			select {
			case m := <-c.Messages():
				if string(m.Payload) != "after-restart" {
					t.Fatalf("got %q", m.Payload)
				}
			case <-time.After(wait):
				t.Fatal("command after broker restart not received: not resubscribed")
			}
		})
	}
}

func TestMessagesDroppedWhenBufferFull(t *testing.T) {
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	cfg := baseConfig(b.URL(), "dev1")
	cfg.MessageBuffer = 2
	c, _ := start(t, cfg)
	waitConnected(t, c)
	cons := uplinktest.NewConsumer(t, b.URL(), "backend", func(string, []byte) {}, "none")
	for i := range 5 {
		cons.Publish(t, "axle/dev1/cmd", false, []byte{byte('a' + i)})
	}
	uplinktest.WaitFor(t, wait, "all 5 commands handled", func() bool { s := c.Stats(); return s.Received+s.Dropped == 5 })
	if s := c.Stats(); s.Received != 2 || s.Dropped != 3 {
		t.Fatalf("received %d dropped %d, want 2 and 3", s.Received, s.Dropped)
	}
	for _, want := range []string{"a", "b"} {
		if m := <-c.Messages(); string(m.Payload) != want {
			t.Fatalf("got %q, want %q", m.Payload, want)
		}
	}
}

func TestConnectFailuresBackOffUntilCancel(t *testing.T) {
	port := uplinktest.FreePort(t) // nothing listens here
	cfg := baseConfig("tcp://127.0.0.1:"+strconv.Itoa(port), "dev1")
	cfg.MinBackoff, cfg.MaxBackoff = 10*time.Millisecond, 80*time.Millisecond
	rec := &recorder{}
	cfg.OnConnEvent = rec.event
	c, err := uplink.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	uplinktest.WaitFor(t, wait, "5 failed attempts", func() bool { return rec.count(uplink.StateConnectFailed) >= 5 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil on cancel", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return on cancel")
	}
	evs := rec.eventsCopy()
	for i, ev := range evs[:5] {
		if ev.State != uplink.StateConnectFailed || ev.Attempt != i+1 || !strings.Contains(ev.Err.Error(), "connection refused") {
			t.Fatalf("event %d = %+v, want attempt %d refused", i, ev, i+1)
		}
		step := min(10*time.Millisecond<<i, 80*time.Millisecond)
		if ev.Retry < step/2 || ev.Retry > step {
			t.Fatalf("attempt %d retry %v, want within [%v, %v]", i+1, ev.Retry, step/2, step)
		}
	}
	if s := c.Stats(); s.Connects != 0 || s.ConnectFailures < 5 {
		t.Fatalf("stats %+v", s)
	}
}
