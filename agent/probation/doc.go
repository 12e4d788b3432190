// Package probation decides whether a newly deployed model version keeps
// its place. It is pure decision logic: no I/O, no goroutines, no clock
// reads; time comes from the windows observed and from explicit arguments,
// so the same windows always give the same verdict.
//
//	deploy ──► New(cfg, score baseline, start)
//	each scored window ──► Observe(Window) ──► Continue
//	                                      ├─► Tripped{gate, observed, limit, windows} ──► agent rolls back
//	                                      └─► Passed (duration AND min windows)      ──► agent promotes
//	model.promote ──► Promote() ──► Passed early
//	status ──► Status(now): windows, time left, p99, PSI, alert rate so far
//
// Gates: an invoke error or a NaN/Inf output trips at once; the p99 latency
// over the SLO, the PSI of the score distribution against the manifest's
// baseline, and the alert share of windows each trip once they have enough
// samples to mean something.
//
// Shadow accumulates the comparison of a candidate scored beside the
// champion (shadow mode): alert-state agreement, mean and p95 absolute score
// difference, candidate latency quantiles.
package probation
