// Package quality keeps bad readings away from models and turns them into
// sensor-fault events.
//
// A Checker (one per sensor, used by the goroutine that reads it) looks at
// every sample, marks the bad ones invalid and reports transitions:
//
//	sample ──► NaN / ±Inf?          ──┐
//	           outside [min, max]?  ──┼─► Valid = false, Fault = "vib_x out_of_range"
//	           unchanged N samples? ──┘          │
//	           driver said invalid?              ▼
//	                                  first bad sample of a reason: Transition{Raised: true}
//	                                  ClearSamples good samples in a row: Transition{Raised: false}
//	read error / timeout (ReadFailed) ─► sensor-level Transition, cleared the same way
//
// Only transitions are reported, so a sensor stuck for an hour makes two
// events, not millions. The agent publishes them as sensor_fault and
// sensor_ok events.
//
// Backoff computes retry delays for a failing sensor (the agent owns the
// retry loop, so one failing sensor never stops the others), and Metrics
// counts what the agent observes per sensor: samples and achieved rate,
// late reads, dropped samples, read errors and invalid samples. The Checker
// itself counts per channel the samples checked and passed (Quality), which
// any goroutine may read.
package quality
