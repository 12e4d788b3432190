package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink"
)

// Target is who a command goes to: Devices, or a Group, or All.
type Target struct {
	Devices []string
	Group   string
	All     bool
}

func (t Target) check() error {
	n := 0
	if len(t.Devices) > 0 {
		n++
	}
	if t.Group != "" {
		n++
	}
	if t.All {
		n++
	}
	if n != 1 {
		return errors.New("operator: target: give devices, a group or all, exactly one of them")
	}
	for _, d := range t.Devices {
		if err := fleet.ValidID(d); err != nil {
			return fmt.Errorf("operator: target device: %w", err)
		}
	}
	if t.Group != "" {
		if err := fleet.ValidID(t.Group); err != nil {
			return fmt.Errorf("operator: target group: %w", err)
		}
	}
	return nil
}

// NewCommand builds and signs a command with a fresh id; args may be nil.
func (c *Client) NewCommand(verb string, args json.RawMessage) (fleet.Command, []byte, error) {
	return c.newCommand(newID("op"), verb, args)
}

func (c *Client) newCommand(id, verb string, args json.RawMessage) (fleet.Command, []byte, error) {
	if c.cfg.Key == nil {
		return fleet.Command{}, nil, errors.New("operator: no signing key: commands must be signed (--sign-key)")
	}
	if verb == "" {
		return fleet.Command{}, nil, errors.New("operator: command verb is empty")
	}
	if len(args) > 0 && !json.Valid(args) {
		return fleet.Command{}, nil, fmt.Errorf("operator: command %s: args are not valid JSON", verb)
	}
	now := c.cfg.Now().UTC().Truncate(time.Millisecond)
	cmd := fleet.Command{V: fleet.Version, ID: id, Verb: verb, Args: args, IssuedAt: now, ExpiresAt: now.Add(c.cfg.CommandTTL)}
	b, err := fleet.SignCommand(cmd, *c.cfg.Key)
	if err != nil {
		return fleet.Command{}, nil, fmt.Errorf("operator: %w", err)
	}
	if len(b) > fleet.MaxCommandBytes {
		return fleet.Command{}, nil, fmt.Errorf("operator: command %s is %d bytes, agents take at most %d", verb, len(b), fleet.MaxCommandBytes)
	}
	return cmd, b, nil
}

// sendSigned publishes a signed command to the target's topics.
func (c *Client) sendSigned(ctx context.Context, t Target, payload []byte) error {
	top := fleet.Topics{Prefix: c.prefix}
	var topics []string
	switch {
	case t.All:
		topics = []string{top.AllCommand()}
	case t.Group != "":
		topics = []string{top.GroupCommand(t.Group)}
	default:
		for _, d := range t.Devices {
			topics = append(topics, fleet.Topics{Prefix: c.prefix, Device: d}.Command())
		}
	}
	return c.publishAll(ctx, topics, payload)
}

// publishAll sends payload to every topic at QoS1 with up to the uplink's
// in-flight limit outstanding (a wave of 5,000 devices does not wait 5,000
// round trips), and sends again what a lost connection left unacknowledged;
// agents deduplicate commands by id.
func (c *Client) publishAll(ctx context.Context, topics []string, payload []byte) error {
	for len(topics) > 0 {
		if err := c.cl.WaitConnected(ctx); err != nil {
			return fmt.Errorf("operator: send: %w", err)
		}
		type sent struct {
			topic string
			tok   uplink.Token
		}
		var pending []sent
		var retry []string
		for i, tp := range topics {
			tok, err := c.cl.Publish(ctx, tp, 1, false, payload)
			if errors.Is(err, uplink.ErrNotConnected) || errors.Is(err, uplink.ErrConnectionLost) {
				retry = append(retry, topics[i:]...)
				break
			}
			if err != nil {
				return fmt.Errorf("operator: send to %s: %w", tp, err)
			}
			pending = append(pending, sent{tp, tok})
		}
		for _, p := range pending {
			if err := p.tok.Wait(ctx); err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("operator: send to %s: %w", p.topic, err)
				}
				retry = append(retry, p.topic)
			}
		}
		topics = retry
	}
	return nil
}

// Outcome is what came back for one command.
type Outcome struct {
	Command fleet.Command
	// Results holds exactly one final result per device that answered.
	Results map[string]fleet.Result
	// Expected lists the devices an answer was awaited from, sorted.
	Expected []string
	// Missing lists the expected devices that did not answer, sorted.
	Missing []string
}

// OK reports whether every expected device answered done.
func (o Outcome) OK() bool {
	if len(o.Missing) > 0 {
		return false
	}
	for _, r := range o.Results {
		if r.Status != fleet.ResultDone {
			return false
		}
	}
	return true
}

// collector gathers final results for one command id.
type collector struct {
	id   string
	mu   sync.Mutex
	res  map[string]fleet.Result
	want map[string]bool // nil: count whoever answers
	all  chan struct{}
	once sync.Once
}

func (col *collector) on(m Msg) {
	if m.Kind != "result" || len(m.Payload) > MaxStatusBytes {
		return
	}
	var r fleet.Result
	if json.Unmarshal(m.Payload, &r) != nil || r.ID != col.id {
		return
	}
	switch r.Status {
	case fleet.ResultDone, fleet.ResultFailed, fleet.ResultRejected:
	default:
		return // accepted, or something unknown: not final
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if _, dup := col.res[m.Device]; dup {
		return // at-least-once delivery: the first final result counts
	}
	col.res[m.Device] = r
	if col.want == nil {
		return
	}
	for d := range col.want {
		if _, ok := col.res[d]; !ok {
			return
		}
	}
	col.once.Do(func() { close(col.all) })
}

// Command sends verb with args to t and collects one final result per
// device until every expected device answered or timeout passed. The
// expected devices are t.Devices, the members of t.Group (Members) or
// every device with a status that is not offline (t.All); devices that
// answer without being expected are reported too.
func (c *Client) Command(ctx context.Context, t Target, verb string, args json.RawMessage, timeout time.Duration) (Outcome, error) {
	if err := t.check(); err != nil {
		return Outcome{}, err
	}
	if err := c.Sync(ctx); err != nil {
		return Outcome{}, err
	}
	var expected []string
	switch {
	case len(t.Devices) > 0:
		expected = slices.Clone(t.Devices)
	case t.Group != "":
		expected = c.statusMembers(t.Group)
	default:
		expected = c.onlineDevices()
	}
	slices.Sort(expected)
	expected = slices.Compact(expected)
	cmd, payload, err := c.NewCommand(verb, args)
	if err != nil {
		return Outcome{}, err
	}
	col := &collector{id: cmd.ID, res: map[string]fleet.Result{}, want: map[string]bool{}, all: make(chan struct{})}
	for _, d := range expected {
		col.want[d] = true
	}
	if len(expected) == 0 {
		col.want = nil
	}
	stop := c.listen(col.on)
	defer stop()
	if err := c.sendSigned(ctx, t, payload); err != nil {
		return Outcome{}, err
	}
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	select {
	case <-col.all:
	case <-tm.C:
	case <-ctx.Done():
		return Outcome{}, fmt.Errorf("operator: command %s: %w", cmd.ID, ctx.Err())
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	out := Outcome{Command: cmd, Results: map[string]fleet.Result{}, Expected: expected}
	for d, r := range col.res {
		out.Results[d] = r
	}
	for _, d := range expected {
		if _, ok := out.Results[d]; !ok {
			out.Missing = append(out.Missing, d)
		}
	}
	return out, nil
}

// statusMembers lists the devices whose status names group.
func (c *Client) statusMembers(group string) []string {
	var out []string
	for id, st := range c.Statuses() {
		if slices.Contains(st.Groups, group) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (c *Client) onlineDevices() []string {
	var out []string
	for id, st := range c.Statuses() {
		if st.State != fleet.StateOffline {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Members lists the devices of group: those whose status names it, and
// those answering a ping sent to the group's topic within timeout (agents
// that do not publish their groups). Offline devices whose status names
// the group are included. An empty group "" means the whole fleet.
func (c *Client) Members(ctx context.Context, group string, timeout time.Duration) ([]string, error) {
	if err := c.Sync(ctx); err != nil {
		return nil, err
	}
	if group == "" {
		ids := slices.Sorted(func(yield func(string) bool) {
			for id := range c.Statuses() {
				if !yield(id) {
					return
				}
			}
		})
		return ids, nil
	}
	known := c.statusMembers(group)
	out, err := c.Command(ctx, Target{Group: group}, fleet.VerbPing, nil, timeout)
	if err != nil {
		return nil, err
	}
	for d := range out.Results {
		known = append(known, d)
	}
	slices.Sort(known)
	return slices.Compact(known), nil
}
