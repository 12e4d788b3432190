package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/pace"
)

// ErrEnd is returned by Read and Stream after the last row of a recording
// that does not loop. It wraps sensors.ErrEnd and io.EOF.
var ErrEnd = fmt.Errorf("replay: end of recording: %w: %w", sensors.ErrEnd, io.EOF)

// ErrClosed is returned by a Player used after Close.
var ErrClosed = errors.New("replay: closed")

// maxBatch bounds a Stream batch whatever the rate and burst.
const maxBatch = 8192

// Player replays a recording. It implements sensors.Streamer; it is used by
// one goroutine, and Close may come from another.
type Player struct {
	cfg   Config
	clock pace.Clock
	chans []sensors.Channel

	mu      sync.Mutex // guards the file and the state below
	f       *os.File
	src     *source
	closed  bool
	started bool
	start   int64 // Unix ns of the first sample
	n       int64 // samples read, over all loops
	rows    int64 // rows read in this pass
	// Time-column mode: data time of a row = t - first + shift.
	first, prev, lastButOne, shift int64
	// The next sample, read ahead by Stream when it closes a batch.
	pending    bool
	pendingOff int64
	vals       []float64
	batch      sensors.Batch
}

// Open is the sensors.Opener of the "replay" driver; it needs no buses.
func Open(_ context.Context, spec sensors.Spec, _ sensors.Buses) (sensors.Sensor, error) {
	cfg, err := ConfigFromSpec(spec)
	if err != nil {
		return nil, err
	}
	return New(cfg)
}

// New opens the recording, checks its header and first row against cfg and
// returns a player positioned at the first row.
func New(cfg Config) (*Player, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	f, err := os.Open(cfg.File)
	if err != nil {
		return nil, fmt.Errorf("replay: option file: %w", err)
	}
	src, err := newSource(cfg.File, f, &cfg)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("replay: %w", err)
	}
	p := &Player{cfg: cfg, clock: cfg.Clock, f: f, src: src}
	if p.clock == nil {
		p.clock = pace.Wall{}
	}
	if !cfg.Start.IsZero() {
		p.started, p.start = true, cfg.Start.UnixNano()
	}
	if len(cfg.Columns) == 0 {
		for _, k := range src.idx {
			p.chans = append(p.chans, sensors.Channel{Name: src.channelName(k)})
		}
	}
	for _, col := range cfg.Columns {
		ch := sensors.Channel{Name: col.Name, Unit: col.Unit}
		if col.Min != nil || col.Max != nil {
			ch.Min, ch.Max = math.Inf(-1), math.Inf(1)
			if col.Min != nil {
				ch.Min = *col.Min
			}
			if col.Max != nil {
				ch.Max = *col.Max
			}
		}
		p.chans = append(p.chans, ch)
	}
	p.vals = make([]float64, len(p.chans))
	return p, nil
}

// Channels returns the mapped columns.
func (p *Player) Channels() []sensors.Channel { return p.chans }

// Read fills s with the next row; in real time it first waits until the row
// is due at the configured speed.
func (p *Player) Read(ctx context.Context, s *sensors.Sample) error {
	p.mu.Lock()
	off, err := p.take()
	if err != nil {
		p.mu.Unlock()
		return err
	}
	if cap(s.Values) < len(p.vals) {
		s.Values = make([]float64, len(p.vals))
	}
	s.Values = s.Values[:len(p.vals)]
	copy(s.Values, p.vals)
	s.Time = time.Unix(0, p.start+off)
	s.Valid, s.Fault = true, ""
	p.mu.Unlock()
	if err := p.wait(ctx, off); err != nil {
		return err
	}
	return ctx.Err()
}

// Stream delivers rows in batches of Config.Burst of data time, each once
// its last row is due. Without Loop it returns ErrEnd after delivering the
// last row; a bad row ends it with an error naming the file and line, after
// the rows before it were delivered.
func (p *Player) Stream(ctx context.Context, fn func(*sensors.Batch) error) error {
	stride := len(p.chans)
	b := &p.batch
	b.Stride = stride
	burst := p.cfg.Burst.Nanoseconds()
	for ctx.Err() == nil {
		b.Times, b.Values, b.Valid = b.Times[:0], b.Values[:0], b.Valid[:0]
		var firstOff, lastOff int64
		var end error
		p.mu.Lock()
		for b.Len() < maxBatch {
			if !p.pending {
				off, err := p.read()
				if err != nil && b.Len() > 0 {
					end = err // deliver what came before it first
					break
				}
				if err != nil {
					p.mu.Unlock()
					return err
				}
				p.pending, p.pendingOff = true, off
			}
			if b.Len() == 0 {
				firstOff = p.pendingOff
			} else if p.pendingOff-firstOff >= burst {
				break
			}
			p.pending, lastOff = false, p.pendingOff
			b.Times = append(b.Times, p.start+lastOff)
			b.Values = append(b.Values, p.vals...)
			b.Valid = append(b.Valid, true)
		}
		p.mu.Unlock()
		if p.wait(ctx, lastOff) != nil {
			return nil
		}
		if err := fn(b); err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		if end != nil {
			return end
		}
	}
	return nil
}

// take returns the pending sample or reads the next one; p.mu is held.
func (p *Player) take() (int64, error) {
	if p.pending {
		p.pending = false
		return p.pendingOff, nil
	}
	return p.read()
}

// read reads the next row into p.vals and returns its data time offset
// from the first sample; p.mu is held.
func (p *Player) read() (int64, error) {
	if p.closed {
		return 0, ErrClosed
	}
	if !p.started {
		p.started, p.start = true, p.clock.Now().UnixNano()
	}
	for {
		t, err := p.src.next(p.vals)
		if errors.Is(err, io.EOF) {
			if !p.cfg.Loop {
				return 0, ErrEnd
			}
			if p.rows == 0 {
				return 0, fmt.Errorf("replay: %s: no data rows left to loop over", p.cfg.File)
			}
			if err := p.src.rewind(); err != nil {
				return 0, fmt.Errorf("replay: %w", err)
			}
			if p.src.timeIdx >= 0 {
				// The next pass starts one (last) row interval after this one ends.
				step := p.prev - p.lastButOne
				if step <= 0 {
					step = int64(time.Second)
				}
				p.shift += p.prev - p.first + step
			}
			p.rows = 0
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("replay: %w", err)
		}
		var off int64
		if p.src.timeIdx < 0 {
			off = pace.SampleTime(0, p.n, p.cfg.Rate)
		} else {
			if p.rows == 0 {
				p.first, p.prev, p.lastButOne = t, t, t
			}
			if t < p.prev {
				return 0, fmt.Errorf("replay: %s:%d: time goes backwards (%v before the previous row)",
					p.cfg.File, p.src.line, time.Duration(p.prev-t))
			}
			p.lastButOne, p.prev = p.prev, t
			off = t - p.first + p.shift
		}
		p.n++
		p.rows++
		return off, nil
	}
}

// wait sleeps until data offset off is due at the playback speed.
func (p *Player) wait(ctx context.Context, off int64) error {
	if !p.cfg.Realtime {
		return nil
	}
	due := p.start + int64(float64(off)/p.cfg.Speed)
	return p.clock.SleepUntil(ctx, time.Unix(0, due))
}

// Close closes the file.
func (p *Player) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("replay: close: %w", err)
	}
	return nil
}
