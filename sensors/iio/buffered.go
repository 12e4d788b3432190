package iio

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/axle-edge/axle/sensors"
)

// Buffered streams scans from the device's buffer character device. It
// implements sensors.Streamer and is used by one goroutine.
type Buffered struct {
	node    string
	ctl     string // directory holding enable and length
	f       *os.File
	chans   []channel
	els     []element // enabled elements in record order
	slot    []int     // channel index of each element, -1 for the timestamp
	recSize int
	ts      bool    // the records carry a timestamp
	period  float64 // ns between scans, from sampling_frequency (0: unknown)
	timeout time.Duration
	out     []sensors.Channel
	buf     []byte
	have    int // bytes of a partial record at the start of buf
	last    int64
	batch   sensors.Batch
	vals    []float64 // one decoded scan
	queue   []float64 // Read: scans decoded but not yet returned
	qtimes  []int64
	closed  bool
}

// maxScanBytes bounds a record read from a device tree before buffers are
// sized from it.
const maxScanBytes = 4096

// readChunk is how many scans one read asks for.
const readChunk = 256

// NewBuffered enables the selected channels (and the timestamp, when the
// device has one) in the buffer, attaches the trigger, enables the buffer
// and opens the character device.
func NewBuffered(cfg Config) (*Buffered, error) {
	dir, node, chans, out, err := resolve(&cfg)
	if err != nil {
		return nil, fmt.Errorf("iio: %w", err)
	}
	b, err := setup(dir, node, chans, &cfg)
	if err != nil {
		return nil, fmt.Errorf("iio: %s: %w", node, err)
	}
	b.out = out
	return b, nil
}

func setup(dir, node string, chans []channel, cfg *Config) (*Buffered, error) {
	// Kernels since 5.11 have buffer0/ with the scan elements inside;
	// older ones have scan_elements/ and buffer/.
	scan, ctl := filepath.Join(dir, "buffer0"), filepath.Join(dir, "buffer0")
	if !exists(filepath.Join(scan, "enable")) {
		scan, ctl = filepath.Join(dir, "scan_elements"), filepath.Join(dir, "buffer")
	}
	if !exists(filepath.Join(ctl, "enable")) {
		return nil, fmt.Errorf("option buffered: the device has no buffer (%s/enable)", ctl)
	}
	b := &Buffered{node: node, ctl: ctl, chans: chans, timeout: cfg.Timeout}
	if err := writeAttr(filepath.Join(ctl, "enable"), "0"); err != nil {
		return nil, fmt.Errorf("disable buffer: %w", err)
	}
	entries, err := os.ReadDir(scan)
	if err != nil {
		return nil, fmt.Errorf("list scan elements: %w", err)
	}
	want := map[string]int{}
	for i, c := range chans {
		want[c.iio] = i
	}
	found := map[string]bool{}
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, "in_") || !strings.HasSuffix(n, "_en") {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(n, "in_"), "_en")
		ci, selected := want[name]
		isTS := name == "timestamp"
		on := "0"
		if selected || isTS {
			on = "1"
		}
		if err := writeAttr(filepath.Join(scan, n), on); err != nil {
			return nil, fmt.Errorf("scan element %s: %w", name, err)
		}
		if on == "0" {
			continue
		}
		el, err := readElement(scan, name)
		if err != nil {
			return nil, err
		}
		b.els = append(b.els, el)
		found[name] = true
		if isTS {
			b.ts = true
			ci = -1
		}
		b.slot = append(b.slot, ci)
	}
	for _, c := range chans {
		if !found[c.iio] {
			return nil, fmt.Errorf("channel %s cannot be buffered (no scan element)", c.iio)
		}
	}
	// Order elements by scan index, keeping each one's channel slot.
	slotOf := map[string]int{}
	for i, el := range b.els {
		slotOf[el.name] = b.slot[i]
	}
	b.recSize = layout(b.els)
	for i, el := range b.els {
		b.slot[i] = slotOf[el.name]
	}
	if b.recSize > maxScanBytes {
		return nil, fmt.Errorf("scan of %d bytes is larger than %d", b.recSize, maxScanBytes)
	}
	if cfg.Trigger != "" {
		if err := writeAttr(filepath.Join(dir, "trigger", "current_trigger"), cfg.Trigger); err != nil {
			return nil, fmt.Errorf("option trigger %q: %w", cfg.Trigger, err)
		}
	}
	if cfg.Length > 0 {
		if err := writeAttr(filepath.Join(ctl, "length"), strconv.Itoa(cfg.Length)); err != nil {
			return nil, fmt.Errorf("option buffer_length: %w", err)
		}
	}
	freq := filepath.Join(dir, "sampling_frequency")
	if cfg.Rate > 0 {
		if err := writeAttr(freq, strconv.FormatFloat(cfg.Rate, 'g', -1, 64)); err != nil {
			return nil, fmt.Errorf("rate %v: write sampling_frequency: %w", cfg.Rate, err)
		}
	}
	if hz, err := readFloat(freq); err == nil && hz > 0 {
		b.period = 1e9 / hz // what the device actually runs at
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if !b.ts && b.period == 0 {
		return nil, errors.New("no timestamp channel and no sampling_frequency: scans cannot be timed")
	}
	if b.timeout == 0 {
		b.timeout = time.Second
		if b.period > 0 {
			b.timeout = max(b.timeout, time.Duration(20*b.period))
		}
	}
	if err := writeAttr(filepath.Join(ctl, "enable"), "1"); err != nil {
		return nil, fmt.Errorf("enable buffer: %w", err)
	}
	f, err := os.Open(filepath.Join(cfg.DevRoot, node))
	if err != nil {
		writeAttr(filepath.Join(ctl, "enable"), "0")
		return nil, fmt.Errorf("open buffer: %w", err)
	}
	b.f = f
	b.buf = make([]byte, readChunk*b.recSize)
	b.vals = make([]float64, len(chans))
	n := len(chans)
	b.batch = sensors.Batch{Stride: n, Times: make([]int64, 0, readChunk), Values: make([]float64, 0, readChunk*n), Valid: make([]bool, 0, readChunk)}
	return b, nil
}

func readElement(scan, name string) (element, error) {
	idx, err := readAttr(filepath.Join(scan, "in_"+name+"_index"))
	if err != nil {
		return element{}, fmt.Errorf("scan element %s: %w", name, err)
	}
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 {
		return element{}, fmt.Errorf("scan element %s: index %q is not a number", name, idx)
	}
	typ, err := readAttr(filepath.Join(scan, "in_"+name+"_type"))
	if err != nil {
		return element{}, fmt.Errorf("scan element %s: %w", name, err)
	}
	t, err := parseScanType(typ)
	if err != nil {
		return element{}, fmt.Errorf("scan element %s: %w", name, err)
	}
	return element{name: name, index: i, typ: t}, nil
}

// Channels returns the selected channels in SI units.
func (b *Buffered) Channels() []sensors.Channel { return b.out }

// Stream reads scans as they arrive and hands each read over as a batch.
// It returns nil when ctx is done, and an error wrapping
// context.DeadlineExceeded when no scan arrives within the timeout.
func (b *Buffered) Stream(ctx context.Context, fn func(*sensors.Batch) error) error {
	for {
		n, err := b.fill(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		bt := &b.batch
		bt.Times, bt.Values, bt.Valid = bt.Times[:0], bt.Values[:0], bt.Valid[:0]
		b.decode(n, func(t int64, vals []float64) {
			bt.Times = append(bt.Times, t)
			bt.Values = append(bt.Values, vals...)
			bt.Valid = append(bt.Valid, true)
		})
		if err := fn(bt); err != nil {
			return fmt.Errorf("iio: %w", err)
		}
	}
}

// Read returns the next scan.
func (b *Buffered) Read(ctx context.Context, s *sensors.Sample) error {
	if len(b.qtimes) == 0 {
		n, err := b.fill(ctx)
		if err != nil {
			return err
		}
		b.queue, b.qtimes = b.queue[:0], b.qtimes[:0]
		b.decode(n, func(t int64, vals []float64) {
			b.qtimes = append(b.qtimes, t)
			b.queue = append(b.queue, vals...)
		})
	}
	k := len(b.chans)
	if cap(s.Values) < k {
		s.Values = make([]float64, k)
	}
	s.Values = s.Values[:k]
	copy(s.Values, b.queue[:k])
	s.Time, s.Valid, s.Fault = time.Unix(0, b.qtimes[0]), true, ""
	b.queue, b.qtimes = b.queue[k:], b.qtimes[1:]
	return nil
}

// fill reads until at least one whole scan is buffered and returns how
// many are; reads wait in 100 ms slices so that ctx is honoured.
func (b *Buffered) fill(ctx context.Context) (int, error) {
	if b.closed {
		return 0, ErrClosed
	}
	deadline := time.Now().Add(b.timeout)
	for b.have < b.recSize {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if !time.Now().Before(deadline) {
			return 0, fmt.Errorf("iio: %s: no scan within %v: %w", b.node, b.timeout, context.DeadlineExceeded)
		}
		if err := b.f.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil && !errors.Is(err, os.ErrNoDeadline) {
			return 0, fmt.Errorf("iio: %s: %w", b.node, err)
		}
		n, err := b.f.Read(b.buf[b.have:])
		b.have += n
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
		case err != nil:
			return 0, fmt.Errorf("iio: %s: read buffer: %w", b.node, err)
		}
	}
	return b.have / b.recSize, nil
}

// decode converts n whole scans at the start of buf, then keeps the
// partial one.
func (b *Buffered) decode(n int, emit func(t int64, vals []float64)) {
	vals := b.vals
	now := time.Now().UnixNano()
	for r := range n {
		rec := b.buf[r*b.recSize : (r+1)*b.recSize]
		var t int64
		for i := range b.els {
			raw := b.els[i].decode(rec)
			if c := b.slot[i]; c >= 0 {
				vals[c] = b.chans[c].value(float64(raw))
			} else {
				t = raw
			}
		}
		if !b.ts {
			// Without device time stamps the newest scan is "now" and the
			// others are spaced by the sampling period before it.
			t = now - int64(float64(n-1-r)*b.period)
		}
		t = max(t, b.last+1)
		b.last = t
		emit(t, vals)
	}
	rest := b.have - n*b.recSize
	copy(b.buf, b.buf[n*b.recSize:b.have])
	b.have = rest
}

// Close disables the buffer and closes the device.
func (b *Buffered) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	err1 := b.f.Close()
	err2 := writeAttr(filepath.Join(b.ctl, "enable"), "0")
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("iio: %s: close: %w", b.node, err)
	}
	return nil
}
