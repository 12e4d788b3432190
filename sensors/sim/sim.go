package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/pace"
)

// ErrClosed is returned by a Machine used after Close.
var ErrClosed = errors.New("sim: machine closed")

// Machine is a simulated pump. It implements sensors.Streamer. Read and
// Stream are for one goroutine; Inject and Close may be called from others.
type Machine struct {
	rate     float64
	realtime bool
	clock    pace.Clock
	burst    int
	sel      []int
	chans    []sensors.Channel

	mu      sync.Mutex // guards everything below
	gen     *model
	closed  bool
	started bool
	start   int64 // Unix ns of sample 0
	full    [numChannels]float64
	batch   sensors.Batch
}

// Open is the sensors.Opener of the "sim" driver; it needs no buses.
func Open(_ context.Context, spec sensors.Spec, _ sensors.Buses) (sensors.Sensor, error) {
	cfg, err := ConfigFromSpec(spec)
	if err != nil {
		return nil, err
	}
	return New(cfg)
}

// New builds a machine from cfg.
func New(cfg Config) (*Machine, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	m := &Machine{
		rate:     cfg.Rate,
		realtime: cfg.Realtime,
		clock:    cfg.Clock,
		burst:    max(1, int(math.Round(cfg.Rate*cfg.Burst.Seconds()))),
		gen:      newModel(&cfg),
	}
	if m.clock == nil {
		m.clock = pace.Wall{}
	}
	if !cfg.Start.IsZero() {
		m.started, m.start = true, cfg.Start.UnixNano()
	}
	if len(cfg.Channels) == 0 {
		for i := range numChannels {
			m.sel = append(m.sel, i)
		}
	}
	for _, name := range cfg.Channels {
		m.sel = append(m.sel, channelIndex(name))
	}
	for _, i := range m.sel {
		m.chans = append(m.chans, allChannels[i])
	}
	stride := len(m.sel)
	m.batch = sensors.Batch{
		Stride: stride,
		Times:  make([]int64, 0, m.burst),
		Values: make([]float64, 0, m.burst*stride),
		Valid:  make([]bool, 0, m.burst),
	}
	return m, nil
}

// Channels returns the configured channels of the pump.
func (m *Machine) Channels() []sensors.Channel { return m.chans }

// Inject adds a fault on command. f.Start is a delay from the next sample
// to be generated, so Start 0 means now.
func (m *Machine) Inject(f Fault) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("sim: inject: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f.Start += time.Duration(m.gen.now() * float64(time.Second))
	m.gen.add(f)
	return nil
}

// SimTime is the simulated time of the next sample since the first one.
func (m *Machine) SimTime() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return time.Duration(m.gen.now() * float64(time.Second))
}

// Read fills s with the next sample; in real time it first waits until the
// sample is due.
func (m *Machine) Read(ctx context.Context, s *sensors.Sample) error {
	m.mu.Lock()
	if err := m.begin(); err != nil {
		m.mu.Unlock()
		return err
	}
	t := m.next()
	if cap(s.Values) < len(m.sel) {
		s.Values = make([]float64, len(m.sel))
	}
	s.Values = s.Values[:len(m.sel)]
	s.Valid, s.Fault = true, ""
	for j, c := range m.sel {
		v := m.full[c]
		s.Values[j] = v
		if math.IsNaN(v) {
			s.Valid, s.Fault = false, string(Dropout)
		}
	}
	m.mu.Unlock()
	s.Time = time.Unix(0, t)
	if m.realtime {
		if err := m.clock.SleepUntil(ctx, s.Time); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Stream delivers bursts of Config.Burst worth of samples. In real time a
// burst is handed over once its last sample is due; a slow consumer gets
// the backlog as fast as it takes it, never a gap. It returns nil when ctx
// is done and fn's error (wrapped) when fn fails.
func (m *Machine) Stream(ctx context.Context, fn func(*sensors.Batch) error) error {
	for ctx.Err() == nil {
		m.mu.Lock()
		if err := m.begin(); err != nil {
			m.mu.Unlock()
			return err
		}
		b := &m.batch
		b.Times, b.Values, b.Valid = b.Times[:0], b.Values[:0], b.Valid[:0]
		for range m.burst {
			b.Times = append(b.Times, m.next())
			ok := true
			for _, c := range m.sel {
				v := m.full[c]
				b.Values = append(b.Values, v)
				ok = ok && !math.IsNaN(v)
			}
			b.Valid = append(b.Valid, ok)
		}
		m.mu.Unlock()
		if m.realtime {
			if m.clock.SleepUntil(ctx, time.Unix(0, b.Times[len(b.Times)-1])) != nil {
				return nil
			}
		}
		if err := fn(b); err != nil {
			return fmt.Errorf("sim: %w", err)
		}
	}
	return nil
}

// begin fixes the time of sample 0; m.mu is held.
func (m *Machine) begin() error {
	if m.closed {
		return ErrClosed
	}
	if !m.started {
		m.started, m.start = true, m.clock.Now().UnixNano()
	}
	return nil
}

// next generates one sample into m.full and returns its time; m.mu is held.
func (m *Machine) next() int64 {
	t := pace.SampleTime(m.start, m.gen.n, m.rate)
	m.gen.step(&m.full)
	return t
}

// Close stops the machine; later reads fail with ErrClosed.
func (m *Machine) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// InjectFault is Inject with plain arguments, so that a consumer (the
// agent's sim.fault command) can declare the interface without importing
// this package.
func (m *Machine) InjectFault(kind string, severity float64, ramp, duration time.Duration, channel string) error {
	return m.Inject(Fault{Kind: Kind(kind), Severity: severity, Ramp: ramp, Duration: duration, Channel: channel})
}
