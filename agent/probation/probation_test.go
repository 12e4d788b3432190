package probation

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/monitor"
)

var t0 = time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)

var quartiles = monitor.Baseline{Edges: []float64{0.25, 0.5, 0.75}, Probs: []float64{0.25, 0.25, 0.25, 0.25}}

// healthy is window i (1-based) of a well-behaved model: one per second,
// scores cycling through the four baseline quartiles, 2 ms latency.
func healthy(i int) Window {
	return Window{
		End:     t0.Add(time.Duration(i) * time.Second),
		Score:   0.125 + 0.25*float64(i%4),
		Outputs: []float64{0.1, 0.9},
		Latency: 2 * time.Millisecond,
	}
}

func mustNew(t *testing.T, cfg Config, b *monitor.Baseline) *Probation {
	t.Helper()
	p, err := New(cfg, b, t0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// run feeds windows 1..n made by f and returns the first verdict that is
// not Continue (or the last one).
func run(p *Probation, n int, f func(i int) Window) Verdict {
	var v Verdict
	for i := 1; i <= n; i++ {
		if v = p.Observe(f(i)); v.Outcome != Continue {
			return v
		}
	}
	return v
}

func TestConfigErrors(t *testing.T) {
	ok := Config{Duration: time.Minute, MinWindows: 10}
	for _, tc := range []struct {
		mut   func(*Config)
		field string
	}{
		{func(c *Config) { c.Duration = 0 }, `"Duration"`},
		{func(c *Config) { c.MinWindows = 0 }, `"MinWindows"`},
		{func(c *Config) { c.LatencySLO = -1 }, `"LatencySLO"`},
		{func(c *Config) { c.MinLatencySamples = -1 }, `"MinLatencySamples"`},
		{func(c *Config) { c.PSIMax = math.NaN() }, `"PSIMax"`},
		{func(c *Config) { c.PSIMax = -0.1 }, `"PSIMax"`},
		{func(c *Config) { c.MinPSISamples = -5 }, `"MinPSISamples"`},
		{func(c *Config) { c.AlertRateMax = 1.5 }, `"AlertRateMax"`},
		{func(c *Config) { c.MinAlertWindows = -1 }, `"MinAlertWindows"`},
	} {
		c := ok
		tc.mut(&c)
		if _, err := New(c, &quartiles, t0); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%+v: error %v, want one naming %s", c, err, tc.field)
		}
	}
	c := ok
	c.PSIMax = 0.2
	if _, err := New(c, nil, t0); err == nil || !strings.Contains(err.Error(), "no score baseline") {
		t.Errorf("PSI gate without baseline: %v", err)
	}
	if _, err := New(ok, &monitor.Baseline{Edges: []float64{1}, Probs: []float64{0.5, 0.6}}, t0); err == nil ||
		!strings.Contains(err.Error(), "probation: score baseline: monitor: baseline: field \"probs\"") {
		t.Errorf("bad baseline: %v", err)
	}
	if _, err := New(ok, nil, t0); err != nil {
		t.Errorf("no baseline and no PSI gate: %v", err)
	}
}

func TestGates(t *testing.T) {
	boom := errors.New("tflite: op 7 (CONV_2D): arena exhausted")
	base := Config{Duration: time.Hour, MinWindows: 1000}
	for _, tc := range []struct {
		name    string
		cfg     func(*Config)
		n       int
		window  func(i int) Window
		outcome Outcome
		gate    Gate
		windows int64 // windows seen at the verdict
		obs     float64
		limit   float64
		detail  string
	}{
		{
			name: "healthy continues", n: 300, window: healthy, outcome: Continue, windows: 300,
			cfg: func(c *Config) { c.LatencySLO = 5 * time.Millisecond; c.PSIMax = 0.1; c.AlertRateMax = 0.05 },
		},
		{
			name: "invoke error trips at once", n: 50, outcome: Tripped, gate: GateInvokeError, windows: 4,
			obs: 1, limit: 0, detail: "arena exhausted",
			window: func(i int) Window {
				w := healthy(i)
				if i == 4 {
					w.Err = boom
				}
				return w
			},
		},
		{
			name: "NaN output after a few windows", n: 50, outcome: Tripped, gate: GateNonFinite, windows: 6,
			obs: 1, detail: "output[1] = NaN",
			window: func(i int) Window {
				w := healthy(i)
				if i >= 6 {
					w.Outputs = []float64{0.2, math.NaN()}
				}
				return w
			},
		},
		{
			name: "Inf score", n: 50, outcome: Tripped, gate: GateNonFinite, windows: 9, obs: 1, detail: "score = +Inf",
			window: func(i int) Window {
				w := healthy(i)
				if i == 9 {
					w.Score = math.Inf(1)
				}
				return w
			},
		},
		{
			// 100 windows, every 50th at 30 ms: the second slow one makes
			// 2 of 100 above the SLO, so p99 (the 99th smallest) is slow.
			name: "latency SLO breach", n: 200, outcome: Tripped, gate: GateLatency, windows: 100,
			limit: 0.01, detail: "2 of 100 windows above the SLO",
			cfg: func(c *Config) { c.LatencySLO = 10 * time.Millisecond },
			window: func(i int) Window {
				w := healthy(i)
				if i%50 == 0 {
					w.Latency = 30 * time.Millisecond
				}
				return w
			},
		},
		{
			name: "latency: one slow window in a hundred is within p99", n: 150, outcome: Continue, windows: 150,
			cfg: func(c *Config) { c.LatencySLO = 10 * time.Millisecond },
			window: func(i int) Window {
				w := healthy(i)
				if i == 7 {
					w.Latency = time.Second
				}
				return w
			},
		},
		{
			name: "latency exactly at the SLO passes", n: 150, outcome: Continue, windows: 150,
			cfg:    func(c *Config) { c.LatencySLO = 2 * time.Millisecond },
			window: healthy,
		},
		{
			name: "latency waits for its minimum samples", n: 200, outcome: Tripped, gate: GateLatency, windows: 20,
			limit: 0.001, detail: "20 of 20",
			cfg:    func(c *Config) { c.LatencySLO = time.Millisecond; c.MinLatencySamples = 20 },
			window: healthy,
		},
		{
			name: "alert rate at the limit continues", n: 100, outcome: Continue, windows: 100,
			cfg: func(c *Config) { c.AlertRateMax = 0.1 },
			window: func(i int) Window {
				w := healthy(i)
				w.Alert = i%10 == 0
				return w
			},
		},
		{
			// Alerts from the first window, but the gate judges only from
			// window 20: 3 of 20 = 0.15 > 0.1.
			name: "alert rate beyond the limit", n: 100, outcome: Tripped, gate: GateAlertRate, windows: 20,
			obs: 0.15, limit: 0.1, detail: "3 alerts in 20 windows",
			cfg: func(c *Config) { c.AlertRateMax = 0.1 },
			window: func(i int) Window {
				w := healthy(i)
				w.Alert = i <= 3
				return w
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			p := mustNew(t, cfg, &quartiles)
			v := run(p, tc.n, tc.window)
			if v.Outcome != tc.outcome || v.Gate != tc.gate || v.Windows != tc.windows {
				t.Fatalf("verdict %+v, want %v gate %q at window %d", v, tc.outcome, tc.gate, tc.windows)
			}
			if tc.outcome != Tripped {
				return
			}
			if tc.gate == GateLatency {
				// The figure is bucketed: at or above the true p99 (30 ms
				// or 2 ms) by less than one bucket (4.4 %).
				truth := map[string]float64{"latency SLO breach": 0.030, "latency waits for its minimum samples": 0.002}[tc.name]
				if v.Observed < truth || v.Observed > truth*1.045 || v.Observed <= v.Limit {
					t.Errorf("observed p99 %v s, want within a bucket above %v s", v.Observed, truth)
				}
			} else if math.Abs(v.Observed-tc.obs) > 1e-12 {
				t.Errorf("observed %v, want %v", v.Observed, tc.obs)
			}
			if v.Limit != tc.limit || !strings.Contains(v.Detail, tc.detail) {
				t.Errorf("limit %v detail %q, want %v and %q", v.Limit, v.Detail, tc.limit, tc.detail)
			}
			// The verdict is final: more windows change nothing.
			if again := p.Observe(healthy(tc.n + 1)); again != v {
				t.Errorf("after the trip Observe = %+v, want %+v", again, v)
			}
		})
	}
}

// TestLatencyGateAgainstSortedP99 checks the counting gate against the
// nearest-rank p99 of the sorted samples, window by window.
func TestLatencyGateAgainstSortedP99(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const slo = 20 * time.Millisecond
	for round := range 20 {
		p := mustNew(t, Config{Duration: time.Hour, MinWindows: 1 << 20, LatencySLO: slo, MinLatencySamples: 50}, nil)
		slowShare := float64(round) / 400 // 0 .. 4.75 %
		var seen []time.Duration
		for i := 1; i <= 2000; i++ {
			w := healthy(i)
			w.Latency = time.Duration(r.Int64N(int64(slo))) + 1
			if r.Float64() < slowShare {
				w.Latency = slo + time.Duration(r.Int64N(int64(slo)))
			}
			if r.IntN(40) == 0 {
				w.Latency = slo // boundary value: not above
			}
			at, _ := slices.BinarySearch(seen, w.Latency)
			seen = slices.Insert(seen, at, w.Latency)
			v := p.Observe(w)
			sorted := seen
			refP99 := sorted[int(math.Ceil(0.99*float64(len(sorted))))-1]
			wantTrip := len(seen) >= 50 && refP99 > slo
			if (v.Outcome == Tripped) != wantTrip {
				t.Fatalf("round %d window %d: verdict %+v, reference p99 %v (SLO %v)", round, i, v, refP99, slo)
			}
			if wantTrip {
				if v.Observed < refP99.Seconds() || v.Observed > refP99.Seconds()*1.045 {
					t.Fatalf("round %d: figure %v s for reference p99 %v", round, v.Observed, refP99)
				}
				break
			}
		}
	}
}

func TestScoreDriftGate(t *testing.T) {
	cfg := Config{Duration: time.Hour, MinWindows: 10000, PSIMax: 0.25, MinPSISamples: 40}
	t.Run("same distribution", func(t *testing.T) {
		p := mustNew(t, cfg, &quartiles)
		if v := run(p, 400, healthy); v.Outcome != Continue {
			t.Fatalf("verdict %+v", v)
		}
		if s := p.Status(t0); !s.PSIValid || s.PSI != 0 || s.ScoreSamples != 400 {
			t.Errorf("status PSI %v valid %v samples %d, want 0 over 400", s.PSI, s.PSIValid, s.ScoreSamples)
		}
	})
	t.Run("shifted", func(t *testing.T) {
		// Every score lands in the top quartile: PSI far beyond 0.25, but
		// only judged at the 40th score.
		p := mustNew(t, cfg, &quartiles)
		v := run(p, 400, func(i int) Window { w := healthy(i); w.Score = 0.9; return w })
		want := 3*(monitor.PSIEpsilon-0.25)*math.Log(monitor.PSIEpsilon/0.25) + 0.75*math.Log(4)
		if v.Outcome != Tripped || v.Gate != GateScoreDrift || v.Windows != 40 ||
			math.Abs(v.Observed-want) > 1e-12 || v.Limit != 0.25 {
			t.Fatalf("verdict %+v, want a score_psi trip at window 40 with PSI %v", v, want)
		}
	})
	t.Run("mild shift below the limit", func(t *testing.T) {
		// Shares 0.3/0.2/0.25/0.25: PSI = 0.05·ln(1.2) + 0.05·ln(1.25) ≈ 0.0203.
		p := mustNew(t, cfg, &quartiles)
		pattern := []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 0.3, 0.3, 0.3, 0.6, 0.6, 0.6, 0.6, 0.6, 0.9, 0.9, 0.9, 0.9, 0.9}
		v := run(p, 400, func(i int) Window { w := healthy(i); w.Score = pattern[i%len(pattern)]; return w })
		if v.Outcome != Continue {
			t.Fatalf("verdict %+v", v)
		}
		want := 0.05*math.Log(0.3/0.25) + 0.05*math.Log(0.25/0.2)
		if s := p.Status(t0); math.Abs(s.PSI-want) > 1e-12 {
			t.Errorf("PSI %v, want %v", s.PSI, want)
		}
	})
}

// TestScoreDriftBoundary: a PSI equal to the limit continues, one just
// above trips. 40 windows of the pattern give shares 0.3/0.2/0.25/0.25.
func TestScoreDriftBoundary(t *testing.T) {
	pattern := []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 0.3, 0.3, 0.3, 0.6, 0.6, 0.6, 0.6, 0.6, 0.9, 0.9, 0.9, 0.9, 0.9}
	win := func(i int) Window { w := healthy(i); w.Score = pattern[i%len(pattern)]; return w }
	psi, _, err := monitor.PSI(quartiles.Probs, []uint64{12, 8, 10, 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		limit float64
		want  Outcome
	}{{psi, Continue}, {math.Nextafter(psi, 0), Tripped}} {
		p := mustNew(t, Config{Duration: time.Hour, MinWindows: 1000, PSIMax: tc.limit, MinPSISamples: 40}, &quartiles)
		if v := run(p, 40, win); v.Outcome != tc.want || v.Windows != 40 {
			t.Errorf("limit %v (PSI %v): verdict %+v, want %v at window 40", tc.limit, psi, v, tc.want)
		}
	}
}

func TestPassNeedsDurationAndWindows(t *testing.T) {
	cfg := Config{Duration: 10 * time.Minute, MinWindows: 100}
	t.Run("windows without duration", func(t *testing.T) {
		p := mustNew(t, cfg, nil)
		// 200 windows in 200 s: windows reached, duration not.
		if v := run(p, 200, healthy); v.Outcome != Continue {
			t.Fatalf("verdict %+v after 200 s", v)
		}
		// The window ending at exactly 10 minutes passes.
		w := healthy(1)
		w.End = t0.Add(10 * time.Minute)
		if v := p.Observe(w); v.Outcome != Passed || v.Promoted || v.Windows != 201 {
			t.Fatalf("verdict %+v at 10 min", v)
		}
		if v := p.Observe(healthy(1000)); v.Outcome != Passed || v.Windows != 201 {
			t.Errorf("after passing: %+v, want the same verdict and no more windows counted", v)
		}
	})
	t.Run("duration without windows", func(t *testing.T) {
		p := mustNew(t, cfg, nil)
		// One window a minute: the duration is reached at window 10.
		slow := func(i int) Window { w := healthy(i); w.End = t0.Add(time.Duration(i) * time.Minute); return w }
		if v := run(p, 99, slow); v.Outcome != Continue {
			t.Fatalf("verdict %+v after 99 windows", v)
		}
		if v := p.Observe(slow(100)); v.Outcome != Passed || v.Windows != 100 {
			t.Fatalf("verdict %+v at window 100", v)
		}
	})
	t.Run("a late window does not move time back", func(t *testing.T) {
		p := mustNew(t, Config{Duration: time.Minute, MinWindows: 2}, nil)
		w := healthy(1)
		w.End = t0.Add(time.Minute)
		p.Observe(w)
		w.End = t0 // out of order
		if v := p.Observe(w); v.Outcome != Passed {
			t.Fatalf("verdict %+v", v)
		}
	})
}

func TestPromote(t *testing.T) {
	p := mustNew(t, Config{Duration: time.Hour, MinWindows: 1000}, nil)
	run(p, 5, healthy)
	v := p.Promote()
	if v.Outcome != Passed || !v.Promoted || v.Windows != 5 {
		t.Fatalf("Promote = %+v", v)
	}
	if got := p.Observe(healthy(6)); got != v {
		t.Errorf("Observe after Promote = %+v, want %+v", got, v)
	}

	p = mustNew(t, Config{Duration: time.Hour, MinWindows: 1000}, nil)
	tripped := p.Observe(Window{End: t0, Score: math.NaN()})
	if got := p.Promote(); got != tripped || got.Outcome != Tripped {
		t.Errorf("Promote after a trip = %+v, want the trip %+v", got, tripped)
	}
}

func TestStatus(t *testing.T) {
	p := mustNew(t, Config{Duration: 10 * time.Minute, MinWindows: 100, LatencySLO: time.Second, PSIMax: 1}, &quartiles)
	s := p.Status(t0)
	if s.Windows != 0 || s.WindowsLeft != 100 || s.TimeLeft != 10*time.Minute || s.P99 != 0 || s.PSIValid || s.AlertRate != 0 {
		t.Fatalf("initial status %+v", s)
	}
	run(p, 40, func(i int) Window {
		w := healthy(i)
		w.Alert = i%4 == 0
		w.Latency = time.Duration(i) * time.Millisecond
		return w
	})
	s = p.Status(t0.Add(4 * time.Minute))
	if s.Verdict.Outcome != Continue || s.Windows != 40 || s.WindowsLeft != 60 || s.Elapsed != 4*time.Minute ||
		s.TimeLeft != 6*time.Minute || s.Alerts != 10 || s.AlertRate != 0.25 || s.LatencySamples != 40 ||
		!s.PSIValid || s.PSI != 0 {
		t.Fatalf("status %+v", s)
	}
	// Nearest-rank p99 of 1..40 ms is 40 ms; the figure is its bucket's
	// upper bound capped at the largest sample.
	if s.P99 != 40*time.Millisecond {
		t.Errorf("p99 %v, want 40ms", s.P99)
	}
	if s := p.Status(t0.Add(time.Hour)); s.TimeLeft != 0 {
		t.Errorf("time left %v past the duration", s.TimeLeft)
	}
}

func TestLatencyBuckets(t *testing.T) {
	for _, d := range []time.Duration{0, 1, time.Microsecond, time.Microsecond + 1, 1234567, time.Second, time.Hour} {
		i := bucketOf(d)
		if i < latencyBuckets && bucketUpper(i) < d {
			t.Errorf("%v in bucket %d with upper bound %v", d, i, bucketUpper(i))
		}
		if i > 0 && i <= latencyBuckets && bucketUpper(i-1) >= d {
			t.Errorf("%v in bucket %d but fits bucket %d (upper %v)", d, i, i-1, bucketUpper(i-1))
		}
	}
	// Every bucket edge lands in its own bucket despite Log2 rounding.
	for i := range latencyBuckets {
		if got := bucketOf(bucketUpper(i)); got != i {
			t.Fatalf("upper bound of bucket %d lands in %d", i, got)
		}
	}
}

func TestObserveDoesNotAllocate(t *testing.T) {
	p := mustNew(t, Config{Duration: 24 * time.Hour, MinWindows: 1 << 40, LatencySLO: time.Second,
		PSIMax: 10, AlertRateMax: 0.9}, &quartiles)
	i := 0
	out := []float64{0.1, 0.9}
	allocs := testing.AllocsPerRun(1000, func() {
		i++
		p.Observe(Window{End: t0.Add(time.Duration(i) * time.Second), Score: 0.125 + 0.25*float64(i%4),
			Outputs: out, Latency: 2 * time.Millisecond})
	})
	if allocs != 0 {
		t.Errorf("Observe allocates %v times per window", allocs)
	}
}

func BenchmarkObserve(b *testing.B) {
	base, err := monitor.BaselineFromSamples([]float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}, 10)
	if err != nil {
		b.Fatal(err)
	}
	p, err := New(Config{Duration: 24 * time.Hour, MinWindows: 1 << 40, LatencySLO: time.Second, PSIMax: 100, AlertRateMax: 0.9}, &base, t0)
	if err != nil {
		b.Fatal(err)
	}
	out := []float64{0.1, 0.9}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p.Observe(Window{End: t0.Add(time.Duration(i) * time.Millisecond), Score: float64(i%11) / 10,
			Outputs: out, Latency: time.Duration(i%7) * time.Millisecond})
	}
}
