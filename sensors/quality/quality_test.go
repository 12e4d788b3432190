package quality

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/sensortest"
	"github.com/axle-edge/axle/sensors/sim"
)

var t0 = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

var chans = []sensors.Channel{
	{Name: "temp", Unit: "degC", Min: -40, Max: 125},
	{Name: "level", Unit: "m"}, // no physical range
}

func sample(i int, temp, level float64) *sensors.Sample {
	return &sensors.Sample{Time: t0.Add(time.Duration(i) * time.Second), Values: []float64{temp, level}, Valid: true}
}

func mustNew(t *testing.T, ch []sensors.Channel, lim Limits) *Checker {
	t.Helper()
	c, err := New(ch, lim)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCheckRangeNaNInfAndClear(t *testing.T) {
	c := mustNew(t, chans, Limits{ClearSamples: 3})
	steps := []struct {
		temp, level float64
		valid       bool
		fault       string
		trans       []string
	}{
		{20, 1, true, "", nil},
		{130, 1.1, false, "temp out_of_range", []string{"temp out_of_range raised: 130 outside [-40, 125]"}},
		{131, 1.2, false, "temp out_of_range", nil}, // still out: no new transition
		{math.NaN(), math.Inf(1), false, "temp nan", []string{"temp nan raised: NaN", "level inf raised: +Inf"}},
		{21, 1.3, true, "", nil},
		{22, 1.4, true, "", nil},
		{23, 1.5, true, "", []string{"temp nan cleared", "temp out_of_range cleared", "level inf cleared"}},
		{24, 1e9, true, "", nil}, // level has no range
	}
	for i, st := range steps {
		s := sample(i, st.temp, st.level)
		tr := c.Check(s)
		var got []string
		for _, x := range tr {
			got = append(got, x.String())
			if !x.Time.Equal(s.Time) {
				t.Errorf("step %d: transition at %v, sample at %v", i, x.Time, s.Time)
			}
		}
		if s.Valid != st.valid || s.Fault != st.fault || fmt.Sprint(got) != fmt.Sprint(st.trans) {
			t.Errorf("step %d: valid=%v fault=%q transitions=%q; want %v %q %q", i, s.Valid, s.Fault, got, st.valid, st.fault, st.trans)
		}
	}
	if c.Faulty() {
		t.Error("Faulty after every fault cleared")
	}
}

func TestLimitsOverride(t *testing.T) {
	lo, hi := 0.5, 2.0
	c := mustNew(t, chans, Limits{Channels: map[string]ChannelLimits{"level": {Min: &lo, Max: &hi}, "temp": {Max: &hi}}})
	if s := sample(0, 1, 1); len(c.Check(s)) != 0 || !s.Valid {
		t.Errorf("in range: %+v", s)
	}
	if s := sample(1, -39, 3); len(c.Check(s)) != 1 || s.Fault != "level out_of_range" {
		t.Errorf("level above the configured max: %+v", s)
	}
	if s := sample(2, 3, 1); len(c.Check(s)) != 1 || s.Valid {
		t.Errorf("temp above the configured max 2 (physical 125): %+v", s)
	}
	only := 5.0
	c = mustNew(t, chans, Limits{Channels: map[string]ChannelLimits{"level": {Min: &only}}})
	if s := sample(0, 1, 1e12); !s.Valid || len(c.Check(s)) != 0 {
		t.Errorf("a lone min on an unranged channel must leave max open: %+v", s)
	}

	for _, tc := range []struct {
		lim  Limits
		want string
	}{
		{Limits{Channels: map[string]ChannelLimits{"pressure": {}}}, `unknown channel "pressure"`},
		{Limits{Channels: map[string]ChannelLimits{"level": {Min: &hi, Max: &lo}}}, "channel level: range [2, 0.5] is empty"},
		{Limits{ClearSamples: -1}, "clear_samples -1"},
	} {
		if _, err := New(chans, tc.lim); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "quality: ") {
			t.Errorf("New(%+v) = %v, want %q", tc.lim, err, tc.want)
		}
	}
}

func TestStuck(t *testing.T) {
	c := mustNew(t, chans, Limits{StuckSamples: 5, ClearSamples: 1, Channels: map[string]ChannelLimits{"level": {StuckSamples: -1}}})
	var raised, cleared int
	for i := range 20 {
		temp := 20.0
		if i >= 12 {
			temp = float64(i)
		}
		s := sample(i, temp, 7) // level never changes but is exempt
		for _, tr := range c.Check(s) {
			if tr.Channel != "temp" || tr.Reason != Stuck {
				t.Fatalf("unexpected %v", tr)
			}
			if tr.Raised {
				raised++
				if i != 4 || tr.Detail != "20 unchanged for 5 samples" {
					t.Errorf("stuck raised at sample %d: %v", i, tr)
				}
			} else {
				cleared++
				if i != 12 {
					t.Errorf("stuck cleared at sample %d", i)
				}
			}
		}
		if want := i < 4 || i >= 12; s.Valid != want {
			t.Errorf("sample %d valid=%v", i, s.Valid)
		}
	}
	if raised != 1 || cleared != 1 {
		t.Errorf("raised %d, cleared %d", raised, cleared)
	}
}

func TestDriverAndReadFaults(t *testing.T) {
	c := mustNew(t, chans, Limits{ClearSamples: 2})
	tr := c.ReadFailed(t0, fmt.Errorf("ds18b20: read scratchpad: %w", context.DeadlineExceeded))
	if len(tr) != 1 || tr[0].Reason != Timeout || !tr[0].Raised || tr[0].Channel != "" {
		t.Fatalf("timeout: %v", tr)
	}
	if tr := c.ReadFailed(t0, errors.New("i2c: nack")); len(tr) != 1 || tr[0].Reason != ReadError {
		t.Fatalf("read error: %v", tr)
	}
	s := sample(1, 20, 1)
	s.Valid, s.Fault = false, "crc mismatch"
	if tr := c.Check(s); len(tr) != 1 || tr[0].Reason != Driver || tr[0].Detail != "crc mismatch" || s.Valid || s.Fault != "crc mismatch" {
		t.Fatalf("driver-invalid sample: %v %+v", tr, s)
	}
	if !c.Faulty() {
		t.Fatal("not faulty with three sensor faults raised")
	}
	c.Check(sample(2, 20.5, 1))
	tr = c.Check(sample(3, 21, 1))
	var got []string
	for _, x := range tr {
		got = append(got, x.String())
	}
	if fmt.Sprint(got) != "[sensor driver cleared sensor read_error cleared sensor timeout cleared]" || c.Faulty() {
		t.Errorf("after two good samples: %q", got)
	}
	if tr := c.Check(&sensors.Sample{Values: []float64{1}, Valid: true}); len(tr) != 1 || tr[0].Reason != Driver {
		t.Errorf("one value for two channels: %v", tr)
	}
}

func TestCheckBatchWithSimFaults(t *testing.T) {
	cfg := sim.DefaultConfig()
	cfg.Realtime, cfg.Seed, cfg.Start = false, 1, t0
	cfg.Faults = []sim.Fault{
		{Kind: sim.Dropout, Start: time.Second, Duration: time.Second, Severity: 1, Channel: "vib_z"},
		{Kind: sim.Stuck, Start: 3 * time.Second, Duration: 2 * time.Second, Severity: 1, Channel: "pressure"},
	}
	m, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := mustNew(t, m.Channels(), Limits{})
	var events []string
	invalid, n := 0, 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err = m.Stream(ctx, func(b *sensors.Batch) error {
		for _, tr := range c.CheckBatch(b) {
			events = append(events, fmt.Sprintf("%.2f %s", tr.Time.Sub(t0).Seconds(), tr))
		}
		for i := range b.Len() {
			if !b.Valid[i] {
				invalid++
			}
		}
		if n += b.Len(); n >= 6*sim.DefaultRate {
			cancel()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1.00 vib_z nan raised: NaN",
		"2.00 vib_z nan cleared",
		"3.08 pressure stuck raised: " + events[2][strings.Index(events[2], ": ")+2:],
		"5.00 pressure stuck cleared",
	}
	if fmt.Sprint(events) != fmt.Sprint(want) {
		t.Errorf("events\n%q\nwant\n%q", events, want)
	}
	// 1 s of dropout + 2 s stuck minus the 256 samples before it is noticed.
	if wantInv := sim.DefaultRate + 2*sim.DefaultRate - DefaultStuckSamples + 1; invalid != wantInv {
		t.Errorf("%d invalid samples, want %d", invalid, wantInv)
	}

	bad := &sensors.Batch{Stride: 3, Times: []int64{1, 2}, Values: make([]float64, 6), Valid: []bool{true, true}}
	if tr := c.CheckBatch(bad); len(tr) != 1 || !strings.Contains(tr[0].Detail, "stride 3 for 6 channels") || bad.Valid[0] || bad.Valid[1] {
		t.Errorf("malformed batch: %v %v", tr, bad.Valid)
	}
}

func TestBackoff(t *testing.T) {
	b := DefaultBackoff
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{100, 200, 400, 800, 1600}
	for i, w := range want {
		if d := b.Delay(i, 0.5); d != w*time.Millisecond {
			t.Errorf("attempt %d: %v, want %v", i, d, w*time.Millisecond)
		}
	}
	for _, attempt := range []int{30, 1000, math.MaxInt} {
		if d := b.Delay(attempt, 0.5); d != time.Minute {
			t.Errorf("attempt %d: %v, want the one minute cap", attempt, d)
		}
	}
	if lo, hi := b.Delay(0, 0), b.Delay(0, 0.999999); lo != 80*time.Millisecond || hi < 119*time.Millisecond || hi > 120*time.Millisecond {
		t.Errorf("jitter range %v..%v, want 80ms..120ms", lo, hi)
	}
	if d := b.Delay(-3, math.NaN()); d != 100*time.Millisecond {
		t.Errorf("negative attempt with NaN u: %v", d)
	}
	for _, bad := range []Backoff{{}, {Min: 2, Max: 1, Factor: 2}, {Min: 1, Max: 2, Factor: 0.5}, {Min: 1, Max: 2, Factor: 2, Jitter: 1}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestMetrics(t *testing.T) {
	var m Metrics
	if s := m.Snapshot(t0); s.Rate != 0 || s.Samples != 0 {
		t.Fatalf("empty: %+v", s)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				m.AddSamples(2)
			}
			m.AddLate()
			m.AddDropped(3)
			m.AddReadError()
			m.AddInvalid(5)
		})
	}
	wg.Wait()
	s := m.Snapshot(t0.Add(2 * time.Second))
	if s != (Snapshot{Samples: 8000, Late: 4, Dropped: 12, ReadErrors: 4, Invalid: 20, Rate: 4000}) {
		t.Errorf("snapshot %+v", s)
	}
	m.AddSamples(100)
	if s := m.Snapshot(t0.Add(3 * time.Second)); s.Rate != 100 {
		t.Errorf("rate over the last second: %v", s.Rate)
	}
	v := s.Values("sensor.p1.")
	if v["sensor.p1.samples"] != 8000 || v["sensor.p1.rate_hz"] != 4000 || len(v) != 6 {
		t.Errorf("values %v", v)
	}
}

func BenchmarkCheckBatch(b *testing.B) {
	ch := []sensors.Channel{{Name: "x", Min: -160, Max: 160}, {Name: "y", Min: -160, Max: 160}, {Name: "z", Min: -160, Max: 160}}
	c, _ := New(ch, Limits{})
	bt := &sensors.Batch{Stride: 3, Times: make([]int64, 3200), Values: make([]float64, 9600), Valid: make([]bool, 3200)}
	for i := range bt.Values {
		bt.Values[i] = math.Sin(float64(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range bt.Valid {
			bt.Valid[i] = true
		}
		c.CheckBatch(bt)
	}
}

// TestChannelQuality reads a scripted sensor with known bad samples and
// checks each channel's checked and passed counts: a channel's own failure
// counts against it alone, a driver-invalid or malformed sample against
// every channel. A concurrent reader sees consistent counts (run -race).
func TestChannelQuality(t *testing.T) {
	var script []sensors.Sample
	for i := range 10 {
		s := *sample(i, 20+float64(i), float64(i))
		switch i {
		case 2:
			s.Values[0] = math.NaN()
		case 5:
			s.Values[0] = 200 // outside temp's [-40, 125]
		case 7:
			s.Values[1] = math.Inf(1)
		case 8:
			s.Valid, s.Fault = false, "crc"
		}
		script = append(script, s)
	}
	sen := sensortest.NewSensor(chans, script...)
	c := mustNew(t, chans, Limits{})
	if q := c.Quality(); len(q) != 2 || q[0] != (ChannelQuality{Channel: "temp"}) {
		t.Fatalf("before any sample: %+v", q)
	} else if _, ok := q[0].Share(); ok {
		t.Errorf("share before any sample is reported")
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, q := range c.Quality() {
				if q.Passed > q.Checked || q.Checked > 11 {
					t.Errorf("inconsistent counts %+v", q)
					return
				}
			}
		}
	})
	s := sensors.Sample{Values: make([]float64, 2)}
	for range script {
		if err := sen.Read(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
		c.Check(&s)
	}
	c.Check(&sensors.Sample{Time: t0, Values: []float64{1}, Valid: true}) // one value for two channels
	close(stop)
	wg.Wait()
	want := []ChannelQuality{{Channel: "temp", Checked: 11, Passed: 7}, {Channel: "level", Checked: 11, Passed: 8}}
	got := c.Quality()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("quality %+v, want %+v", got, want)
	}
	if sh, ok := got[1].Share(); !ok || sh != 8.0/11 {
		t.Errorf("level share %v %v, want 8/11", sh, ok)
	}

	// A batch counts per sample the same way; a malformed one fails all.
	b := &sensors.Batch{Stride: 2, Times: []int64{1, 2, 3}, Values: []float64{1, 1, 2, math.NaN(), 3, 3}, Valid: []bool{true, true, true}}
	c.CheckBatch(b)
	c.CheckBatch(&sensors.Batch{Stride: 1, Times: []int64{4, 5}, Values: []float64{1, 2}, Valid: []bool{true, true}})
	want = []ChannelQuality{{Channel: "temp", Checked: 16, Passed: 10}, {Channel: "level", Checked: 16, Passed: 10}}
	if got := c.Quality(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after batches %+v, want %+v", got, want)
	}
}
