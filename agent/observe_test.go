package agent

import (
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
)

// TestSeriesBoundedAndDownsampled records two hours of windows every
// second: the series keeps the last hour in at most 720 points, each the
// highest score of its 5 s bucket, and the version's counters count all.
func TestSeriesBoundedAndDownsampled(t *testing.T) {
	var o observer
	vs := o.stats("1")
	start := time.Unix(1_700_000_000, 0)
	const n = 7200
	for i := range n {
		end := start.Add(time.Duration(i) * time.Second)
		o.scored(vs, end, float64(i%5), fleet.AlertOK, time.Millisecond, end.Add(20*time.Millisecond))
	}
	last := start.Add((n - 1) * time.Second)
	pts, alert, cur, _ := o.series(time.Time{})
	if len(pts) > seriesPoints || len(pts) < seriesPoints-1 {
		t.Fatalf("%d points, want about %d", len(pts), seriesPoints)
	}
	if first := pts[0].T; last.Sub(first) > seriesHorizon {
		t.Errorf("oldest point %s is more than an hour before the newest %s", first, last)
	}
	for i, p := range pts {
		if p.Score != 4 && i < len(pts)-1 {
			t.Fatalf("point %d %+v: want the bucket's highest score 4", i, p)
		}
		if i > 0 && !p.T.After(pts[i-1].T) {
			t.Fatalf("points out of order at %d", i)
		}
	}
	if alert != fleet.AlertOK || cur != vs || vs.scored.Load() != n || vs.endToEnd.Count() != n {
		t.Errorf("alert %q, scored %d, e2e count %d", alert, vs.scored.Load(), vs.endToEnd.Count())
	}
	if q := vs.endToEnd.Quantile(0.99); q < 20*time.Millisecond || q > 50*time.Millisecond {
		t.Errorf("end-to-end p99 %s, want the 20 ms bucket", q)
	}
	if pts, _, _, _ := o.series(last.Add(-time.Minute)); len(pts) < 12 || len(pts) > 13 {
		t.Errorf("the last minute has %d points, want 12 or 13", len(pts))
	}
}

// TestVersionStatsBounded keeps the counters of the last few versions and
// reuses a version's counters when it comes back (a rollback).
func TestVersionStatsBounded(t *testing.T) {
	var o observer
	v1 := o.stats("1")
	v1.scored.Add(5)
	for _, v := range []string{"2", "3", "4"} {
		o.stats(v)
	}
	if back := o.stats("1"); back != v1 || back.scored.Load() != 5 {
		t.Errorf("version 1 came back with new counters")
	}
	o.stats("5")
	var names []string
	for _, vs := range o.allStats() {
		names = append(names, vs.version)
	}
	if len(names) != maxObservedVersions || names[0] != "3" || names[len(names)-1] != "5" {
		t.Errorf("versions kept: %v", names)
	}
}
