package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/models/demomodel"
)

// TestFeedbackCommand labels windows of a running agent over MQTT by seq
// and by time range, and checks the confusion matrix in the results and
// metrics, the count of labels for forgotten windows, the rejection of bad
// args, and that the labels survive in feedback.db.
func TestFeedbackCommand(t *testing.T) {
	t.Parallel()
	rg := newOTARig(t, "feedback-pump")
	h := rg.start()
	var got []fleet.Score
	uplinktest.WaitFor(t, 30*time.Second, "8 scores on the broker", func() bool {
		rg.backend.col.mu.Lock()
		defer rg.backend.col.mu.Unlock()
		got = append(got[:0], rg.backend.col.scores...)
		return len(got) >= 8
	})
	alarm := demomodel.Info().Alarm
	var want confusion
	count := func(s fleet.Score, positive bool) {
		switch pred := *s.Score >= alarm; {
		case pred && positive:
			want.TP++
		case pred:
			want.FP++
		case positive:
			want.FN++
		default:
			want.TN++
		}
	}
	seqs := func(ss []fleet.Score) []uint64 {
		var out []uint64
		for _, s := range ss {
			if s.Seq == 0 {
				t.Fatalf("score without seq: %+v", s)
			}
			out = append(out, s.Seq)
		}
		return out
	}
	for _, s := range got[:3] {
		count(s, true)
	}
	for _, s := range got[3:6] {
		count(s, false)
	}
	for _, s := range got[6:8] {
		count(s, true)
	}
	rg.command("f1", fleet.VerbFeedback, map[string]any{"model": "pump", "label": "positive", "seq": append(seqs(got[:3]), 1<<40)})
	rg.command("f2", fleet.VerbFeedback, map[string]any{"model": "pump", "label": "negative", "seq": seqs(got[3:6])})
	rg.command("f3", fleet.VerbFeedback, map[string]any{"model": "pump", "label": "positive",
		"from": got[6].Window.End.Format(time.RFC3339Nano), "to": got[7].Window.End.Format(time.RFC3339Nano)})
	rg.command("f4", fleet.VerbFeedback, map[string]any{"model": "pump", "label": "negative",
		"from": "2001-01-01T00:00:00Z", "to": "2001-01-02T00:00:00Z"})
	for id, want := range map[string]string{"f1": "3/1", "f2": "3/0", "f3": "2/0", "f4": "0/1"} {
		res := rg.final(id)
		if res.Status != fleet.ResultDone || fmt.Sprintf("%v/%v", res.Result["labelled"], res.Result["unknown"]) != want {
			t.Errorf("%s: %+v, want labelled/unknown %s", id, res, want)
		}
	}
	res := rg.final("f3")
	v1, _ := res.Result["versions"].(map[string]any)["1"].(map[string]any)
	if v1 == nil || fmt.Sprint(v1["tp"], v1["fp"], v1["tn"], v1["fn"]) != fmt.Sprint(want.TP, want.FP, want.TN, want.FN) {
		t.Errorf("matrix after f3: %v, want %+v", res.Result["versions"], want)
	}

	for id, tc := range map[string]struct {
		args map[string]any
		want string
	}{
		"b1": {map[string]any{"model": "pump", "label": "maybe", "seq": []int{1}}, `args field "label": "maybe"`},
		"b2": {map[string]any{"model": "pump", "label": "positive", "seq": []int{1}, "from": "2001-01-01T00:00:00Z", "to": "2001-01-01T00:00:00Z"}, "seq or from/to, not both"},
		"b3": {map[string]any{"model": "fan", "label": "positive", "seq": []int{1}}, `"fan" is not a configured model`},
		"b4": {map[string]any{"model": "pump", "label": "positive", "from": "2001-01-02T00:00:00Z", "to": "2001-01-01T00:00:00Z"}, `args field "to"`},
		"b5": {map[string]any{"model": "pump", "label": "positive"}, "give seq"},
		"b6": {map[string]any{"model": "pump", "label": "positive", "seqs": []int{1}}, "unknown field"},
	} {
		rg.command(id, fleet.VerbFeedback, tc.args)
		if res := rg.final(id); res.Status != fleet.ResultRejected || !strings.Contains(res.Error, tc.want) {
			t.Errorf("%s: %+v, want rejected with %q", id, res, tc.want)
		}
	}

	var met strings.Builder
	if err := h.a.WriteMetrics(&met); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		fmt.Sprintf(`axle_model_feedback_windows{model="pump",version="1",sensor="pump",outcome="fn"} %d`, want.FN),
		fmt.Sprintf(`axle_model_feedback_windows{model="pump",version="1",sensor="pump",outcome="tn"} %d`, want.TN),
		`axle_model_feedback_unknown_total{model="pump",sensor="pump"} 2`,
		`axle_model_recall{model="pump",version="1",sensor="pump"} `,
	} {
		if !strings.Contains(met.String(), line) {
			t.Errorf("metrics lack %q:\n%s", line, met.String())
		}
	}

	// The metrics topic carries the same figures for the current version
	// as flat keys, beside the windows and latency of the slot.
	var mu sync.Mutex
	var mqttMet map[string]float64
	uplinktest.NewConsumer(t, rg.url, "feedback-metrics", func(_ string, payload []byte) {
		var m fleet.Metrics
		if json.Unmarshal(payload, &m) == nil {
			mu.Lock()
			mqttMet = m.Values
			mu.Unlock()
		}
	}, "axle/feedback-pump/metrics")
	uplinktest.WaitFor(t, 10*time.Second, "a metrics message", func() bool {
		h.a.publishMetrics(context.Background())
		mu.Lock()
		defer mu.Unlock()
		return mqttMet != nil
	})
	mu.Lock()
	lastMet := mqttMet // later messages replace the map, never change it
	mu.Unlock()
	p, r, f1 := want.scores()
	for k, ok := range map[string]bool{
		"model_pump_windows_scored_total":          lastMet["model_pump_windows_scored_total"] >= 8,
		"model_pump_windows_dropped_total":         lastMet["model_pump_windows_dropped_total"] == 0,
		"model_pump_end_to_end_p99_seconds":        lastMet["model_pump_end_to_end_p99_seconds"] > 0,
		"model_pump_invoke_p99_seconds":            lastMet["model_pump_invoke_p99_seconds"] > 0,
		"model_pump_precision":                     hasKey(lastMet, "model_pump_precision") && lastMet["model_pump_precision"] == p,
		"model_pump_recall":                        hasKey(lastMet, "model_pump_recall") && lastMet["model_pump_recall"] == r,
		"model_pump_f1":                            hasKey(lastMet, "model_pump_f1") && lastMet["model_pump_f1"] == f1,
		"model_pump_feedback_windows (8 labelled)": lastMet["model_pump_feedback_windows"] == 8,
	} {
		if !ok {
			t.Errorf("metrics message: %s wrong or missing: %v", k, lastMet)
		}
	}

	// The labels persist: a new store on the same file finds the matrix.
	h.stop(t, fmt.Errorf("test restarts"))
	ls, err := openLabelStore(rg.stateDir, []string{"pump"}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer ls.close()
	if _, m := ls.matricesOf("pump"); m["1"] != want {
		t.Errorf("reopened feedback.db: %+v, want %+v", m, want)
	}
}

func TestConfusionScores(t *testing.T) {
	p, r, f := confusion{TP: 6, FP: 2, FN: 3, TN: 9}.scores()
	if p != 0.75 || r != 6.0/9 || f != 2*0.75*(6.0/9)/(0.75+6.0/9) {
		t.Errorf("precision %v recall %v f1 %v", p, r, f)
	}
	if p, r, f := (confusion{TN: 4}).scores(); p != 0 || r != 0 || f != 0 {
		t.Errorf("no positives: %v %v %v", p, r, f)
	}
}

// FuzzFeedbackArgs feeds arbitrary args to the feedback command's decoder
// and validation against a model with remembered windows: never a panic,
// and an accepted command labels only windows the agent remembers.
func FuzzFeedbackArgs(f *testing.F) {
	f.Add([]byte(`{"model":"pump","label":"positive","seq":[1,2,99]}`))
	f.Add([]byte(`{"model":"pump","label":"negative","from":"1970-01-01T00:00:01Z","to":"1970-01-01T00:00:05Z"}`))
	f.Add([]byte(`{"model":"pump","label":"positive","seq":[1],"from":"1970-01-01T00:00:01Z"}`))
	f.Add([]byte(`{"model":"fan","label":"maybe"}`))
	f.Add([]byte(`[]`))
	ls, err := openLabelStore(f.TempDir(), []string{"pump"}, time.Now)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ls.close() })
	r := &runner{cfg: config.Model{Name: "pump"}}
	for i := range 10 {
		r.obs.memory.add(scoredWindow{seq: uint64(i + 1), end: int64(i+1) * int64(time.Second), version: "1", predicted: i%3 == 0})
	}
	a := &Agent{pipes: []*pipeline{{runners: []*runner{r}}}, log: slog.New(slog.DiscardHandler), now: time.Now}
	a.observe.labels = ls
	f.Fuzz(func(t *testing.T, raw []byte) {
		var args feedbackArgs
		if decodeArgs(raw, &args) != nil {
			return
		}
		res, err := a.feedback(args)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if n := res["labelled"].(int); n < 0 || n > 10 {
			t.Fatalf("labelled %d of 10 remembered windows", n)
		}
	})
}

func hasKey(m map[string]float64, k string) bool {
	_, ok := m[k]
	return ok
}
