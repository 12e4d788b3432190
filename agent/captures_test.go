package agent

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/capture"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/models/demomodel"
)

// TestCapturesFromRunningAgent captures every window of a running agent
// (uncertainty band wider than any score) into a store with a small quota:
// each capture holds the raw window, the features and the committed score,
// and the oldest are dropped to keep the quota.
func TestCapturesFromRunningAgent(t *testing.T) {
	t.Parallel()
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	yml := pumpYAML(t, "cap-dev", "tcp://"+b.Addr(), "") + "captures: {budget: 1MiB, quotas: {uncertain: 200KiB}, uncertain_band: 1e9}\n"
	var mu sync.Mutex
	scores := map[float64]bool{}
	h := setupAgent(t, yml, Options{OnScore: func(s fleet.Score) {
		mu.Lock()
		scores[*s.Score] = true
		mu.Unlock()
	}})
	h.start(t)
	st := h.a.observe.caps
	uplinktest.WaitFor(t, 30*time.Second, "captures dropped for the quota", func() bool {
		return st.Stats().Triggers[capture.TriggerUncertain].Dropped >= 2
	})
	stats := st.Stats()
	if ts := stats.Triggers[capture.TriggerUncertain]; ts.Bytes > 200<<10 || ts.Captures < 2 {
		t.Errorf("uncertain captures: %+v, want within the 200KiB quota", ts)
	}
	info := demomodel.Info()
	list := st.List(capture.Filter{Model: "good"})
	if len(list) == 0 {
		t.Fatal("no captures listed")
	}
	c, err := st.Read(list[len(list)-1].ID)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	known := scores[c.Score]
	mu.Unlock()
	if !known || c.ModelVersion != info.Version || c.Sensor != "pump" || c.Trigger != capture.TriggerUncertain {
		t.Errorf("capture %+v: score committed %v", c.Info, known)
	}
	if len(c.Window) != len(info.Channels) || len(c.Window[0]) != int(info.Rate) || len(c.Features) != len(info.Channels)*len(info.Features) {
		t.Errorf("capture holds %d channels of %d samples and %d features, want %d × %d and %d",
			len(c.Window), len(c.Window[0]), len(c.Features), len(info.Channels), int(info.Rate), len(info.Channels)*len(info.Features))
	}
	if fmt.Sprint(c.Channels) != fmt.Sprint(info.Channels) || c.SampleRate != info.Rate || !c.End.After(c.Start) {
		t.Errorf("capture info: %+v", c.Info)
	}
}
