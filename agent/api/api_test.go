package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
)

// fakeSource is the agent side, which the HTTP API only talks to; the
// user-facing part under test is the HTTP API itself. Predict sums each
// instance, or blocks until release when block is set.
type fakeSource struct {
	notReady atomic.Value // string reason; "" = ready
	block    chan struct{}
	inflight atomic.Int32
	calls    atomic.Int32
	polls    atomic.Int32 // Series calls
	series   []Series
}

func (f *fakeSource) Ready() (bool, string) {
	if r, _ := f.notReady.Load().(string); r != "" {
		return false, r
	}
	return true, ""
}

func (f *fakeSource) Status() fleet.Status {
	return fleet.Status{V: 1, Device: "pump-07", State: fleet.StateOnline, Models: []fleet.ModelStatus{{Name: "m", Version: "3", Runtime: "tflite-go", State: fleet.ModelActive}}}
}

func (f *fakeSource) Models() []ModelInfo {
	return []ModelInfo{{Name: "m", Version: "3", State: fleet.ModelActive, Inputs: 3, Outputs: 1, Warn: 1, Alarm: 2}}
}

func (f *fakeSource) Predict(ctx context.Context, model string, in [][]float32) ([][]float32, error) {
	f.calls.Add(1)
	f.inflight.Add(1)
	defer f.inflight.Add(-1)
	if model != "m" {
		return nil, fmt.Errorf("model %q: %w", model, ErrUnknownModel)
	}
	if f.block != nil {
		<-f.block // ignores ctx on purpose: the API must time out on its own
	}
	out := make([][]float32, len(in))
	for i, row := range in {
		if len(row) != 3 {
			return nil, fmt.Errorf("instances[%d]: %d values, model %q takes 3: %w", i, len(row), model, ErrBadInput)
		}
		out[i] = []float32{row[0] + row[1] + row[2]}
	}
	return out, nil
}

func (f *fakeSource) Series(since time.Time) []Series {
	f.polls.Add(1)
	return f.series
}

func (f *fakeSource) WriteMetrics(w io.Writer) error {
	_, err := io.WriteString(w, "# TYPE axle_windows_scored_total counter\naxle_windows_scored_total{model=\"m\",version=\"3\"} 42\n")
	return err
}

// serve runs a Server on ln until the test ends and checks Serve stops
// cleanly.
func serve(t testing.TB, src Source, o Options, ln net.Listener) *Server {
	t.Helper()
	s, err := New(src, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s
}

// serveTCP serves on a free loopback port and returns the base URL.
func serveTCP(t testing.TB, src Source, o Options) string {
	t.Helper()
	ln, err := Listen("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	serve(t, src, o, ln)
	return "http://" + ln.Addr().String()
}

type reply struct {
	code int
	hdr  http.Header
	body []byte
}

func do(t *testing.T, c *http.Client, method, url, token string, body []byte) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

func (r reply) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("reply %d %q: %v", r.code, r.body, err)
	}
}

// errorOf checks that r is a JSON error with code and a message holding want.
func (r reply) errorOf(t *testing.T, code int, want string) {
	t.Helper()
	var e struct{ Error string }
	if r.code != code || json.Unmarshal(r.body, &e) != nil || !strings.Contains(e.Error, want) {
		t.Errorf("got %d %s, want %d {\"error\": ...%q...}", r.code, r.body, code, want)
	}
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestEndpoints(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	src := &fakeSource{series: []Series{{Model: "m", Version: "3", Warn: 1, Alarm: 2, Alert: fleet.AlertWarn, Drift: 0.3, DriftActive: true,
		LatencyP50: 0.002, LatencyP99: 0.01, Points: []Point{{now.Add(-2 * time.Second), 0.5}, {now.Add(-time.Second), 1.5}}}}}
	base := serveTCP(t, src, Options{})
	c := http.DefaultClient

	if r := do(t, c, "GET", base+"/healthz", "", nil); r.code != 200 {
		t.Errorf("healthz: %d %s", r.code, r.body)
	}
	if r := do(t, c, "GET", base+"/readyz", "", nil); r.code != 200 {
		t.Errorf("readyz when ready: %d %s", r.code, r.body)
	}
	src.notReady.Store("outbox: not open")
	r := do(t, c, "GET", base+"/readyz", "", nil)
	if r.code != 503 || !strings.Contains(string(r.body), "outbox: not open") {
		t.Errorf("readyz when not ready: %d %s", r.code, r.body)
	}
	if r := do(t, c, "GET", base+"/healthz", "", nil); r.code != 200 {
		t.Errorf("healthz while not ready: %d", r.code)
	}
	src.notReady.Store("")

	var st fleet.Status
	do(t, c, "GET", base+"/v1/status", "", nil).json(t, &st)
	if st.Device != "pump-07" || st.State != fleet.StateOnline || len(st.Models) != 1 {
		t.Errorf("status: %+v", st)
	}
	var ms struct{ Models []ModelInfo }
	do(t, c, "GET", base+"/v1/models", "", nil).json(t, &ms)
	if len(ms.Models) != 1 || ms.Models[0].Name != "m" || ms.Models[0].Inputs != 3 || ms.Models[0].Alarm != 2 {
		t.Errorf("models: %+v", ms)
	}
	var mst struct {
		Status []struct {
			Version, State string
			Status         struct {
				ErrorCode string `json:"error_code"`
			}
		} `json:"model_version_status"`
	}
	do(t, c, "GET", base+"/v1/models/m", "", nil).json(t, &mst)
	if len(mst.Status) != 1 || mst.Status[0].Version != "3" || mst.Status[0].State != "AVAILABLE" || mst.Status[0].Status.ErrorCode != "OK" {
		t.Errorf("model status: %+v", mst)
	}
	do(t, c, "GET", base+"/v1/models/zz", "", nil).errorOf(t, 404, `no model "zz"`)
	var ser struct {
		Now    time.Time
		Window float64 `json:"window_seconds"`
		Series []Series
	}
	do(t, c, "GET", base+"/v1/series?window=10m", "", nil).json(t, &ser)
	if ser.Window != 600 || len(ser.Series) != 1 || len(ser.Series[0].Points) != 2 || ser.Series[0].Points[1].Score != 1.5 ||
		!ser.Series[0].Points[0].T.Equal(now.Add(-2*time.Second)) || ser.Series[0].Alert != fleet.AlertWarn || ser.Now.IsZero() {
		t.Errorf("series: %+v", ser)
	}
	do(t, c, "GET", base+"/v1/series?window=forever", "", nil).errorOf(t, 400, `query "window": "forever"`)
	do(t, c, "GET", base+"/v1/series?window=48h", "", nil).errorOf(t, 400, `query "window"`)

	page := do(t, c, "GET", base+"/", "", nil)
	if page.code != 200 || !strings.HasPrefix(page.hdr.Get("Content-Type"), "text/html") || !bytes.Contains(page.body, []byte("/v1/series")) {
		t.Errorf("page: %d %s", page.code, page.hdr)
	}
	// Nothing outside the page is loaded (the SVG namespace is a name, not a fetch).
	rest := strings.ReplaceAll(string(page.body), `"http://www.w3.org/2000/svg"`, "")
	for _, ref := range []string{"http:", "https:", "src=", "href=", "@import", "url(", "//cdn"} {
		if strings.Contains(rest, ref) {
			t.Errorf("page refers to an external resource: %q", ref)
		}
	}

	do(t, c, "GET", base+"/nope", "", nil).errorOf(t, 404, "no such endpoint /nope")
	r = do(t, c, "POST", base+"/v1/status", "", nil)
	r.errorOf(t, 405, "method POST not allowed")
	if r.hdr.Get("Allow") != "GET" {
		t.Errorf("405 Allow = %q", r.hdr.Get("Allow"))
	}
	do(t, c, "GET", base+"/v1/models/m:predict", "", nil).errorOf(t, 405, "use POST")

	m := do(t, c, "GET", base+"/metrics", "", nil)
	for _, want := range []string{
		`axle_windows_scored_total{model="m",version="3"} 42`,
		`axle_api_requests_total{handler="readyz",code="503"} 1`,
		`axle_api_requests_total{handler="other",code="404"} 1`,
		"# TYPE axle_api_predict_duration_seconds histogram",
		"axle_api_predict_in_flight 0",
	} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %q:\n%s", want, m.body)
		}
	}
}

func TestPredict(t *testing.T) {
	src := &fakeSource{}
	base := serveTCP(t, src, Options{})
	c := http.DefaultClient
	url := base + "/v1/models/m:predict"

	r := do(t, c, "POST", url, "", []byte(`{"instances": [[1, 2, 3], [0.5, 0.25, 0.25]]}`))
	if r.code != 200 || strings.TrimSpace(string(r.body)) != `{"predictions":[[6],[1]]}` {
		t.Errorf("row format: %d %s", r.code, r.body)
	}
	r = do(t, c, "POST", url, "", []byte(`{"signature_name": "serving_default", "inputs": [[[1], [2], [4]]]}`))
	if r.code != 200 || strings.TrimSpace(string(r.body)) != `{"outputs":[[7]]}` {
		t.Errorf("columnar format: %d %s", r.code, r.body)
	}
	do(t, c, "POST", base+"/v1/models/nosuch:predict", "", []byte(`{"instances": [[1, 2, 3]]}`)).errorOf(t, 404, `model "nosuch": unknown model`)
	do(t, c, "POST", url, "", []byte(`{"instances": [[1, 2]]}`)).errorOf(t, 400, "instances[0]: 2 values, model \"m\" takes 3")
	for body, want := range map[string]string{
		``:                                                "body: empty",
		`{"instances": [[1,2,3]]`:                         "body: unexpected EOF",
		`[1,2,3]`:                                         "body: must be a JSON object",
		`{"instance": [[1,2,3]]}`:                         `unknown field "instance"`,
		`{"instances": [[1,"a",3]]}`:                      `instances[0][1]: want a number or a list of numbers, got a string "a"`,
		`{"instances": [[1,2,3],[1,2]]}`:                  "instances[1]: shape differs from instances[0]'s [3]",
		`{"instances": [[[1,2],[3]]]}`:                    "instances[0][1]: has 1 entries, its siblings 2 (ragged)",
		`{"instances": []}`:                               `field "instances": is empty`,
		`{"instances": {"x": [1]}}`:                       "named inputs are not supported",
		`{"inputs": {"x": [1]}}`:                          `field "inputs": named inputs are not supported`,
		`{"instances": [[1e39,0,0]]}`:                     "instances[0][0]: 1e+39 is out of float32 range",
		`{"instances": [1], "inputs": [1]}`:               `both "instances" and "inputs"`,
		`{"signature_name": "x", "instances": [[1,2,3]]}`: `field "signature_name": "x" is not served`,
		`{"signature_name": 5, "instances": [[1,2,3]]}`:   `field "signature_name": number is not a string`,
		`{"instances": [[1,2,3]]} {}`:                     "body: data after the JSON object",
	} {
		do(t, c, "POST", url, "", []byte(body)).errorOf(t, 400, want)
	}
	if got := src.calls.Load(); got != 4 {
		t.Errorf("Source.Predict called %d times, want 4 (bad bodies must not reach it)", got)
	}

	m := string(do(t, c, "GET", base+"/metrics", "", nil).body)
	for _, want := range []string{
		`axle_api_predict_duration_seconds_count{model="m"} 3`,
		`axle_api_predict_duration_seconds_bucket{model="m",le="+Inf"} 3`,
		`axle_api_requests_total{handler="predict",code="200"} 2`,
		`axle_api_requests_total{handler="predict",code="404"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}
	if strings.Contains(m, `model="nosuch"`) {
		t.Error("an unknown model name became a metric label")
	}
}

func TestTokenAuth(t *testing.T) {
	base := serveTCP(t, &fakeSource{}, Options{Token: "s3cret-token"})
	c := http.DefaultClient
	for _, path := range []string{"/v1/status", "/v1/models", "/v1/series", "/readyz", "/metrics"} {
		r := do(t, c, "GET", base+path, "", nil)
		r.errorOf(t, 401, "missing or wrong bearer token")
		if !strings.HasPrefix(r.hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate = %q", path, r.hdr.Get("WWW-Authenticate"))
		}
		do(t, c, "GET", base+path, "s3cret-tokeN", nil).errorOf(t, 401, "bearer token")
		do(t, c, "GET", base+path, "s3cret-token-longer", nil).errorOf(t, 401, "bearer token")
		if r := do(t, c, "GET", base+path, "s3cret-token", nil); r.code != 200 {
			t.Errorf("%s with token: %d %s", path, r.code, r.body)
		}
	}
	do(t, c, "POST", base+"/v1/models/m:predict", "", []byte(`{"instances":[[1,2,3]]}`)).errorOf(t, 401, "bearer token")
	if r := do(t, c, "POST", base+"/v1/models/m:predict", "s3cret-token", []byte(`{"instances":[[1,2,3]]}`)); r.code != 200 {
		t.Errorf("predict with token: %d %s", r.code, r.body)
	}
	// Liveness and the page (no data; it reads the token from #token=) are open.
	for _, path := range []string{"/healthz", "/"} {
		if r := do(t, c, "GET", base+path, "", nil); r.code != 200 {
			t.Errorf("%s without token: %d", path, r.code)
		}
	}
}

func TestUnixSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "axle-api") // short: socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "api.sock")

	// A stale socket from a crashed run is replaced.
	stale, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()

	ln, err := Listen("", sock)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, &fakeSource{}, Options{Token: "s3cret-token"}, ln)
	st, err := os.Stat(sock)
	if err != nil || st.Mode().Perm() != 0o660 {
		t.Fatalf("socket mode: %v %v", st.Mode(), err)
	}
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	defer c.CloseIdleConnections()
	// No token on the socket: its file mode is the access control.
	if r := do(t, c, "GET", "http://axle/v1/status", "", nil); r.code != 200 || !bytes.Contains(r.body, []byte("pump-07")) {
		t.Errorf("status over the socket: %d %s", r.code, r.body)
	}
	if r := do(t, c, "POST", "http://axle/v1/models/m:predict", "", []byte(`{"instances":[[1,1,1]]}`)); r.code != 200 {
		t.Errorf("predict over the socket: %d %s", r.code, r.body)
	}

	regular := filepath.Join(dir, "file")
	if err := os.WriteFile(regular, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen("", regular); err == nil || !strings.Contains(err.Error(), "is not a socket") {
		t.Errorf("Listen on a regular file: %v", err)
	}
	if b, _ := os.ReadFile(regular); string(b) != "keep me" {
		t.Error("Listen clobbered a regular file")
	}
}

func TestBodyLimit(t *testing.T) {
	src := &fakeSource{}
	base := serveTCP(t, src, Options{MaxBodyBytes: 1024})
	big := []byte(`{"instances": [[` + strings.Repeat("1,", 600) + `1]]}`)
	do(t, http.DefaultClient, "POST", base+"/v1/models/m:predict", "", big).errorOf(t, 413, "body: larger than 1024 bytes")
	if src.calls.Load() != 0 {
		t.Error("an oversized body reached the Source")
	}
	if r := do(t, http.DefaultClient, "POST", base+"/v1/models/m:predict", "", []byte(`{"instances":[[1,2,3]]}`)); r.code != 200 {
		t.Errorf("small body after a large one: %d %s", r.code, r.body)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	src := &fakeSource{block: make(chan struct{})}
	base := serveTCP(t, src, Options{MaxConcurrent: 2})
	url := base + "/v1/models/m:predict"
	body := []byte(`{"instances":[[1,2,3]]}`)

	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	waitFor(t, "two predict calls in the Source", func() bool { return src.inflight.Load() == 2 })

	// Full: further clients are turned away at once, not queued.
	for range 3 {
		r := do(t, http.DefaultClient, "POST", url, "", body)
		r.errorOf(t, 429, "2 predict requests already running")
		if r.hdr.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	// Other endpoints are not limited.
	if r := do(t, http.DefaultClient, "GET", base+"/v1/status", "", nil); r.code != 200 {
		t.Errorf("status while predict is full: %d", r.code)
	}
	m := string(do(t, http.DefaultClient, "GET", base+"/metrics", "", nil).body)
	if !strings.Contains(m, "axle_api_predict_in_flight 2") || !strings.Contains(m, `axle_api_requests_total{handler="predict",code="429"} 3`) {
		t.Errorf("metrics while full:\n%s", m)
	}
	close(src.block)
	wg.Wait()
	if codes[0] != 200 || codes[1] != 200 {
		t.Errorf("blocked requests finished with %v, want 200s", codes)
	}
	if r := do(t, http.DefaultClient, "POST", url, "", body); r.code != 200 {
		t.Errorf("after release: %d %s", r.code, r.body)
	}
}

func TestPredictTimeout(t *testing.T) {
	src := &fakeSource{block: make(chan struct{})}
	base := serveTCP(t, src, Options{Timeout: 50 * time.Millisecond, MaxConcurrent: 1})
	url := base + "/v1/models/m:predict"
	body := []byte(`{"instances":[[1,2,3]]}`)
	do(t, http.DefaultClient, "POST", url, "", body).errorOf(t, 504, `model "m": no result within 50ms`)
	// The overrunning call keeps its slot until it returns.
	do(t, http.DefaultClient, "POST", url, "", body).errorOf(t, 429, "already running")
	close(src.block)
	waitFor(t, "the overrunning call to return its slot", func() bool { return src.inflight.Load() == 0 })
	waitFor(t, "a predict to succeed after the release", func() bool {
		return do(t, http.DefaultClient, "POST", url, "", body).code == 200
	})
	m := string(do(t, http.DefaultClient, "GET", base+"/metrics", "", nil).body)
	if !strings.Contains(m, `axle_api_requests_total{handler="predict",code="504"} 1`) {
		t.Errorf("metrics lack the 504:\n%s", m)
	}
}

// TestSlowHeadersDropped: a client that never finishes its headers is
// disconnected after the header timeout instead of holding a connection.
func TestSlowHeadersDropped(t *testing.T) {
	s, err := New(&fakeSource{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.headerTimeout = 100 * time.Millisecond
	ln, err := Listen("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("connection still open after the header timeout: %v", err)
	}
	if bytes.Contains(b, []byte("200 OK")) {
		t.Errorf("answered an unfinished request: %q", b)
	}
}

func TestServeStopsWithContext(t *testing.T) {
	s, err := New(&fakeSource{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	waitFor(t, "the server to answer", func() bool {
		resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("still serving after Serve returned")
	}
}

func TestNewAndListenErrors(t *testing.T) {
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New(nil) succeeded")
	}
	for _, o := range []Options{{MaxBodyBytes: -1}, {MaxConcurrent: -1}, {Timeout: -1}} {
		if _, err := New(&fakeSource{}, o); err == nil || !strings.HasPrefix(err.Error(), "api: ") {
			t.Errorf("New(%+v) = %v", o, err)
		}
	}
	if _, err := Listen("127.0.0.1:99999", ""); err == nil || !strings.HasPrefix(err.Error(), "api: listen") {
		t.Errorf("Listen on a bad port: %v", err)
	}
}

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if tok, err := ReadToken(write("ok", "  abc123\n")); err != nil || tok != "abc123" {
		t.Errorf("ReadToken = %q, %v", tok, err)
	}
	for name, c := range map[string]struct{ content, want string }{
		"empty": {"\n\n", "is empty"},
		"space": {"abc def\n", "white space"},
		"long":  {strings.Repeat("x", 5000), "longer than 4096 bytes"},
	} {
		_, err := ReadToken(write(name, c.content))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	if _, err := ReadToken(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
