package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// evidenceSource adds feedback and captures to fakeSource: it records what
// the API handed it and serves captures from memory.
type evidenceSource struct {
	fakeSource
	mu       sync.Mutex
	args     [][]byte
	filters  []CaptureFilter
	files    map[string][]byte
	open     int // capture files not closed yet
	disabled atomic.Bool
}

func (e *evidenceSource) Feedback(_ context.Context, args []byte) (map[string]any, error) {
	e.mu.Lock()
	e.args = append(e.args, args)
	e.mu.Unlock()
	var a struct {
		Model, Label string
		Seq          []uint64
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return nil, fmt.Errorf("%w: args: %v", ErrBadInput, err)
	}
	switch {
	case a.Model != "m":
		return nil, fmt.Errorf("%w %q", ErrUnknownModel, a.Model)
	case a.Label != "positive" && a.Label != "negative":
		return nil, fmt.Errorf("%w: args field \"label\": %q", ErrBadInput, a.Label)
	}
	return map[string]any{"labelled": len(a.Seq), "unknown": 0}, nil
}

func (e *evidenceSource) Captures(f CaptureFilter) ([]CaptureInfo, error) {
	if e.disabled.Load() {
		return nil, fmt.Errorf("captures are off: %w", ErrNotFound)
	}
	if f.Trigger != "" && f.Trigger != "alert" {
		return nil, fmt.Errorf("%w: query \"trigger\": %q", ErrBadInput, f.Trigger)
	}
	e.mu.Lock()
	e.filters = append(e.filters, f)
	e.mu.Unlock()
	score := 0.5
	return []CaptureInfo{{ID: "000000000001", Trigger: "alert", Model: "m", Score: &score, Samples: 4, Size: 99}}, nil
}

type memFile struct {
	*bytes.Reader
	e *evidenceSource
}

func (m memFile) Close() error {
	m.e.mu.Lock()
	m.e.open--
	m.e.mu.Unlock()
	return nil
}

func (e *evidenceSource) OpenCapture(id string) (CaptureFile, error) {
	b, ok := e.files[id]
	if !ok {
		return nil, fmt.Errorf("capture %s: %w", id, ErrNotFound)
	}
	e.mu.Lock()
	e.open++
	e.mu.Unlock()
	return memFile{bytes.NewReader(b), e}, nil
}

func TestFeedbackEndpoint(t *testing.T) {
	src := &evidenceSource{}
	const tok = "tok"
	base := serveTCP(t, src, Options{Token: tok, MaxBodyBytes: 256})
	c := http.DefaultClient
	body := []byte(`{"model":"m","label":"positive","seq":[4,5]}`)
	r := do(t, c, "POST", base+"/v1/feedback", tok, body)
	var res map[string]any
	r.json(t, &res)
	if r.code != 200 || res["labelled"] != 2.0 {
		t.Errorf("feedback: %d %s", r.code, r.body)
	}
	if len(src.args) != 1 || !bytes.Equal(src.args[0], body) {
		t.Errorf("the Source got args %q, want the body as sent", src.args)
	}
	do(t, c, "POST", base+"/v1/feedback", tok, []byte(`{"model":"m","label":"maybe"}`)).errorOf(t, 400, `args field "label": "maybe"`)
	do(t, c, "POST", base+"/v1/feedback", tok, []byte(`{"model":"fan","label":"positive"}`)).errorOf(t, 404, `unknown model "fan"`)
	do(t, c, "GET", base+"/v1/feedback", tok, nil).errorOf(t, 405, "use POST")
	do(t, c, "POST", base+"/v1/feedback", "", body).errorOf(t, 401, "bearer token")
	n := len(src.args)
	do(t, c, "POST", base+"/v1/feedback", tok, []byte(`{"model":"m","label":"positive","seq":[`+strings.Repeat("1,", 200)+`1]}`)).
		errorOf(t, 413, "body: larger than 256 bytes")
	if len(src.args) != n {
		t.Error("an oversized body reached the Source")
	}
}

func TestCaptureEndpoints(t *testing.T) {
	file := []byte("AXCAP\x00\x01 not really a capture, but bytes to pass through unchanged")
	src := &evidenceSource{files: map[string][]byte{"000000000001": file}}
	const tok = "tok"
	base := serveTCP(t, src, Options{Token: tok})
	c := http.DefaultClient

	r := do(t, c, "GET", base+"/v1/captures?trigger=alert&model=m&from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00.5Z", tok, nil)
	var list struct{ Captures []CaptureInfo }
	r.json(t, &list)
	if r.code != 200 || len(list.Captures) != 1 || list.Captures[0].ID != "000000000001" || *list.Captures[0].Score != 0.5 {
		t.Errorf("list: %d %s", r.code, r.body)
	}
	want := CaptureFilter{Trigger: "alert", Model: "m", From: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 2, 0, 0, 0, 5e8, time.UTC)}
	if len(src.filters) != 1 || src.filters[0] != want {
		t.Errorf("filter %+v, want %+v", src.filters, want)
	}
	for q, msg := range map[string]string{
		"from=yesterday":          `query "from": "yesterday" is not an RFC 3339 time`,
		"to=2026-13-01T00:00:00Z": `query "to"`,
		"from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z": `query "to": 2026-12-01T00:00:00Z is before from`,
		"trigger=whim": `query "trigger": "whim"`,
		"sensor=pump":  `query "sensor": unknown parameter`,
	} {
		do(t, c, "GET", base+"/v1/captures?"+q, tok, nil).errorOf(t, 400, msg)
	}
	do(t, c, "GET", base+"/v1/captures", "", nil).errorOf(t, 401, "bearer token")

	r = do(t, c, "GET", base+"/v1/captures/000000000001", tok, nil)
	if r.code != 200 || !bytes.Equal(r.body, file) || r.hdr.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("capture file: %d %q %q", r.code, r.hdr.Get("Content-Type"), r.body)
	}
	do(t, c, "GET", base+"/v1/captures/000000000002", tok, nil).errorOf(t, 404, "not found")
	do(t, c, "GET", base+"/v1/captures/000000000001", "", nil).errorOf(t, 401, "bearer token")
	do(t, c, "POST", base+"/v1/captures/000000000001", tok, nil).errorOf(t, 405, "use GET")
	if src.open != 0 {
		t.Errorf("%d capture files left open", src.open)
	}

	src.disabled.Store(true)
	do(t, c, "GET", base+"/v1/captures", tok, nil).errorOf(t, 404, "captures are off")

	// A Source without the optional interfaces answers 404.
	plain := serveTCP(t, &fakeSource{}, Options{})
	do(t, c, "POST", plain+"/v1/feedback", "", []byte(`{}`)).errorOf(t, 404, "feedback is not served")
	do(t, c, "GET", plain+"/v1/captures", "", nil).errorOf(t, 404, "captures are not served")
	do(t, c, "GET", plain+"/v1/captures/000000000001", "", nil).errorOf(t, 404, "captures are not served")
}
