package api

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"
)

// predictBounds are the predict latency bucket bounds in seconds.
var predictBounds = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// metrics are the API's own: requests by route and status code, and the
// predict latency histogram per model.
type metrics struct {
	mu       sync.Mutex
	requests map[reqKey]uint64
	latency  map[string]*histogram
}

type reqKey struct {
	handler string
	code    int
}

type histogram struct {
	counts []uint64 // per bound, then +Inf
	sum    float64
	n      uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[reqKey]uint64{}, latency: map[string]*histogram{}}
}

func (m *metrics) request(handler string, code int) {
	m.mu.Lock()
	m.requests[reqKey{handler, code}]++
	m.mu.Unlock()
}

func (m *metrics) predict(model string, d time.Duration) {
	s := d.Seconds()
	i, _ := slices.BinarySearch(predictBounds, s)
	m.mu.Lock()
	h := m.latency[model]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(predictBounds)+1)}
		m.latency[model] = h
	}
	h.counts[i]++
	h.sum += s
	h.n++
	m.mu.Unlock()
}

// write appends the API metrics in the Prometheus text format.
func (m *metrics) write(w io.Writer, inFlight int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(w, "# HELP axle_api_requests_total HTTP requests to the local API by handler and status code.\n# TYPE axle_api_requests_total counter\n")
	keys := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b reqKey) int {
		if a.handler != b.handler {
			if a.handler < b.handler {
				return -1
			}
			return 1
		}
		return a.code - b.code
	})
	for _, k := range keys {
		fmt.Fprintf(w, "axle_api_requests_total{handler=%q,code=\"%d\"} %d\n", k.handler, k.code, m.requests[k])
	}
	fmt.Fprintf(w, "# HELP axle_api_predict_in_flight Predict requests running now.\n# TYPE axle_api_predict_in_flight gauge\naxle_api_predict_in_flight %d\n", inFlight)
	fmt.Fprintf(w, "# HELP axle_api_predict_duration_seconds Predict request latency by model, from decoded body to result.\n# TYPE axle_api_predict_duration_seconds histogram\n")
	models := make([]string, 0, len(m.latency))
	for k := range m.latency {
		models = append(models, k)
	}
	slices.Sort(models)
	for _, name := range models {
		h := m.latency[name]
		var cum uint64
		for i, le := range predictBounds {
			cum += h.counts[i]
			fmt.Fprintf(w, "axle_api_predict_duration_seconds_bucket{model=%q,le=%q} %d\n", name, strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		fmt.Fprintf(w, "axle_api_predict_duration_seconds_bucket{model=%q,le=\"+Inf\"} %d\n", name, h.n)
		fmt.Fprintf(w, "axle_api_predict_duration_seconds_sum{model=%q} %s\n", name, strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(w, "axle_api_predict_duration_seconds_count{model=%q} %d\n", name, h.n)
	}
}
