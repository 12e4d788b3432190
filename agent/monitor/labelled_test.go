package monitor

import (
	"strings"
	"testing"
	"time"
)

func TestLabelsEscape(t *testing.T) {
	got := Labels("model", `a"b\c`, "version", "1\n2")
	if want := `{model="a\"b\\c",version="1\n2"}`; got != want {
		t.Errorf("Labels = %s, want %s", got, want)
	}
	if Labels() != "" {
		t.Error("no labels should render empty")
	}
}

func TestWriteHistogramSeries(t *testing.T) {
	var h Histogram
	h.Observe(3 * time.Millisecond)
	h.Observe(2 * time.Second)
	var b strings.Builder
	if err := WriteHistogramSeries(&b, "x_seconds", Labels("model", "m"), &h); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		`x_seconds_bucket{model="m",le="0.002"} 0`,
		`x_seconds_bucket{model="m",le="0.005"} 1`,
		`x_seconds_bucket{model="m",le="+Inf"} 2`,
		`x_seconds_sum{model="m"} 2.003`,
		`x_seconds_count{model="m"} 2`,
	} {
		if !strings.Contains(b.String(), line+"\n") {
			t.Errorf("missing %q in\n%s", line, b.String())
		}
	}
}
