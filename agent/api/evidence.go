package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Ground truth and evidence: POST /v1/feedback and GET /v1/captures[/{id}],
// served when the Source implements FeedbackSource and CaptureSource.

func (s *Server) serveFeedback(w http.ResponseWriter, r *http.Request) {
	fs, ok := s.src.(FeedbackSource)
	if !ok {
		writeError(w, http.StatusNotFound, "feedback is not served by this agent")
		return
	}
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	res, err := fs.Feedback(r.Context(), body)
	switch {
	case errors.Is(err, ErrBadInput):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, ErrUnknownModel):
		writeError(w, http.StatusNotFound, err.Error())
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, http.StatusOK, res)
	}
}

// readBody reads a request body of at most MaxBodyBytes, answering 413 or
// 400 itself when it cannot.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opt.MaxBodyBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body: larger than %d bytes", mb.Limit))
			return nil, false
		}
		writeError(w, http.StatusBadRequest, "body: "+err.Error())
		return nil, false
	}
	return body, true
}

func (s *Server) serveCaptures(w http.ResponseWriter, r *http.Request) {
	cs, ok := s.src.(CaptureSource)
	if !ok {
		writeError(w, http.StatusNotFound, "captures are not served by this agent")
		return
	}
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "trigger", "model", "from", "to":
		default:
			writeError(w, http.StatusBadRequest, fmt.Sprintf("query %q: unknown parameter; use trigger, model, from, to", k))
			return
		}
	}
	f := CaptureFilter{Trigger: q.Get("trigger"), Model: q.Get("model")}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		v := q.Get(t.name)
		if v == "" {
			continue
		}
		var err error
		if *t.dst, err = time.Parse(time.RFC3339Nano, v); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("query %q: %q is not an RFC 3339 time", t.name, v))
			return
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("query \"to\": %s is before from %s", f.To.Format(time.RFC3339Nano), f.From.Format(time.RFC3339Nano)))
		return
	}
	list, err := cs.Captures(f)
	switch {
	case errors.Is(err, ErrBadInput):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if list == nil {
		list = []CaptureInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"captures": list})
}

func (s *Server) serveCapture(w http.ResponseWriter, r *http.Request) {
	cs, ok := s.src.(CaptureSource)
	if !ok {
		writeError(w, http.StatusNotFound, "captures are not served by this agent")
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/v1/captures/")
	f, err := cs.OpenCapture(id)
	switch {
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(f.Size(), 10))
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", id+".cap"))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	io.Copy(w, io.NewSectionReader(f, 0, f.Size())) // a failed copy is a client gone; the status is sent
}
