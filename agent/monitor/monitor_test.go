package monitor

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHistogram(t *testing.T) {
	var h Histogram
	for range 90 {
		h.Observe(30 * time.Microsecond)
	}
	for range 10 {
		h.Observe(3 * time.Millisecond)
	}
	if h.Count() != 100 {
		t.Fatalf("count %d", h.Count())
	}
	if q := h.Quantile(0.5); q != 50*time.Microsecond {
		t.Errorf("p50 = %v, want the 50µs bucket", q)
	}
	if q := h.Quantile(0.99); q != 5*time.Millisecond {
		t.Errorf("p99 = %v, want the 5ms bucket", q)
	}
	if m := h.Mean(); m != 327*time.Microsecond {
		t.Errorf("mean = %v, want 327µs", m)
	}
	if a := testing.AllocsPerRun(100, func() { h.Observe(time.Millisecond) }); a != 0 {
		t.Errorf("Observe allocates %v", a)
	}
}

func TestPrometheusExposition(t *testing.T) {
	var h Histogram
	h.Observe(2 * time.Millisecond)
	srv := httptest.NewServer(Handler(func() Snapshot {
		return Snapshot{
			Values:     map[string]float64{"outbox_records": 12, "mqtt_publishes_total": 3, "sensor_pump-1_rate": 3200},
			Histograms: map[string]*Histogram{"invoke_seconds_pump": &h},
		}
	}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"# TYPE axle_outbox_records gauge\naxle_outbox_records 12\n",
		"# TYPE axle_mqtt_publishes_total counter\naxle_mqtt_publishes_total 3\n",
		"axle_sensor_pump_1_rate 3200\n",
		"axle_invoke_seconds_pump_bucket{le=\"0.001\"} 0\n",
		"axle_invoke_seconds_pump_bucket{le=\"0.002\"} 1\n",
		"axle_invoke_seconds_pump_count 1\n",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("missing %q in\n%s", want, body)
		}
	}
}
