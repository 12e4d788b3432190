package operator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/trust"
)

// Config is one operator connection.
type Config struct {
	// MQTT is the broker connection; ClientID must be unique among the
	// broker's clients (the session persists, so a stable id per operator
	// workstation keeps the broker's session count bounded).
	MQTT   uplink.Config
	Prefix string // topic prefix; default fleet.DefaultPrefix
	// Key signs every command; commands cannot be sent without it.
	Key *trust.SecretKey
	// CommandTTL is how long a command stays valid (expires_at); default
	// 1h, and agents refuse more than their commands.max_expiry (24h).
	CommandTTL time.Duration
	// Scores also subscribes to scores, shadow candidates' scores and
	// metrics, for watching.
	Scores bool
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// DeviceStatus is a retained status as the operator sees it. Groups is
// read when the agent publishes it; membership is otherwise learned by
// asking the group (see Members).
type DeviceStatus struct {
	fleet.Status
	Groups []string `json:"groups,omitempty"`
	// Backlog is the outbox backlog when the agent reports it.
	Backlog *int64 `json:"backlog,omitempty"`
	// Received is when the operator last got this status.
	Received time.Time `json:"-"`
}

// Msg is one message from the fleet, by kind.
type Msg struct {
	Kind     string // "status", "result", "events", "scores", "shadow", "metrics", "rollout", "probe"
	Device   string // device id, or rollout id for Kind "rollout"
	Sub      string // model for scores and shadow
	Topic    string
	Payload  []byte
	Retained bool
	At       time.Time
}

// Client is a connected operator.
type Client struct {
	cfg    Config
	prefix string
	cl     *uplink.Client
	cancel context.CancelFunc
	wg     sync.WaitGroup
	probe  string

	mu        sync.Mutex
	statuses  map[string]DeviceStatus
	rollouts  map[string][]byte // retained rollout states by id
	lastSeen  map[string]time.Time
	listeners map[int]func(Msg)
	nextL     int
}

// MaxStatusBytes bounds a status before it is decoded.
const MaxStatusBytes = 64 << 10

// Dial connects to the broker and starts reading; Close stops it.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = fleet.DefaultPrefix
	}
	if cfg.CommandTTL == 0 {
		cfg.CommandTTL = time.Hour
	}
	if cfg.CommandTTL < 0 {
		return nil, fmt.Errorf("operator: command TTL %v is negative", cfg.CommandTTL)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := cfg.Prefix
	m := cfg.MQTT
	c := &Client{cfg: cfg, prefix: p, probe: p + "/operator/probe/" + sanitize(m.ClientID),
		statuses: map[string]DeviceStatus{}, rollouts: map[string][]byte{}, lastSeen: map[string]time.Time{}, listeners: map[int]func(Msg){}}
	m.Subscribe = append(slices.Clone(m.Subscribe), p+"/+/status", p+"/+/result", p+"/+/events", p+"/rollouts/+", c.probe)
	if cfg.Scores {
		m.Subscribe = append(m.Subscribe, p+"/+/scores/+", p+"/+/shadow/+", p+"/+/metrics")
	}
	if m.MessageBuffer == 0 {
		// Retained statuses of a large fleet arrive in one burst at SUBACK.
		m.MessageBuffer = 16384
	}
	cl, err := uplink.New(m)
	if err != nil {
		return nil, fmt.Errorf("operator: %w", err)
	}
	c.cl = cl
	rctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.wg.Go(func() { _ = cl.Run(rctx) })
	c.wg.Go(func() { c.read(rctx) })
	if err := cl.WaitConnected(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("operator: connect to %s: %w", m.Broker, err)
	}
	return c, nil
}

// sanitize keeps a client id usable as one topic level.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '+' || r == '#' {
			return '_'
		}
		return r
	}, s)
}

// Close disconnects and waits for the goroutines.
func (c *Client) Close() {
	c.cancel()
	c.cl.Close()
	c.wg.Wait()
}

// Prefix is the topic prefix.
func (c *Client) Prefix() string { return c.prefix }

func (c *Client) read(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-c.cl.Messages():
			c.dispatch(m)
		}
	}
}

// parse classifies a topic under the prefix.
func (c *Client) parse(topic string) (kind, id, sub string, ok bool) {
	rest, found := strings.CutPrefix(topic, c.prefix+"/")
	if !found {
		return "", "", "", false
	}
	if topic == c.probe {
		return "probe", "", "", true
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 2 && parts[0] == "rollouts":
		return "rollout", parts[1], "", true
	case len(parts) == 2 && (parts[1] == "status" || parts[1] == "result" || parts[1] == "events" || parts[1] == "metrics"):
		return parts[1], parts[0], "", true
	case len(parts) == 3 && (parts[1] == "scores" || parts[1] == "shadow"):
		return parts[1], parts[0], parts[2], true
	}
	return "", "", "", false
}

func (c *Client) dispatch(m uplink.Message) {
	kind, id, sub, ok := c.parse(m.Topic)
	if !ok {
		return
	}
	now := c.cfg.Now()
	msg := Msg{Kind: kind, Device: id, Sub: sub, Topic: m.Topic, Payload: m.Payload, Retained: m.Retained, At: now}
	c.mu.Lock()
	if kind == "status" && len(m.Payload) <= MaxStatusBytes {
		var st DeviceStatus
		if json.Unmarshal(m.Payload, &st) == nil && st.Device == id {
			st.Received = now
			c.statuses[id] = st
		}
	}
	if kind == "rollout" {
		if len(m.Payload) == 0 {
			delete(c.rollouts, id) // retained state cleared
		} else {
			c.rollouts[id] = m.Payload
		}
	}
	if kind != "rollout" && kind != "probe" && !m.Retained {
		c.lastSeen[id] = now
	}
	ls := make([]func(Msg), 0, len(c.listeners))
	for _, k := range slices.Sorted(maps.Keys(c.listeners)) {
		ls = append(ls, c.listeners[k])
	}
	c.mu.Unlock()
	for _, l := range ls {
		l(msg)
	}
}

// Listen registers f for every message until the returned func is called.
// f runs on the reading goroutine and must not block.
func (c *Client) Listen(f func(Msg)) (stop func()) { return c.listen(f) }

func (c *Client) listen(f func(Msg)) (stop func()) {
	c.mu.Lock()
	k := c.nextL
	c.nextL++
	c.listeners[k] = f
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		delete(c.listeners, k)
		c.mu.Unlock()
	}
}

// Sync returns once every retained message of the subscriptions has
// arrived: it publishes a probe to its own topic, which the broker sends
// after what it sent at SUBACK.
func (c *Client) Sync(ctx context.Context) error {
	nonce := newID("sync")
	got := make(chan struct{})
	var once sync.Once
	stop := c.listen(func(m Msg) {
		if m.Kind == "probe" && string(m.Payload) == nonce {
			once.Do(func() { close(got) })
		}
	})
	defer stop()
	if err := c.publish(ctx, c.probe, false, []byte(nonce)); err != nil {
		return fmt.Errorf("operator: sync: %w", err)
	}
	select {
	case <-got:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("operator: sync: %w", ctx.Err())
	}
}

// publish sends at QoS1 and waits for the PUBACK, waiting for the
// connection when it is down.
func (c *Client) publish(ctx context.Context, topic string, retained bool, payload []byte) error {
	for {
		if err := c.cl.WaitConnected(ctx); err != nil {
			return err
		}
		tok, err := c.cl.Publish(ctx, topic, 1, retained, payload)
		if err == nil {
			err = tok.Wait(ctx)
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, uplink.ErrNotConnected) && !errors.Is(err, uplink.ErrConnectionLost) {
			return err
		}
	}
}

// Statuses returns the retained statuses seen so far, by device.
func (c *Client) Statuses() map[string]DeviceStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]DeviceStatus, len(c.statuses))
	for k, v := range c.statuses {
		out[k] = v
	}
	return out
}

// LastSeen is when anything live was last heard from device.
func (c *Client) LastSeen(device string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastSeen[device]
}

func newID(kind string) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return kind + "-" + hex.EncodeToString(b[:])
}
