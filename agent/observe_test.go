package agent

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/sensortest"
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

// TestQualityShareFromRunningAgent runs an agent on a scripted sensor with
// known bad samples and reads each channel's share of samples that passed
// the quality checks from the metrics message and from /metrics.
func TestQualityShareFromRunningAgent(t *testing.T) {
	t.Parallel()
	chans := []sensors.Channel{{Name: "a", Min: -1, Max: 1}, {Name: "b"}}
	var script []sensors.Sample
	t0 := time.Now()
	for i := range 10 {
		s := sensors.Sample{Time: t0.Add(time.Duration(i) * 100 * time.Millisecond), Values: []float64{float64(i) / 20, float64(i)}, Valid: true}
		switch i {
		case 3:
			s.Values[0] = 5 // outside a's range
		case 4:
			s.Values[1] = math.NaN()
		case 6:
			s.Valid, s.Fault = false, "crc" // the driver's flag fails both
		case 8:
			s.Values[0] = -7
		}
		script = append(script, s)
	}
	drv := map[string]sensors.Opener{"scripted": func(context.Context, sensors.Spec, sensors.Buses) (sensors.Sensor, error) {
		return sensortest.NewSensor(chans, script...), nil
	}}
	h := setupAgent(t, fmt.Sprintf("device: q-dev\nstate_dir: %q\nmqtt: {broker: %q}\nsensors:\n  - {name: q, driver: scripted, rate: 10}\n",
		t.TempDir(), "tcp://"+testBroker(t)), Options{Drivers: drv})
	h.start(t)
	uplinktest.WaitFor(t, 10*time.Second, "the scripted samples checked", func() bool {
		_, ok := h.a.metrics().Values["sensor_q_b_quality_share"]
		return ok && h.a.pipes[0].checker.Quality()[1].Checked == 10
	})
	v := h.a.metrics().Values
	if v["sensor_q_a_quality_share"] != 0.7 || v["sensor_q_b_quality_share"] != 0.8 {
		t.Errorf("quality shares a %v b %v, want 0.7 and 0.8", v["sensor_q_a_quality_share"], v["sensor_q_b_quality_share"])
	}
	var met strings.Builder
	if err := h.a.WriteMetrics(&met); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		`axle_sensor_quality_share{sensor="q",channel="a"} 0.7` + "\n",
		`axle_sensor_quality_share{sensor="q",channel="b"} 0.8` + "\n",
		`axle_sensor_quality_samples_total{sensor="q",channel="a",result="failed"} 3` + "\n",
	} {
		if !strings.Contains(met.String(), line) {
			t.Errorf("/metrics lacks %q:\n%s", line, met.String())
		}
	}
}
