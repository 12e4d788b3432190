package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/fleet/rollout"
)

// ErrTakenOver is returned by a rollout driver that saw another operator
// process take the rollout over (resume or abort from another shell).
var ErrTakenOver = errors.New("operator: rollout taken over by another operator")

// ErrNoRollout is returned (wrapped) for a rollout id with no retained state.
var ErrNoRollout = errors.New("no state retained")

// RolloutOptions tune Deploy, Resume and Abort.
type RolloutOptions struct {
	// Progress, when set, gets one line whenever the rollout's figures
	// change. It runs on the driving goroutine.
	Progress func(line string)
	// Tick is how often silence (Policy.LostAfter) is checked; default 1s.
	Tick time.Duration
	// Probation, when set, is passed as the "probation" member of the
	// model.deploy args.
	Probation json.RawMessage
	// PersistEvery bounds how often the retained state is republished for
	// results alone (a 10,000-device state is about 1.75 MB); commands and
	// phase changes are published at once. Default 2s.
	PersistEvery time.Duration
	// ShadowProgressEvery bounds how often Progress gets a line for new
	// shadow figures alone; a change of phase or device state is a line at
	// once. Default 5s.
	ShadowProgressEvery time.Duration
}

// RolloutTopic is where the state of rollout id is retained.
func (c *Client) RolloutTopic(id string) string { return c.prefix + "/rollouts/" + id }

// LoadRollout returns the retained state of rollout id.
func (c *Client) LoadRollout(ctx context.Context, id string) (*rollout.State, error) {
	if err := fleet.ValidID(id); err != nil {
		return nil, fmt.Errorf("operator: rollout: %w", err)
	}
	if err := c.Sync(ctx); err != nil {
		return nil, err
	}
	c.mu.Lock()
	raw := c.rollouts[id]
	c.mu.Unlock()
	if len(raw) == 0 {
		return nil, fmt.Errorf("operator: rollout %s: %w on %s", id, ErrNoRollout, c.RolloutTopic(id))
	}
	s, err := rollout.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("operator: rollout %s on %s: %w", id, c.RolloutTopic(id), err)
	}
	return s, nil
}

// Deploy plans a rollout of b to devices in waves and drives it to its
// end (completed or aborted), publishing its state retained after every
// change. An id already on the broker is refused.
func (c *Client) Deploy(ctx context.Context, id string, b rollout.Bundle, devices []string, waves []float64, p rollout.Policy, o RolloutOptions) (*rollout.State, error) {
	if old, err := c.LoadRollout(ctx, id); err == nil {
		return nil, fmt.Errorf("operator: rollout %s exists already (phase %s); resume it or pick another id", id, old.Phase)
	} else if !errors.Is(err, ErrNoRollout) {
		return nil, err
	}
	s, err := rollout.New(id, b, devices, waves, p, c.cfg.Now())
	if err != nil {
		return nil, fmt.Errorf("operator: %w", err)
	}
	return c.drive(ctx, s, nil, o)
}

// Resume picks rollout id up from its retained state: devices whose status
// already shows the new version count as changed, commands without a
// result are sent again under a fresh id, and the rollout goes on.
func (c *Client) Resume(ctx context.Context, id string, o RolloutOptions) (*rollout.State, error) {
	s, err := c.LoadRollout(ctx, id)
	if err != nil {
		return nil, err
	}
	if s.Done() {
		return s, nil
	}
	now := c.cfg.Now()
	deploying := map[string]bool{}
	for dev, st := range c.Statuses() {
		applyStatus(s, dev, st.Status, now)
		deploying[dev] = deployingVersion(st.Status, s.Bundle)
	}
	return c.drive(ctx, s, s.ResendExcept(now, deploying), o)
}

// deployingVersion says whether st shows b's deployment in progress.
func deployingVersion(st fleet.Status, b rollout.Bundle) bool {
	for _, m := range st.Models {
		if m.Name == b.Model && m.Deployment != nil && m.Deployment.Version == b.Version {
			return true
		}
	}
	return false
}

// Abort stops rollout id and rolls back the devices it changed.
func (c *Client) Abort(ctx context.Context, id, reason string, o RolloutOptions) (*rollout.State, error) {
	s, err := c.LoadRollout(ctx, id)
	if err != nil {
		return nil, err
	}
	if s.Done() {
		return s, fmt.Errorf("operator: rollout %s is %s already", id, s.Phase)
	}
	now := c.cfg.Now()
	deploying := map[string]bool{}
	for dev, st := range c.Statuses() {
		applyStatus(s, dev, st.Status, now)
		deploying[dev] = deployingVersion(st.Status, s.Bundle)
	}
	resend := s.ResendExcept(now, deploying) // commands of an abort under way
	s.Abort(reason, now)
	return c.drive(ctx, s, resend, o)
}

// applyStatus feeds a device status into s.
func applyStatus(s *rollout.State, dev string, st fleet.Status, now time.Time) bool {
	if st.State == fleet.StateOffline {
		return s.Offline(dev, st.Reason, now)
	}
	for _, m := range st.Models {
		if m.Name != s.Bundle.Model {
			continue
		}
		if m.Version == s.Bundle.Version && m.State != fleet.ModelFailed && m.State != "rolled_back" {
			return s.Reported(dev, m.Version, now)
		}
		if m.Shadow != nil {
			return s.ShadowReport(dev, *m.Shadow, false, now)
		}
	}
	return false
}

// shadowEvent is the comparison in a shadow event for s's model, if any.
func shadowEvent(s *rollout.State, e fleet.Event) (fleet.ShadowStatus, bool) {
	var st fleet.ShadowStatus
	if e.Kind != fleet.EventShadow || s.Policy.Shadow == nil {
		return st, false
	}
	if model, _ := e.Data["model"].(string); model != s.Bundle.Model {
		return st, false
	}
	b, err := json.Marshal(e.Data)
	if err != nil || json.Unmarshal(b, &st) != nil {
		return st, false
	}
	return st, true
}

// drive runs s to its end; first are commands to send before anything
// else (a resume's resends).
func (c *Client) drive(ctx context.Context, s *rollout.State, first []rollout.Action, o RolloutOptions) (*rollout.State, error) {
	if o.Tick <= 0 {
		o.Tick = time.Second
	}
	if o.PersistEvery <= 0 {
		o.PersistEvery = 2 * time.Second
	}
	if o.ShadowProgressEvery <= 0 {
		o.ShadowProgressEvery = 5 * time.Second
	}
	me := newID("driver")
	s.Driver = me
	var (
		mu    sync.Mutex
		taken string
		wake  = make(chan struct{}, 1)
		poke  = func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		}
		topic    = c.RolloutTopic(s.ID)
		lastPub  time.Time // UpdatedAt of the state last published
		pubAt    time.Time // when it was published
		lastStep string
		lastLine string
		lastKey  string    // lastLine without the shadow figures
		lineAt   time.Time // when lastLine was printed
	)
	stop := c.listen(func(m Msg) {
		mu.Lock()
		defer mu.Unlock()
		changed := false
		switch m.Kind {
		case "result":
			var r fleet.Result
			if len(m.Payload) <= MaxStatusBytes && json.Unmarshal(m.Payload, &r) == nil && r.Status != fleet.ResultAccepted {
				changed = s.Result(m.Device, r.ID, r.Status, r.Error, m.At)
			}
		case "events":
			var e fleet.Event
			if len(m.Payload) > MaxStatusBytes || json.Unmarshal(m.Payload, &e) != nil {
				break
			}
			if st, ok := shadowEvent(s, e); ok {
				changed = s.ShadowReport(m.Device, st, true, m.At)
			}
			if e.Kind == fleet.EventDeployment {
				gate, _ := e.Data["gate"].(string)
				model, _ := e.Data["model"].(string)
				version, _ := e.Data["version"].(string)
				if gate != "" && model == s.Bundle.Model {
					changed = s.Gate(m.Device, version, gate, m.At)
				}
			}
		case "status":
			var st fleet.Status
			if len(m.Payload) <= MaxStatusBytes && json.Unmarshal(m.Payload, &st) == nil {
				changed = applyStatus(s, m.Device, st, m.At)
			}
		case "rollout":
			if m.Device == s.ID && len(m.Payload) <= rollout.MaxStateBytes {
				var other struct {
					Driver string `json:"driver"`
				}
				if json.Unmarshal(m.Payload, &other) == nil && other.Driver != "" && other.Driver != me {
					taken, changed = other.Driver, true
				}
			}
		}
		if !m.Retained && m.Kind != "rollout" && m.Kind != "probe" {
			s.Seen(m.Device, m.At)
		}
		if changed {
			poke()
		}
	})
	defer stop()

	send := func(a rollout.Action) error {
		var args any
		switch a.Verb {
		case fleet.VerbModelDeploy:
			d := map[string]any{"model": s.Bundle.Model, "version": s.Bundle.Version, "sha256": s.Bundle.SHA256,
				"size": s.Bundle.Size, "source": map[string]string{"kind": "mqtt"}}
			if len(o.Probation) > 0 {
				d["probation"] = o.Probation
			}
			if s.Policy.Shadow != nil {
				d["mode"] = fleet.ModeShadow
			}
			args = d
		default:
			args = map[string]string{"model": s.Bundle.Model}
		}
		raw, err := json.Marshal(args)
		if err != nil {
			return err
		}
		_, payload, err := c.newCommand(a.Command, a.Verb, raw)
		if err != nil {
			return err
		}
		return c.sendSigned(ctx, Target{Devices: a.Devices}, payload)
	}
	tick := time.NewTicker(o.Tick)
	defer tick.Stop()
	for {
		mu.Lock()
		if taken != "" {
			mu.Unlock()
			return s, fmt.Errorf("%w (%s)", ErrTakenOver, taken)
		}
		acts := append(first, s.Advance(c.cfg.Now())...)
		first = nil
		var payload []byte
		var err error
		step := fmt.Sprint(s.Phase, s.Wave, s.Waves[s.Wave].Phase)
		now := time.Now()
		if len(acts) > 0 || step != lastStep || (!s.UpdatedAt.Equal(lastPub) && now.Sub(pubAt) >= o.PersistEvery) {
			lastPub, pubAt, lastStep = s.UpdatedAt, now, step
			payload, err = s.Encode()
		}
		line := progressLine(s)
		key := progressKey(s)
		done, deadline := s.Done(), s.Deadline()
		mu.Unlock()
		if err != nil {
			return s, err
		}
		// The state goes out before the commands: a resumed driver then
		// knows every device that may have been sent something.
		if payload != nil {
			if err := c.publish(ctx, topic, true, payload); err != nil {
				return s, fmt.Errorf("operator: rollout %s: publish state: %w", s.ID, err)
			}
		}
		for _, a := range acts {
			if err := send(a); err != nil {
				return s, fmt.Errorf("operator: rollout %s: %w", s.ID, err)
			}
			if o.Progress != nil {
				o.Progress(fmt.Sprintf("wave %d/%d: sent %s to %d devices: %s", a.Wave+1, len(s.Waves), a.Verb, len(a.Devices), listSome(a.Devices, 10)))
			}
		}
		// New shadow figures alone (every device, every metrics interval)
		// refresh the line at most every ShadowProgressEvery.
		if o.Progress != nil && line != lastLine && (key != lastKey || time.Since(lineAt) >= o.ShadowProgressEvery) {
			lastKey, lineAt = key, time.Now()
			o.Progress(line)
			lastLine = line
		}
		if done {
			return s, nil
		}
		if len(acts) > 0 {
			continue
		}
		if err := wait(ctx, wake, tick.C, deadline, c.cfg.Now()); err != nil {
			return s, fmt.Errorf("operator: rollout %s: %w", s.ID, err)
		}
	}
}

// progressLine summarises the rollout in one line.
func progressLine(s *rollout.State) string {
	switch s.Phase {
	case rollout.PhaseCompleted:
		return fmt.Sprintf("rollout %s completed: %s %s on %d devices", s.ID, s.Bundle.Model, s.Bundle.Version, len(s.Devices))
	case rollout.PhaseAborting, rollout.PhaseAborted:
		return fmt.Sprintf("rollout %s %s: %s; %s", s.ID, s.Phase, s.Reason, counts(s, -1))
	}
	w := s.Waves[s.Wave]
	extra := ""
	switch w.Phase {
	case rollout.WaveSoaking:
		extra = " until " + w.SoakUntil.Format(time.TimeOnly)
	case rollout.WaveShadowing:
		extra = " until " + w.ShadowUntil.Format(time.TimeOnly) + shadowSummary(s, w.Devices)
	}
	return fmt.Sprintf("wave %d/%d (%g%%, %d devices) %s%s: %s", s.Wave+1, len(s.Waves), w.Percent, len(w.Devices), w.Phase, extra, counts(s, s.Wave))
}

// progressKey is the progress line without the shadow figures but with
// how many devices have them.
func progressKey(s *rollout.State) string {
	w := s.Waves[s.Wave]
	if s.Phase != rollout.PhaseRunning || w.Phase != rollout.WaveShadowing {
		return progressLine(s)
	}
	n := 0
	for _, id := range w.Devices {
		if s.Devices[id].Shadow != nil {
			n++
		}
	}
	return fmt.Sprint(s.Phase, s.Wave, w.Phase, n, counts(s, s.Wave))
}

// shadowSummary is ", figures from 3/4 devices: agreement >= 0.97, p95
// |diff| <= 0.012, windows >= 240": the worst of the figures so far.
func shadowSummary(s *rollout.State, devices []string) string {
	n, minAgree, maxP95, minWin := 0, 1.0, 0.0, int64(-1)
	for _, id := range devices {
		f := s.Devices[id].Shadow
		if f == nil {
			continue
		}
		n++
		minAgree, maxP95 = min(minAgree, f.Agreement), max(maxP95, f.P95Diff)
		if minWin < 0 || f.Windows < minWin {
			minWin = f.Windows
		}
	}
	if n == 0 {
		return ", no figures yet"
	}
	return fmt.Sprintf(", figures from %d/%d devices: agreement >= %.3f, p95 |diff| <= %.3g, windows >= %d", n, len(devices), minAgree, maxP95, minWin)
}

// counts is "done 3, sent 1" for wave w, or for all devices when w < 0.
func counts(s *rollout.State, w int) string {
	m := map[rollout.DeviceState]int{}
	if w >= 0 {
		m = s.Counts(w)
	} else {
		for _, d := range s.Devices {
			m[d.State]++
		}
	}
	var parts []string
	for st, n := range m {
		parts = append(parts, fmt.Sprintf("%s %d", st, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// wait returns on a wake-up, a tick or the deadline (if set).
func wait(ctx context.Context, wake <-chan struct{}, tick <-chan time.Time, deadline, now time.Time) error {
	var timer <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(max(deadline.Sub(now), 0))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-wake:
	case <-timer:
	case <-tick:
	}
	return nil
}

// listSome joins up to n names, so a wave of thousands stays one short line.
func listSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, " ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], " "), len(names)-n)
}
