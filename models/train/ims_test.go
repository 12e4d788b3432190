package train

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/axle-edge/axle/models/bundle"
	"github.com/axle-edge/axle/models/preprocess"
	"github.com/axle-edge/axle/sensors/replay"
)

// imsWindows replays the 10-minute summaries of IMS test 2 (four bearings;
// bearing 1 fails with an outer-race defect at the end) as a sensor at one
// row per 600 s and returns the windows of in with the row index each ends at.
func imsWindows(t *testing.T, in bundle.Input) []Window {
	t.Helper()
	dir := os.Getenv("AXLE_DATASETS_DIR")
	if dir == "" {
		t.Skip("AXLE_DATASETS_DIR is not set (make test sets it)")
	}
	cfg := replay.Config{
		File: filepath.Join(dir, "ims_bearing", "2nd_test_resmaple_10minutes.csv"), Format: replay.FormatCSV,
		Delimiter: ',', Header: true, Rate: 1.0 / 600, Speed: 1, Burst: replay.DefaultBurst,
		Start: time.Date(2004, 2, 12, 10, 32, 39, 0, time.UTC),
	}
	for i, name := range []string{"Bearing 1", "Bearing 2", "Bearing 3", "Bearing 4"} {
		cfg.Columns = append(cfg.Columns, replay.Column{Name: in.Channels[i], Column: name, Unit: "g"})
	}
	p, err := replay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	w, err := Features(context.Background(), p, cfg.Rate, in, 0)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestIMSBearingDegradation trains on the first days of IMS test 2 and
// checks that the model alarms on the degraded last day of the same
// recording. Only 10-minute summaries (mean |acceleration| per snapshot)
// of the degraded phase are in the datasets folder, so the model's input
// is windows of those summaries, not raw vibration.
func TestIMSBearingDegradation(t *testing.T) {
	in := bundle.Input{
		Channels: []string{"b1", "b2", "b3", "b4"},
		Window:   bundle.Duration(30 * time.Minute), Hop: bundle.Duration(10 * time.Minute),
		Features: []string{preprocess.Mean, preprocess.Max},
	}
	ws := imsWindows(t, in)
	if len(ws) != 984-2 {
		t.Fatalf("%d windows of 3 rows, hop 1, from 984 rows", len(ws))
	}
	// Row r of the file ends window r-2. Rows up to 400 (2004-02-15 05:12)
	// train; 400..500 are later healthy data the model never saw; from row
	// 700 (2004-02-17 06:32) bearing 1 is visibly degraded.
	const trainEnd, healthyEnd, degraded = 400, 500, 700
	var healthy [][]float64
	for _, w := range ws[:trainEnd-2] {
		healthy = append(healthy, w.Features)
	}
	res, err := Fit(context.Background(), Config{Name: "ims-bearing", Version: "1", Input: in, Components: 2}, healthy)
	if err != nil {
		t.Fatal(err)
	}
	packed(t, res)
	alarm := res.Manifest.Output.Thresholds.Alarm

	var evalRows [][]float64
	var positive []bool
	for i, w := range ws {
		row := i + 2
		switch {
		case row >= trainEnd && row < healthyEnd:
			positive = append(positive, false)
		case row >= degraded:
			positive = append(positive, true)
		default:
			continue
		}
		evalRows = append(evalRows, w.Features)
	}
	scores, err := Score(context.Background(), res.Model, evalRows)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Evaluate(scores, positive, alarm)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("alarm %.3g; unseen healthy rows %d..%d vs degraded rows %d..983: %+v", alarm, trainEnd, healthyEnd, degraded, ev)
	if ev.FP > 1 || ev.Recall < 0.9 || ev.AUC < 0.95 {
		t.Errorf("want at most one false alarm on unseen healthy data, recall >= 0.9 and AUC >= 0.95 on the degraded day; got %+v", ev)
	}
	// When the model first alarms after training: not in the healthy
	// stretch, and before the degraded day.
	var later [][]float64
	for _, w := range ws[trainEnd-2:] {
		later = append(later, w.Features)
	}
	all, err := Score(context.Background(), res.Model, later)
	if err != nil {
		t.Fatal(err)
	}
	first := -1
	for i, s := range all {
		if s >= alarm {
			first = trainEnd + i
			break
		}
	}
	if first < healthyEnd || first > degraded {
		t.Errorf("first alarm after training at row %d, want within rows %d..%d", first, healthyEnd, degraded)
	}
	t.Logf("first alarm at row %d (%s)", first, ws[first-2].End.Format(time.DateTime))
}
