package sim

import (
	"math"
	"math/rand/v2"

	"github.com/axle-edge/axle/sensors"
)

// Channel indices of the pump profile, in Channels() order.
const (
	chVibX = iota
	chVibY
	chVibZ
	chBearingTemp
	chPressure
	chCurrent
	numChannels
)

// allChannels is the pump profile. Ranges: ±16 g accelerometer, an industrial
// RTD range for the bearing, a 16 bar transmitter, a 60 A current clamp.
var allChannels = [numChannels]sensors.Channel{
	chVibX:        {Name: "vib_x", Unit: "m/s^2", Min: -16 * gravity, Max: 16 * gravity},
	chVibY:        {Name: "vib_y", Unit: "m/s^2", Min: -16 * gravity, Max: 16 * gravity},
	chVibZ:        {Name: "vib_z", Unit: "m/s^2", Min: -16 * gravity, Max: 16 * gravity},
	chBearingTemp: {Name: "bearing_temp", Unit: "degC", Min: -40, Max: 150},
	chPressure:    {Name: "pressure", Unit: "Pa", Min: 0, Max: 16e5},
	chCurrent:     {Name: "motor_current", Unit: "A", Min: 0, Max: 60},
}

const gravity = 9.80665

func channelIndex(name string) int {
	for i, c := range allChannels {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Signal model constants. Vibration amplitudes are peak m/s^2 of a healthy
// pump (about 2 mm/s RMS velocity at 1×) and of each fault at severity 1.
const (
	amp1x, amp2x, amp3x, ampBPF = 0.25, 0.08, 0.04, 0.35
	noiseRMS                    = 0.15 // broadband, per axis
	imbalance1x                 = 2.5
	misalign2x, misalignAxial   = 1.5, 2.0
	outerImpact, innerImpact    = 6.0, 5.0 // peak of one ringing impact
	looseHarmonics              = 8
	looseAmp, looseSub          = 0.6, 0.4
	slip                        = 0.01 // bearing impact period jitter (rolling elements slip)
	dropBlock                   = 0.1  // seconds per dropout block

	ambient, healthyRise = 25.0, 20.0 // degC
	thermalTau           = 60.0       // s, bearing housing time constant
	basePressure         = 3.0e5      // Pa, discharge
	baseCurrent          = 11.5       // A
)

// faultState is a scheduled fault plus what a sensor fault remembers.
type faultState struct {
	Fault
	kind    int // index into kinds
	ch      int // channel of Dropout/Stuck, -1 for all
	active  bool
	held    [numChannels]float64
	block   int64
	dropped bool
}

// model is the deterministic pump: sample n depends only on the seed, the
// configuration and the faults, never on the wall clock.
type model struct {
	rng          *rand.Rand
	n            int64
	dt           float64
	dtheta       float64 // shaft angle per sample
	theta        float64 // shaft angle, wrapped at 4π so that ½× stays continuous
	blades       float64
	noise        float64
	bpfo, bpfi   float64
	nextOuter    float64 // time of the next outer race impact, s
	nextInner    float64
	resA1, resA2 float64 // resonator recursion
	resGain      float64
	res1, res2   float64
	loosePhase   [looseHarmonics + 1]float64
	temp         float64
	faults       []faultState
}

func newModel(cfg *Config) *model {
	m := &model{
		rng:    rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)),
		dt:     1 / cfg.Rate,
		blades: float64(cfg.Blades),
		noise:  cfg.Noise,
		temp:   ambient + healthyRise,
	}
	fr := cfg.RPM / 60
	m.dtheta = 2 * math.Pi * fr * m.dt
	m.bpfo, m.bpfi = cfg.Bearing.defectFrequencies(fr)
	m.nextOuter = 1 / m.bpfo
	m.nextInner = 1 / m.bpfi
	// A structural resonance excited by bearing impacts: a two-pole filter
	// ringing at 30 % of the sample rate (capped at 2.8 kHz) that decays in
	// about two cycles, scaled so one unit impulse peaks near 1.
	fres := math.Min(2800, 0.3*cfg.Rate)
	w := 2 * math.Pi * fres * m.dt
	r := math.Exp(-m.dt * fres / 2)
	m.resA1, m.resA2, m.resGain = 2*r*math.Cos(w), r*r, math.Sin(w)
	for k := range m.loosePhase {
		m.loosePhase[k] = m.rng.Float64() * 2 * math.Pi
	}
	for _, f := range cfg.Faults {
		m.add(f)
	}
	return m
}

func (m *model) add(f Fault) {
	m.faults = append(m.faults, faultState{Fault: f, kind: kindIndex(f.Kind), ch: channelIndex(f.Channel)})
}

func (m *model) now() float64 { return float64(m.n) * m.dt }

// step computes the next sample of every channel into out.
func (m *model) step(out *[numChannels]float64) {
	t := m.now()
	var lv [numKinds]float64
	for i := range m.faults {
		lv[m.faults[i].kind] += m.faults[i].level(t)
	}
	imb, mis := lv[kImbalance], lv[kMisalignment]
	outer, inner := lv[kOuter], lv[kInner]
	loose, heat := lv[kLoose], lv[kHeat]

	th := m.theta
	s1, c1 := math.Sincos(th)
	s2, c2 := math.Sincos(2 * th)
	s3, c3 := math.Sincos(3 * th)
	sb, cb := math.Sincos(m.blades * th)

	a1 := amp1x + imbalance1x*imb
	a2 := amp2x + misalign2x*mis
	x := a1*c1 + a2*c2 + amp3x*c3 + ampBPF*cb
	y := a1*s1 + a2*s2 + amp3x*s3 + ampBPF*sb
	z := (0.4*amp1x+misalignAxial*mis+0.1*imb)*c1 + (0.3*amp2x+misalign2x*mis)*c2 + 0.3*ampBPF*cb
	if loose > 0 {
		// Looseness rattles mostly in the vertical (y) direction.
		y += looseSub * loose * math.Sin(0.5*th+m.loosePhase[0])
		for k := 1; k <= looseHarmonics; k++ {
			y += looseAmp * loose / float64(k) * math.Sin(float64(k)*th+m.loosePhase[k])
			x += 0.3 * looseAmp * loose / float64(k) * math.Sin(float64(k)*th+m.loosePhase[k]+1)
		}
	}

	// Rolling elements strike the defect once per BPFO (outer race) or BPFI
	// (inner race; stronger inside the load zone, so modulated at 1×). The
	// random draws happen whether or not a fault is active, so a schedule
	// never changes the healthy part of the signal.
	impulse := 0.0
	for t >= m.nextOuter {
		impulse += outerImpact * outer * (1 + 0.2*m.rng.NormFloat64())
		m.nextOuter += (1 + slip*m.rng.NormFloat64()) / m.bpfo
	}
	for t >= m.nextInner {
		impulse += innerImpact * inner * (0.55 + 0.45*c1) * (1 + 0.2*m.rng.NormFloat64())
		m.nextInner += (1 + slip*m.rng.NormFloat64()) / m.bpfi
	}
	r := m.resA1*m.res1 - m.resA2*m.res2 + m.resGain*impulse
	m.res2, m.res1 = m.res1, r
	x += r
	y += 0.6 * r
	z += 0.35 * r

	ns := m.noise * noiseRMS * (1 + 0.7*(outer+inner+loose))
	out[chVibX] = x + ns*m.rng.NormFloat64()
	out[chVibY] = y + ns*m.rng.NormFloat64()
	out[chVibZ] = z + ns*m.rng.NormFloat64()

	target := ambient + healthyRise + 3*imb + 5*mis + 12*outer + 15*inner + 6*loose + 40*heat
	m.temp += (target - m.temp) * m.dt / thermalTau
	out[chBearingTemp] = m.temp + 0.03*m.noise*m.rng.NormFloat64()
	out[chPressure] = basePressure + 2500*math.Sin(2*math.Pi*t/300) + 1200*cb + 200*m.noise*m.rng.NormFloat64()
	out[chCurrent] = baseCurrent + 0.4*imb + 0.9*mis + 0.6*(outer+inner) + 0.4*loose + 1.5*heat +
		0.06*c1 + 0.05*m.noise*m.rng.NormFloat64()

	m.sensorFaults(t, out)

	m.theta += m.dtheta
	if m.theta >= 4*math.Pi {
		m.theta -= 4 * math.Pi
	}
	m.n++
}

// sensorFaults applies Stuck and Dropout to the computed sample.
func (m *model) sensorFaults(t float64, out *[numChannels]float64) {
	for i := range m.faults {
		f := &m.faults[i]
		if f.kind != kDropout && f.kind != kStuck {
			continue
		}
		if f.level(t) == 0 {
			f.active = false
			continue
		}
		lo, hi := 0, numChannels
		if f.ch >= 0 {
			lo, hi = f.ch, f.ch+1
		}
		switch f.kind {
		case kStuck:
			if !f.active {
				f.held = *out
			}
			copy(out[lo:hi], f.held[lo:hi])
		case kDropout:
			block := int64((t - f.Start.Seconds()) / dropBlock)
			if !f.active || block != f.block {
				f.block = block
				f.dropped = m.rng.Float64() < f.Severity
			}
			if f.dropped {
				for c := lo; c < hi; c++ {
					out[c] = math.NaN()
				}
			}
		}
		f.active = true
	}
}
