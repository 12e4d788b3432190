package api

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
)

// Defaults for zero Options fields.
const (
	DefaultMaxBodyBytes  = 1 << 20
	DefaultMaxConcurrent = 4
	DefaultTimeout       = 10 * time.Second

	maxSeriesWindow = 24 * time.Hour
	maxTokenBytes   = 4096
)

// Options tune a Server.
type Options struct {
	// Token, when set, is the bearer token every request on TCP must carry
	// (except /healthz and the page itself, which holds no data; the page
	// reads the token from its URL fragment, #token=...). Requests on a
	// unix socket are trusted: the socket's file mode guards it.
	Token string
	// MaxBodyBytes limits a request body; larger ones get 413.
	MaxBodyBytes int64
	// MaxConcurrent is how many predict requests run at once; more get 429
	// at once instead of queueing.
	MaxConcurrent int
	// Timeout bounds one predict request (504 when exceeded).
	Timeout time.Duration
}

// Server is the HTTP API over one Source.
type Server struct {
	src  Source
	opt  Options
	sem  chan struct{}
	met  *metrics
	page []byte
	// headerTimeout bounds reading a request's headers (slow-loris
	// clients); a field so tests can shorten it.
	headerTimeout time.Duration
	wg            sync.WaitGroup // predict calls still running after their request timed out
}

// New makes a Server; zero Options fields take the defaults.
func New(src Source, o Options) (*Server, error) {
	if src == nil {
		return nil, errors.New("api: nil Source")
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxConcurrent == 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	switch {
	case o.MaxBodyBytes < 0:
		return nil, fmt.Errorf("api: MaxBodyBytes %d is negative", o.MaxBodyBytes)
	case o.MaxConcurrent < 0:
		return nil, fmt.Errorf("api: MaxConcurrent %d is negative", o.MaxConcurrent)
	case o.Timeout < 0:
		return nil, fmt.Errorf("api: Timeout %s is negative", o.Timeout)
	}
	return &Server{src: src, opt: o, sem: make(chan struct{}, o.MaxConcurrent), met: newMetrics(), page: pageHTML, headerTimeout: 5 * time.Second}, nil
}

// ReadToken reads a bearer token from path: the file's content without
// surrounding white space, which must not be empty.
func ReadToken(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("api: token file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenBytes+1))
	if err != nil {
		return "", fmt.Errorf("api: token file %s: %w", path, err)
	}
	if len(b) > maxTokenBytes {
		return "", fmt.Errorf("api: token file %s: longer than %d bytes", path, maxTokenBytes)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("api: token file %s: is empty", path)
	}
	if strings.ContainsAny(tok, " \t\r\n") {
		return "", fmt.Errorf("api: token file %s: token contains white space", path)
	}
	return tok, nil
}

// Listen opens the listener: the unix socket at socket when set (a stale
// socket file is replaced, the new one is made mode 0660), else TCP addr.
func Listen(addr, socket string) (net.Listener, error) {
	if socket == "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("api: listen: %w", err)
		}
		return ln, nil
	}
	if st, err := os.Lstat(socket); err == nil {
		if st.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("api: socket %s: exists and is not a socket", socket)
		}
		if err := os.Remove(socket); err != nil {
			return nil, fmt.Errorf("api: socket: remove stale: %w", err)
		}
	}
	ln, err := net.Listen("unix", socket)
	if err != nil {
		return nil, fmt.Errorf("api: listen: %w", err)
	}
	if err := os.Chmod(socket, 0o660); err != nil {
		ln.Close()
		return nil, fmt.Errorf("api: socket: %w", err)
	}
	return ln, nil
}

// Serve serves on ln until ctx ends, then shuts down gracefully (5 s for
// open requests) and waits for predict calls still running. It returns nil
// after a stop by ctx. Requests on a unix socket skip the token check.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	auth := s.opt.Token != "" && ln.Addr().Network() != "unix"
	srv := &http.Server{
		Handler:           s.handler(auth),
		ReadHeaderTimeout: s.headerTimeout,
		ReadTimeout:       s.opt.Timeout + 5*time.Second,
		WriteTimeout:      s.opt.Timeout + 10*time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if serr := srv.Shutdown(sctx); serr != nil {
			srv.Close()
		}
		cancel()
		err = <-done
	}
	s.wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("api: serve: %w", err)
}

// Handler is the API as an http.Handler, requiring the token when one is
// set (for tests and for embedding in another server).
func (s *Server) Handler() http.Handler { return s.handler(s.opt.Token != "") }

func (s *Server) handler(auth bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, h := s.route(r)
		rec := &recorder{ResponseWriter: w, code: http.StatusOK}
		defer func() { s.met.request(route, rec.code) }()
		if auth && route != "healthz" && route != "page" && !s.authorized(r) {
			rec.Header().Set("WWW-Authenticate", `Bearer realm="axle"`)
			writeError(rec, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		h(rec, r)
	})
}

func (s *Server) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(tok), []byte(s.opt.Token)) == 1
}

// route picks the handler and its metric label (a fixed set, so the
// label's cardinality is bounded whatever paths clients send).
func (s *Server) route(r *http.Request) (string, http.HandlerFunc) {
	p := r.URL.Path
	get := func(name string, h http.HandlerFunc) (string, http.HandlerFunc) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return name, methodNotAllowed("GET")
		}
		return name, h
	}
	switch {
	case p == "/":
		return get("page", s.servePage)
	case p == "/healthz":
		return get("healthz", s.serveHealth)
	case p == "/readyz":
		return get("readyz", s.serveReady)
	case p == "/metrics":
		return get("metrics", s.serveMetrics)
	case p == "/v1/status":
		return get("status", s.serveStatus)
	case p == "/v1/models":
		return get("models", s.serveModels)
	case p == "/v1/series":
		return get("series", s.serveSeries)
	case p == "/v1/feedback":
		if r.Method != http.MethodPost {
			return "feedback", methodNotAllowed("POST")
		}
		return "feedback", s.serveFeedback
	case p == "/v1/captures":
		return get("captures", s.serveCaptures)
	case strings.HasPrefix(p, "/v1/captures/") && len(p) > len("/v1/captures/") && !strings.Contains(p[len("/v1/captures/"):], "/"):
		return get("capture", s.serveCapture)
	case strings.HasPrefix(p, "/v1/models/") && strings.HasSuffix(p, ":predict"):
		if r.Method != http.MethodPost {
			return "predict", methodNotAllowed("POST")
		}
		return "predict", s.servePredict
	case strings.HasPrefix(p, "/v1/models/") && !strings.Contains(p[len("/v1/models/"):], "/"):
		return get("model", s.serveModel)
	}
	return "other", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint %s", r.URL.Path))
	}
}

func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed; use %s", r.Method, allow))
	}
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
	w.Write(s.page)
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	if ok, reason := s.src.Ready(); !ok {
		if reason == "" {
			reason = "not ready"
		}
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": reason})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.src.Status())
}

func (s *Server) serveModels(w http.ResponseWriter, r *http.Request) {
	ms := s.src.Models()
	if ms == nil {
		ms = []ModelInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": ms})
}

// serveModel answers TF Serving's model status request,
// GET /v1/models/NAME, which clients use to wait for a model.
func (s *Server) serveModel(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/v1/models/")
	for _, m := range s.src.Models() {
		if m.Name != name {
			continue
		}
		state, code := "AVAILABLE", "OK"
		if m.State != fleet.ModelActive {
			state, code = "END", "UNAVAILABLE"
		}
		writeJSON(w, http.StatusOK, map[string]any{"model_version_status": []map[string]any{{
			"version": m.Version, "state": state, "status": map[string]string{"error_code": code, "error_message": m.Error},
		}}})
		return
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("no model %q", name))
}

func (s *Server) serveSeries(w http.ResponseWriter, r *http.Request) {
	window := time.Hour
	if v := r.URL.Query().Get("window"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > maxSeriesWindow {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("query \"window\": %q is not a duration between 0 and %s", v, maxSeriesWindow))
			return
		}
		window = d
	}
	now := time.Now()
	series := s.src.Series(now.Add(-window))
	if series == nil {
		series = []Series{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"now": now, "window_seconds": window.Seconds(), "series": series})
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	if err := s.src.WriteMetrics(&b); err != nil {
		writeError(w, http.StatusInternalServerError, "metrics: "+err.Error())
		return
	}
	s.met.write(&b, len(s.sem))
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write(b.Bytes())
}

func (s *Server) servePredict(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/models/"), ":predict")
	if name == "" || strings.Contains(name, "/") {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no model %q", name))
		return
	}
	// The slot is taken before the body is read, so at most MaxConcurrent
	// bodies are in memory at once.
	select {
	case s.sem <- struct{}{}:
	default:
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("%d predict requests already running; retry later", cap(s.sem)))
		return
	}
	handed := false
	defer func() {
		if !handed {
			<-s.sem
		}
	}()
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	req, err := decodePredict(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opt.Timeout)
	defer cancel()
	type result struct {
		preds [][]float32
		err   error
	}
	// Predict runs on its own goroutine so a Source that overruns the
	// deadline still gets a 504 on time; it keeps its concurrency slot until
	// it returns, so overrunning calls cannot pile up, and Serve waits for it.
	done := make(chan result, 1)
	start := time.Now()
	handed = true
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { <-s.sem }()
		p, err := s.src.Predict(ctx, name, req.Instances)
		done <- result{p, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		res.err = ctx.Err()
	}
	elapsed := time.Since(start)
	switch {
	case errors.Is(res.err, ErrUnknownModel):
		writeError(w, http.StatusNotFound, res.err.Error())
		return
	case errors.Is(res.err, context.Canceled):
		writeError(w, 499, "request canceled") // the client is gone; nobody reads this
		return
	}
	// Every answer of a known model counts, timeouts and input errors too:
	// they are latency a caller saw.
	if !errors.Is(res.err, context.DeadlineExceeded) || s.known(name) {
		s.met.predict(name, elapsed)
	}
	switch {
	case errors.Is(res.err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, fmt.Sprintf("model %q: no result within %s", name, s.opt.Timeout))
		return
	case errors.Is(res.err, ErrBadInput):
		writeError(w, http.StatusBadRequest, res.err.Error())
		return
	case res.err != nil:
		writeError(w, http.StatusInternalServerError, res.err.Error())
		return
	}
	if len(res.preds) != len(req.Instances) {
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("model %q: %d predictions for %d instances", name, len(res.preds), len(req.Instances)))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(encodePredictions(res.preds, req.Columnar))
}

// known reports whether name is a configured model; only those become
// metric labels, so clients cannot grow the metrics with made-up names.
func (s *Server) known(name string) bool {
	for _, m := range s.src.Models() {
		if m.Name == name {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encode: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg}) // a string map always encodes
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// recorder remembers the status code for the request metrics.
type recorder struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}
