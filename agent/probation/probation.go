package probation

import (
	"fmt"
	"math"
	"time"

	"github.com/axle-edge/axle/agent/monitor"
)

// Gate names a probation gate; the names appear in events and the status.
type Gate string

const (
	GateInvokeError Gate = "invoke_error"      // Invoke returned an error
	GateNonFinite   Gate = "non_finite_output" // the score or an output was NaN or ±Inf
	GateLatency     Gate = "latency_p99"       // p99 Invoke latency above the SLO (seconds)
	GateScoreDrift  Gate = "score_psi"         // PSI of scores against the baseline
	GateAlertRate   Gate = "alert_rate"        // share of windows that alerted
)

// Default minimum sample counts, used when the Config leaves them zero.
const (
	// DefaultMinLatencySamples is 100 because the nearest-rank p99 of fewer
	// samples is their maximum: one slow window (a page fault, a GC) would
	// trip the gate. From 100 on, p99 above the SLO means at least two slow
	// windows per hundred.
	DefaultMinLatencySamples = 100
	DefaultMinPSISamples     = 100
	DefaultMinAlertWindows   = 20
)

// Config sets probation's length and gates. A zero limit turns its gate off.
type Config struct {
	// Both must be reached to pass: time from the start to the latest
	// window's end, and windows observed.
	Duration   time.Duration
	MinWindows int64

	LatencySLO        time.Duration // p99 Invoke latency limit; 0 = off
	MinLatencySamples int64         // windows before the latency gate judges; 0 = default

	PSIMax        float64 // score PSI limit against the baseline; 0 = off
	MinPSISamples int64   // scores before the PSI gate judges; 0 = default

	AlertRateMax    float64 // alerting share of windows, in (0, 1]; 0 = off
	MinAlertWindows int64   // windows before the alert-rate gate judges; 0 = default
}

// validate fills defaults and checks ranges, naming the bad field.
func (c *Config) validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("probation: config: field %q: %v, want %s", field, v, want)
	}
	switch {
	case c.Duration <= 0:
		return bad("Duration", c.Duration, "a positive duration")
	case c.MinWindows < 1:
		return bad("MinWindows", c.MinWindows, "at least 1")
	case c.LatencySLO < 0:
		return bad("LatencySLO", c.LatencySLO, "0 (off) or positive")
	case c.MinLatencySamples < 0:
		return bad("MinLatencySamples", c.MinLatencySamples, "0 (default) or positive")
	case math.IsNaN(c.PSIMax) || math.IsInf(c.PSIMax, 0) || c.PSIMax < 0:
		return bad("PSIMax", c.PSIMax, "0 (off) or a positive finite number")
	case c.MinPSISamples < 0:
		return bad("MinPSISamples", c.MinPSISamples, "0 (default) or positive")
	case math.IsNaN(c.AlertRateMax) || c.AlertRateMax < 0 || c.AlertRateMax > 1:
		return bad("AlertRateMax", c.AlertRateMax, "0 (off) or a share in (0, 1]")
	case c.MinAlertWindows < 0:
		return bad("MinAlertWindows", c.MinAlertWindows, "0 (default) or positive")
	}
	if c.MinLatencySamples == 0 {
		c.MinLatencySamples = DefaultMinLatencySamples
	}
	if c.MinPSISamples == 0 {
		c.MinPSISamples = DefaultMinPSISamples
	}
	if c.MinAlertWindows == 0 {
		c.MinAlertWindows = DefaultMinAlertWindows
	}
	return nil
}

// Window is one scored window of the version on probation.
type Window struct {
	End     time.Time
	Score   float64
	Outputs []float64 // the raw outputs, checked for NaN/Inf; may be nil
	Latency time.Duration
	Err     error // Invoke's error, if any
	Alert   bool  // the window raised or held an alert
}

// Outcome is where probation stands.
type Outcome int

const (
	Continue Outcome = iota // still on probation
	Passed                  // promote the version
	Tripped                 // roll back: a gate failed
)

func (o Outcome) String() string {
	switch o {
	case Passed:
		return "passed"
	case Tripped:
		return "tripped"
	}
	return "continue"
}

// Verdict is the result of an observation. For Tripped, Gate names the gate
// and Observed/Limit its figures (seconds for latency, a share for the
// alert rate, PSI for drift, a count of 1 against 0 for errors and
// non-finite outputs so that every figure stays valid JSON); Detail says
// what was seen. Windows is the number of windows observed so far.
type Verdict struct {
	Outcome  Outcome
	Promoted bool // Passed by Promote, before the gates' conditions were met
	Gate     Gate
	Observed float64
	Limit    float64
	Windows  int64
	Detail   string
}

// Probation evaluates one version's probation. Not safe for concurrent use;
// the goroutine that owns the model calls it.
type Probation struct {
	cfg      Config
	start    time.Time
	last     time.Time // latest window end seen
	windows  int64
	alerts   int64
	lat      latencies
	latAbove int64 // windows with latency strictly above the SLO
	base     *monitor.Baseline
	scores   []uint64 // per baseline bin, over the whole probation
	nScores  int64
	verdict  Verdict // final once Outcome != Continue
}

// New starts a probation at start. baseline is the manifest's score
// distribution; it is required when cfg.PSIMax is set and may be nil
// otherwise.
func New(cfg Config, baseline *monitor.Baseline, start time.Time) (*Probation, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	p := &Probation{cfg: cfg, start: start, last: start}
	if cfg.PSIMax > 0 && baseline == nil {
		return nil, fmt.Errorf("probation: config: field \"PSIMax\": %v set but the bundle has no score baseline", cfg.PSIMax)
	}
	if baseline != nil {
		if err := baseline.Validate(); err != nil {
			return nil, fmt.Errorf("probation: score baseline: %w", err)
		}
		p.base = baseline
		p.scores = make([]uint64, baseline.Bins())
	}
	return p, nil
}

// Observe takes one window and returns the verdict. Once probation has
// passed or tripped, further windows are not counted and the final verdict
// is returned again.
func (p *Probation) Observe(w Window) Verdict {
	if p.verdict.Outcome != Continue {
		return p.verdict
	}
	p.windows++
	if w.End.After(p.last) {
		p.last = w.End
	}
	if w.Err != nil {
		return p.trip(GateInvokeError, 1, 0, w.Err.Error())
	}
	if !finite(w.Score) {
		return p.trip(GateNonFinite, 1, 0, fmt.Sprintf("score = %v", w.Score))
	}
	for i, v := range w.Outputs {
		if !finite(v) {
			return p.trip(GateNonFinite, 1, 0, fmt.Sprintf("output[%d] = %v", i, v))
		}
	}
	if w.Alert {
		p.alerts++
	}

	if slo := p.cfg.LatencySLO; slo > 0 {
		p.lat.observe(w.Latency)
		if w.Latency > slo {
			p.latAbove++
		}
		if p.lat.n >= p.cfg.MinLatencySamples && p99Above(p.latAbove, p.lat.n) {
			// The gate is exact (a count of windows above the SLO); the
			// figure is the bucketed p99, never below the true one.
			return p.trip(GateLatency, p.lat.quantile(0.99).Seconds(), slo.Seconds(),
				fmt.Sprintf("%d of %d windows above the SLO", p.latAbove, p.lat.n))
		}
	}

	if p.base != nil {
		p.scores[p.base.Bin(w.Score)]++
		p.nScores++
		if p.cfg.PSIMax > 0 && p.nScores >= p.cfg.MinPSISamples {
			psi, _, _ := monitor.PSI(p.base.Probs, p.scores) // lengths match by construction
			if psi > p.cfg.PSIMax {
				return p.trip(GateScoreDrift, psi, p.cfg.PSIMax,
					fmt.Sprintf("score distribution of %d windows against the baseline", p.nScores))
			}
		}
	}

	if lim := p.cfg.AlertRateMax; lim > 0 && p.windows >= p.cfg.MinAlertWindows {
		if rate := float64(p.alerts) / float64(p.windows); rate > lim {
			return p.trip(GateAlertRate, rate, lim, fmt.Sprintf("%d alerts in %d windows", p.alerts, p.windows))
		}
	}

	if p.windows >= p.cfg.MinWindows && p.last.Sub(p.start) >= p.cfg.Duration {
		p.verdict = Verdict{Outcome: Passed, Windows: p.windows}
		return p.verdict
	}
	return Verdict{Outcome: Continue, Windows: p.windows}
}

func (p *Probation) trip(g Gate, observed, limit float64, detail string) Verdict {
	p.verdict = Verdict{Outcome: Tripped, Gate: g, Observed: observed, Limit: limit, Windows: p.windows, Detail: detail}
	return p.verdict
}

// Promote ends probation early as passed (the model.promote command). A
// probation that already ended keeps its verdict, so a tripped version
// cannot be promoted.
func (p *Probation) Promote() Verdict {
	if p.verdict.Outcome == Continue {
		p.verdict = Verdict{Outcome: Passed, Promoted: true, Windows: p.windows}
	}
	return p.verdict
}

// Status is a snapshot for the retained status and metrics.
type Status struct {
	Verdict     Verdict       // Outcome Continue while on probation
	Windows     int64         // windows observed
	WindowsLeft int64         // windows still needed (0 when reached)
	Elapsed     time.Duration // now − start
	TimeLeft    time.Duration // duration still needed by the clock at now (0 when reached)

	LatencySamples int64
	P99            time.Duration // bucketed p99 of Invoke latency so far (about 4.4 % resolution)

	ScoreSamples int64
	PSI          float64 // score PSI so far; valid when PSIValid
	PSIValid     bool

	Alerts    int64
	AlertRate float64 // alerts / windows; 0 without windows
}

// Status reports the state at now, which only sets Elapsed and TimeLeft.
func (p *Probation) Status(now time.Time) Status {
	s := Status{
		Verdict:        p.verdict,
		Windows:        p.windows,
		WindowsLeft:    max(0, p.cfg.MinWindows-p.windows),
		Elapsed:        now.Sub(p.start),
		TimeLeft:       max(0, p.cfg.Duration-now.Sub(p.start)),
		LatencySamples: p.lat.n,
		P99:            p.lat.quantile(0.99),
		ScoreSamples:   p.nScores,
		Alerts:         p.alerts,
	}
	s.Verdict.Windows = p.windows
	if p.nScores > 0 {
		s.PSI, s.PSIValid, _ = monitor.PSI(p.base.Probs, p.scores)
	}
	if p.windows > 0 {
		s.AlertRate = float64(p.alerts) / float64(p.windows)
	}
	return s
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
