// Package monitor measures the agent itself: latency histograms that are
// cheap enough for every Invoke, and the Prometheus text exposition of the
// self-metrics for a local scraper (GET /metrics). It also measures the
// models' inputs and scores against their bundle's baseline: drift as PSI
// and KS distance over a sliding horizon, with a raise/clear detector
// (drift.go).
package monitor

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// latencyBounds are the histogram bucket upper bounds in seconds: 10 µs to
// 10 s, three per decade.
var latencyBounds = []float64{
	1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3,
	1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1, 2, 5, 10,
}

// Histogram counts durations into fixed buckets. Observe is lock-free and
// does not allocate; it is safe for concurrent use.
type Histogram struct {
	counts [20]atomic.Uint64 // one per bound, plus +Inf
	sumNs  atomic.Int64
	n      atomic.Uint64
}

// Observe records one duration.
func (h *Histogram) Observe(d time.Duration) {
	s := d.Seconds()
	i, _ := slices.BinarySearch(latencyBounds, s)
	h.counts[i].Add(1)
	h.sumNs.Add(int64(d))
	h.n.Add(1)
}

// Count is the number of observations.
func (h *Histogram) Count() uint64 { return h.n.Load() }

// Quantile estimates the q-quantile (0..1) as the upper bound of the bucket
// it falls in; 0 without observations.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	var cum uint64
	for i := range h.counts {
		cum += h.counts[i].Load()
		if cum >= rank {
			if i == len(latencyBounds) {
				return time.Duration(math.MaxInt64)
			}
			return time.Duration(latencyBounds[i] * float64(time.Second))
		}
	}
	return time.Duration(latencyBounds[len(latencyBounds)-1] * float64(time.Second))
}

// Mean is the average observation.
func (h *Histogram) Mean() time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sumNs.Load() / int64(n))
}

// Snapshot is what the exposition needs: plain values plus histograms.
type Snapshot struct {
	Values     map[string]float64    // gauges and counters ("_total" suffix = counter)
	Histograms map[string]*Histogram // latency histograms in seconds
}

// WritePrometheus writes s in the Prometheus text format, metrics sorted by
// name, each prefixed with "axle_".
func WritePrometheus(w io.Writer, s Snapshot) error {
	var b strings.Builder
	names := make([]string, 0, len(s.Values))
	for k := range s.Values {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		name := "axle_" + sanitize(k)
		kind := "gauge"
		if strings.HasSuffix(k, "_total") {
			kind = "counter"
		}
		fmt.Fprintf(&b, "# TYPE %s %s\n%s %s\n", name, kind, name, formatFloat(s.Values[k]))
	}
	hnames := make([]string, 0, len(s.Histograms))
	for k := range s.Histograms {
		hnames = append(hnames, k)
	}
	slices.Sort(hnames)
	for _, k := range hnames {
		h := s.Histograms[k]
		name := "axle_" + sanitize(k)
		fmt.Fprintf(&b, "# TYPE %s histogram\n", name)
		var cum uint64
		for i, le := range latencyBounds {
			cum += h.counts[i].Load()
			fmt.Fprintf(&b, "%s_bucket{le=\"%s\"} %d\n", name, formatFloat(le), cum)
		}
		cum += h.counts[len(latencyBounds)].Load()
		fmt.Fprintf(&b, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n",
			name, cum, name, formatFloat(float64(h.sumNs.Load())/1e9), name, cum)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	}
	return fmt.Sprint(f)
}

// sanitize maps a metric name to [a-zA-Z0-9_].
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// Handler serves GET /metrics from snap, which is called per request.
func Handler(snap func() Snapshot) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		WritePrometheus(w, snap())
	})
	return mux
}
