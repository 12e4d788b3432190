package sim

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/pace"
	"github.com/axle-edge/axle/sensors/sensortest"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fastConfig is the default pump generated as fast as possible.
func fastConfig(faults ...Fault) Config {
	cfg := DefaultConfig()
	cfg.Realtime = false
	cfg.Seed = 42
	cfg.Start = t0
	cfg.Faults = faults
	return cfg
}

// record streams d of simulated time and returns it per channel.
func record(t *testing.T, m *Machine, d time.Duration) (times []int64, ch [][]float64, valid []bool) {
	t.Helper()
	n := int(d.Seconds() * m.rate)
	ch = make([][]float64, len(m.Channels()))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := m.Stream(ctx, func(b *sensors.Batch) error {
		for i := range b.Len() {
			times = append(times, b.Times[i])
			valid = append(valid, b.Valid[i])
			for c := range ch {
				ch[c] = append(ch[c], b.Values[i*b.Stride+c])
			}
			if len(times) == n {
				cancel()
				return nil
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if len(times) != n {
		t.Fatalf("got %d samples, want %d", len(times), n)
	}
	return times, ch, valid
}

func mustNew(t *testing.T, cfg Config) *Machine {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func same(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

func TestDeterministic(t *testing.T) {
	faults := []Fault{
		{Kind: BearingOuter, Start: 2 * time.Second, Ramp: time.Second, Severity: 1},
		{Kind: Looseness, Start: 3 * time.Second, Severity: 0.5},
		{Kind: Dropout, Start: 1 * time.Second, Duration: time.Second, Severity: 0.5, Channel: "vib_y"},
		{Kind: Stuck, Start: 4 * time.Second, Duration: 500 * time.Millisecond, Severity: 1, Channel: "pressure"},
	}
	_, a, _ := record(t, mustNew(t, fastConfig(faults...)), 5*time.Second)
	_, b, _ := record(t, mustNew(t, fastConfig(faults...)), 5*time.Second)
	for c := range a {
		for i := range a[c] {
			if !same(a[c][i], b[c][i]) {
				t.Fatalf("channel %d sample %d: %v != %v with the same seed", c, i, a[c][i], b[c][i])
			}
		}
	}
	other := fastConfig(faults...)
	other.Seed = 43
	_, d, _ := record(t, mustNew(t, other), 5*time.Second)
	differ := 0
	for i := range a[chVibX] {
		if a[chVibX][i] != d[chVibX][i] {
			differ++
		}
	}
	if differ < len(a[chVibX])/2 {
		t.Errorf("only %d of %d samples differ between seeds 42 and 43", differ, len(a[chVibX]))
	}
}

func TestScheduleKeepsHealthyPrefix(t *testing.T) {
	_, healthy, _ := record(t, mustNew(t, fastConfig()), 3*time.Second)
	_, faulty, _ := record(t, mustNew(t, fastConfig(Fault{Kind: BearingInner, Start: 2 * time.Second, Severity: 1})), 3*time.Second)
	split := 2 * DefaultRate
	for c := range healthy {
		for i := range split {
			if healthy[c][i] != faulty[c][i] {
				t.Fatalf("channel %d sample %d differs before the fault starts", c, i)
			}
		}
	}
	if rms(faulty[chVibX][split:]) < 1.5*rms(healthy[chVibX][split:]) {
		t.Errorf("inner race fault did not raise vib_x RMS: %v vs %v", rms(faulty[chVibX][split:]), rms(healthy[chVibX][split:]))
	}
}

// TestBearingFaultDemo is the demo scenario: a bearing outer race defect
// appears at 20 s and grows over 10 s.
func TestBearingFaultDemo(t *testing.T) {
	cfg := fastConfig(Fault{Kind: BearingOuter, Start: 20 * time.Second, Ramp: 10 * time.Second, Severity: 1})
	m := mustNew(t, cfg)
	_, ch, valid := record(t, m, 40*time.Second)
	win := func(c int, from, to float64) []float64 { return ch[c][int(from*cfg.Rate):int(to*cfg.Rate)] }
	before, after := win(chVibX, 10, 20), win(chVibX, 32, 40)
	rb, ra := rms(before), rms(after)
	kb, ka := kurtosis(before), kurtosis(after)
	t.Logf("vib_x RMS %.3f -> %.3f m/s^2, kurtosis %.2f -> %.2f", rb, ra, kb, ka)
	if ra < 2*rb {
		t.Errorf("RMS rose only from %.3f to %.3f", rb, ra)
	}
	if kb > 3.5 || ka < 5 {
		t.Errorf("kurtosis %.2f -> %.2f; want healthy near 3 and faulty well above", kb, ka)
	}
	// High-frequency band energy: power near the structural resonance.
	fres := 0.3 * cfg.Rate
	hb, ha := bandPower(before, cfg.Rate, fres-100, fres+100), bandPower(after, cfg.Rate, fres-100, fres+100)
	if ha < 10*hb {
		t.Errorf("band power around %.0f Hz rose only from %.4f to %.4f", fres, hb, ha)
	}
	// The envelope of the ringing repeats at BPFO, not at BPFI.
	bpfo, bpfi := cfg.Bearing.defectFrequencies(cfg.RPM / 60)
	env := envelope(after)
	if o, i := tone(env, cfg.Rate, bpfo), tone(env, cfg.Rate, bpfi); o < 5*i {
		t.Errorf("envelope at BPFO %.1f Hz = %.3f, at BPFI %.1f Hz = %.3f", bpfo, o, bpfi, i)
	}
	temp := ch[chBearingTemp]
	at := func(s float64) float64 { return mean(temp[int(s*cfg.Rate) : int(s*cfg.Rate)+100]) }
	t.Logf("bearing_temp %.2f (19 s) %.2f (30 s) %.2f (40 s)", at(19), at(30), at(39.9))
	if !(at(19) < 45.5 && at(30) > at(19)+0.3 && at(39.9) > at(30)+1) {
		t.Errorf("bearing temperature should climb slowly after 20 s: %.2f, %.2f, %.2f", at(19), at(30), at(39.9))
	}
	for i, v := range valid {
		if !v {
			t.Fatalf("sample %d invalid without a sensor fault", i)
		}
	}
}

func TestInnerRaceAtBPFI(t *testing.T) {
	cfg := fastConfig(Fault{Kind: BearingInner, Severity: 1})
	_, ch, _ := record(t, mustNew(t, cfg), 5*time.Second)
	bpfo, bpfi := cfg.Bearing.defectFrequencies(cfg.RPM / 60)
	env := envelope(ch[chVibX])
	if o, i := tone(env, cfg.Rate, bpfo), tone(env, cfg.Rate, bpfi); i < 5*o {
		t.Errorf("envelope at BPFI %.1f Hz = %.3f, at BPFO %.1f Hz = %.3f", bpfi, i, bpfo, o)
	}
}

func TestMechanicalSignatures(t *testing.T) {
	fr := DefaultRPM / 60.0
	_, healthy, _ := record(t, mustNew(t, fastConfig()), 2*time.Second)
	cases := []struct {
		kind  Kind
		ch    int
		freq  float64
		ratio float64
	}{
		{Imbalance, chVibX, fr, 5},
		{Imbalance, chVibY, fr, 5},
		{Misalignment, chVibX, 2 * fr, 5},
		{Misalignment, chVibZ, fr, 5},
		{Looseness, chVibY, 0.5 * fr, 5},
		{Looseness, chVibY, 7 * fr, 5},
	}
	for _, tc := range cases {
		_, ch, _ := record(t, mustNew(t, fastConfig(Fault{Kind: tc.kind, Severity: 1})), 2*time.Second)
		h, f := tone(healthy[tc.ch], DefaultRate, tc.freq), tone(ch[tc.ch], DefaultRate, tc.freq)
		if f < tc.ratio*h {
			t.Errorf("%s: %s at %.1f Hz: %.3f healthy, %.3f faulty; want ×%v", tc.kind, allChannels[tc.ch].Name, tc.freq, h, f, tc.ratio)
		}
	}
}

func TestOverheating(t *testing.T) {
	cfg := fastConfig(Fault{Kind: Overheating, Start: 10 * time.Second, Ramp: 30 * time.Second, Severity: 1})
	cfg.Rate = 50
	cfg.Channels = []string{"bearing_temp", "motor_current"}
	_, ch, _ := record(t, mustNew(t, cfg), 300*time.Second)
	temp, cur := ch[0], ch[1]
	if temp[0] < 44 || temp[0] > 46 {
		t.Errorf("healthy bearing at %.2f degC, want about 45", temp[0])
	}
	if end := temp[len(temp)-1]; end < 80 {
		t.Errorf("bearing reached only %.2f degC after overheating for 290 s", end)
	}
	if end := cur[len(cur)-1]; end < cur[0]+1 {
		t.Errorf("motor current %.2f -> %.2f A; overheating should draw more", cur[0], end)
	}
}

func TestSensorFaults(t *testing.T) {
	cfg := fastConfig(
		Fault{Kind: Dropout, Start: time.Second, Duration: time.Second, Severity: 1, Channel: "vib_y"},
		Fault{Kind: Stuck, Start: 3 * time.Second, Duration: time.Second, Severity: 1, Channel: "bearing_temp"},
	)
	_, ch, valid := record(t, mustNew(t, cfg), 5*time.Second)
	r := cfg.Rate
	for i := range ch[chVibY] {
		sec := float64(i) / r
		dropped := sec >= 1 && sec < 2
		if math.IsNaN(ch[chVibY][i]) != dropped || valid[i] == dropped {
			t.Fatalf("sample %d (%.4f s): vib_y=%v valid=%v, want dropped=%v", i, sec, ch[chVibY][i], valid[i], dropped)
		}
		if math.IsNaN(ch[chVibX][i]) {
			t.Fatalf("vib_x dropped at sample %d; the fault names vib_y", i)
		}
	}
	stuck := ch[chBearingTemp][int(3*r):int(4*r)]
	for i, v := range stuck {
		if v != stuck[0] {
			t.Fatalf("bearing_temp moved while stuck: sample %d = %v, held %v", i, v, stuck[0])
		}
	}
	if ch[chBearingTemp][int(4*r)+1] == stuck[0] {
		t.Error("bearing_temp still stuck after the fault ended")
	}

	// A partial dropout drops some 100 ms blocks and keeps others.
	_, part, _ := record(t, mustNew(t, fastConfig(Fault{Kind: Dropout, Severity: 0.5})), 5*time.Second)
	blocks := map[bool]int{}
	for b := range 50 {
		blocks[math.IsNaN(part[chPressure][int(float64(b)*0.1*r)])]++
	}
	if blocks[true] < 10 || blocks[false] < 10 {
		t.Errorf("severity 0.5 dropped %d of 50 blocks", blocks[true])
	}
}

func TestRealtimePacing(t *testing.T) {
	clk := pace.NewVirtual(t0)
	cfg := DefaultConfig()
	cfg.Clock = clk
	m := mustNew(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var prev int64
	n, batches := 0, 0
	err := m.Stream(ctx, func(b *sensors.Batch) error {
		now := clk.Now().UnixNano()
		if last := b.Times[b.Len()-1]; last > now {
			t.Fatalf("batch delivered at %d before its last sample at %d", now, last)
		}
		if b.Len() != 64 || b.Stride != numChannels {
			t.Fatalf("batch of %d samples, stride %d; want 64 (20 ms at 3200 Hz), %d", b.Len(), b.Stride, numChannels)
		}
		for i := range b.Len() {
			want := t0.UnixNano() + int64(n)*int64(time.Second)/DefaultRate
			if b.Times[i] != want {
				t.Fatalf("sample %d at %d, want start + i/rate = %d", n, b.Times[i], want)
			}
			if prev != 0 && b.Times[i] <= prev {
				t.Fatalf("time went backwards at sample %d", n)
			}
			prev = b.Times[i]
			n++
		}
		if batches++; batches == 100 {
			cancel()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Stream after cancel returned %v, want nil", err)
	}
	if clk.Sleeps() != 100 || !clk.Now().Equal(t0.Add(2*time.Second-time.Second/DefaultRate)) {
		t.Errorf("%d sleeps, clock at %v; want one sleep per 20 ms burst", clk.Sleeps(), clk.Now().Sub(t0))
	}
}

func TestReadMatchesStream(t *testing.T) {
	cfg := fastConfig(Fault{Kind: Dropout, Start: 10 * time.Millisecond, Duration: 100 * time.Millisecond, Severity: 1})
	times, ch, _ := record(t, mustNew(t, cfg), 200*time.Millisecond)
	m := mustNew(t, cfg)
	var s sensors.Sample
	for i := range times {
		if err := m.Read(context.Background(), &s); err != nil {
			t.Fatalf("Read %d: %v", i, err)
		}
		if s.Time.UnixNano() != times[i] {
			t.Fatalf("Read %d at %v, Stream at %v", i, s.Time.UnixNano(), times[i])
		}
		for c := range ch {
			if !same(s.Values[c], ch[c][i]) {
				t.Fatalf("Read %d channel %d = %v, Stream %v", i, c, s.Values[c], ch[c][i])
			}
		}
		if nan := math.IsNaN(s.Values[0]); s.Valid == nan || (nan && s.Fault != "dropout") {
			t.Fatalf("Read %d: valid=%v fault=%q with value %v", i, s.Valid, s.Fault, s.Values[0])
		}
	}
}

func TestReadRealtimeWaits(t *testing.T) {
	clk := pace.NewVirtual(t0)
	cfg := DefaultConfig()
	cfg.Clock, cfg.Rate = clk, 10
	m := mustNew(t, cfg)
	var s sensors.Sample
	for i := range 5 {
		if err := m.Read(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
		if !clk.Now().Equal(s.Time) || !s.Time.Equal(t0.Add(time.Duration(i)*100*time.Millisecond)) {
			t.Fatalf("read %d: sample at %v, clock %v", i, s.Time.Sub(t0), clk.Now().Sub(t0))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Read(ctx, &s); !errors.Is(err, context.Canceled) {
		t.Errorf("Read on a cancelled context: %v", err)
	}
}

func TestInject(t *testing.T) {
	m := mustNew(t, fastConfig())
	_, healthy, _ := record(t, m, time.Second)
	if m.SimTime() != time.Second {
		t.Fatalf("SimTime %v after 1 s of samples", m.SimTime())
	}
	if err := m.Inject(Fault{Kind: Imbalance, Severity: 2}); err != nil {
		t.Fatal(err)
	}
	_, faulty, _ := record(t, m, time.Second)
	fr := DefaultRPM / 60.0
	if h, f := tone(healthy[chVibX], DefaultRate, fr), tone(faulty[chVibX], DefaultRate, fr); f < 10*h {
		t.Errorf("1× after injecting imbalance: %.3f, before %.3f", f, h)
	}
	for _, bad := range []Fault{
		{Kind: "rust", Severity: 1},
		{Kind: Imbalance, Severity: 0},
		{Kind: Imbalance, Severity: math.NaN()},
		{Kind: Imbalance, Severity: 1, Channel: "vib_x"},
		{Kind: Stuck, Severity: 1, Channel: "vib_w"},
		{Kind: Looseness, Severity: 1, Ramp: -time.Second},
	} {
		if err := m.Inject(bad); err == nil || !strings.HasPrefix(err.Error(), "sim: inject: ") {
			t.Errorf("Inject(%+v) = %v, want a sim: inject: error", bad, err)
		}
	}
}

func TestOpenOptions(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, sensors.Spec{Name: "p1", Driver: "sim", Rate: 1000, Options: sensortest.Options(`
seed: 7
realtime: false
burst: 50ms
rpm: 2960
channels: [vib_z, bearing_temp]
bearing: {balls: 8, ball_diameter: 10, pitch_diameter: 50, contact_angle: 15}
faults:
  - {kind: bearing_outer, start: 20s, ramp: 10s, severity: 1.0}
  - {kind: stuck, start: 1m, duration: 5s, severity: 1, channel: bearing_temp}
`)}, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	m := s.(*Machine)
	if got := m.Channels(); len(got) != 2 || got[0].Name != "vib_z" || got[1].Unit != "degC" {
		t.Errorf("channels %+v", got)
	}
	if m.realtime || m.rate != 1000 || m.burst != 50 || len(m.gen.faults) != 2 || m.gen.faults[0].Start != 20*time.Second {
		t.Errorf("options not applied: realtime=%v rate=%v burst=%d faults=%+v", m.realtime, m.rate, m.burst, m.gen.faults)
	}
	wantBPFO := 4 * 2960.0 / 60 * (1 - 0.2*math.Cos(15*math.Pi/180))
	if math.Abs(m.gen.bpfo-wantBPFO) > 1e-9 {
		t.Errorf("BPFO %v, want %v", m.gen.bpfo, wantBPFO)
	}

	d, err := Open(ctx, sensors.Spec{Name: "p2", Driver: "sim", Options: sensortest.Options("")}, nil)
	if err != nil {
		t.Fatalf("Open with no options: %v", err)
	}
	if dm := d.(*Machine); !dm.realtime || dm.rate != DefaultRate || len(dm.Channels()) != numChannels {
		t.Errorf("defaults: realtime=%v rate=%v channels=%d", dm.realtime, dm.rate, len(dm.Channels()))
	}

	for _, tc := range []struct{ opts, want string }{
		{"colour: red", "field colour not found"},
		{"rpm: fast", "cannot unmarshal"},
		{"profile: fan", "option profile"},
		{"rpm: -5", "option rpm"},
		{"blades: 100", "option blades"},
		{"burst: 0s", ""}, // zero keeps the default
		{"burst: 2s", "option burst"},
		{"noise: -1", "option noise"},
		{"channels: [vib_q]", "option channels[0]"},
		{"channels: [vib_x, vib_x]", "option channels[1]"},
		{"bearing: {balls: 9, ball_diameter: 40, pitch_diameter: 39}", "option bearing.pitch_diameter"},
		{"faults: [{kind: bearing_outer, severity: 1}, {kind: melt, severity: 1}]", "option faults[1]: kind \"melt\""},
		{"faults: [{kind: imbalance, start: 20, severity: 1}]", "cannot unmarshal"},
		{"faults: [{kind: imbalance, severity: 11}]", "option faults[0]: imbalance: severity"},
	} {
		_, err := Open(ctx, sensors.Spec{Name: "x", Driver: "sim", Options: sensortest.Options(tc.opts)}, nil)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.opts, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "sim: ")):
			t.Errorf("%q: error %v, want one containing %q", tc.opts, err, tc.want)
		}
	}
	if _, err := Open(ctx, sensors.Spec{Rate: -1, Options: sensortest.Options("")}, nil); err == nil || !strings.Contains(err.Error(), "rate") {
		t.Errorf("negative rate: %v", err)
	}
}

func TestCloseAndCallbackError(t *testing.T) {
	m := mustNew(t, fastConfig())
	boom := errors.New("boom")
	if err := m.Stream(context.Background(), func(*sensors.Batch) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("Stream with a failing callback: %v", err)
	}
	m.Close()
	var s sensors.Sample
	if err := m.Read(context.Background(), &s); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	if err := m.Stream(context.Background(), func(*sensors.Batch) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Stream after Close: %v", err)
	}
}

// BenchmarkStream3Axis measures the CPU cost of one second of 3.2 kHz
// three-axis vibration: one op = 3200 samples.
func BenchmarkStream3Axis(b *testing.B) {
	cfg := fastConfig(Fault{Kind: BearingOuter, Severity: 1})
	cfg.Channels = []string{"vib_x", "vib_y", "vib_z"}
	m, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	perOp := int(cfg.Rate)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	b.ResetTimer()
	n, total := 0, b.N*perOp
	var sum float64
	m.Stream(ctx, func(bt *sensors.Batch) error {
		sum += bt.Values[0]
		if n += bt.Len(); n >= total {
			cancel()
		}
		return nil
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)*cfg.Rate/1e6, "ms/s-of-data")
	_ = sum
}
