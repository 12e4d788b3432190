// Package sim is a machine simulator behind the sensors contract: a
// motor-driven centrifugal pump with a tri-axial accelerometer, a bearing
// temperature probe, a discharge pressure transmitter and a motor current
// clamp. It exists for demos, for tests of everything downstream of the
// sensors, and for trying a model on faults that a healthy plant never shows.
//
// Channels (all at the configured rate, default 3200 Hz):
//
//	vib_x, vib_y  radial acceleration, m/s^2 (x horizontal, y vertical)
//	vib_z         axial acceleration, m/s^2
//	bearing_temp  degC, first-order lag (τ = 60 s) toward a load-dependent target
//	pressure      Pa, 3 bar discharge with blade-pass pulsation and slow drift
//	motor_current A, RMS value
//
// Vibration signal, per sample (θ = shaft angle, fr = rpm/60):
//
//	radial  = a1·cos θ + a2·cos 2θ + a3·cos 3θ + aBPF·cos(blades·θ)   shaft harmonics, blade pass
//	        + looseness: Σ_k a/k·sin(kθ+φk) + ½× sub-harmonic
//	        + resonator(impulses)                                     bearing defects
//	        + Gaussian noise
//	impulses: one per 1/BPFO (outer race) or 1/BPFI (inner race, ×(0.55+0.45 cos θ)),
//	          period jittered 1 % (slip), amplitude 20 %
//	BPFO = n/2·fr·(1 − d/D·cos φ)   BPFI = n/2·fr·(1 + d/D·cos φ)   (SKF 6205 by default)
//
// The resonator rings at 30 % of the sample rate, so a bearing defect raises
// RMS, kurtosis and high-band energy, and its envelope repeats at BPFO or
// BPFI: the signature envelope analysis looks for.
//
// Faults come from a schedule (Config.Faults, option "faults") or on command
// (Machine.Inject). A fault grows linearly over Ramp to Severity (1 = a
// developed fault) and lasts Duration (0 = forever). Dropout (NaN in 100 ms
// blocks, sample marked invalid) and Stuck (value frozen) simulate a failing
// sensor rather than a failing machine, so that the quality checks downstream
// can be exercised.
//
// Sample n depends only on the seed, the configuration and the faults: the
// same seed and schedule give bit-identical samples, and adding a fault never
// changes the signal before it starts. Time stamps are Start + n/rate. With
// Realtime the machine is paced by a pace.Clock (a burst is delivered once its
// last sample is due); without it, samples come as fast as they are taken.
package sim
