package artifact

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/axle-edge/axle/internal/atomicfile"
)

// httpState is the sidecar <dir>/<sha>.http of an HTTPS transfer: how many
// bytes of the part file are fsynced, and the validator the server gave,
// sent back in If-Range so a changed file is not spliced onto an old one.
type httpState struct {
	V            int    `json:"v"`
	Length       int64  `json:"length"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// syncEvery is how many bytes are written between fsyncs of the part file
// and its sidecar: what a crash can cost.
const syncEvery = 1 << 20

func httpClient(src Source) (*http.Client, error) {
	var pool *x509.CertPool
	if src.SystemRoots {
		p, err := x509.SystemCertPool()
		if err != nil {
			return nil, fmt.Errorf("artifact: https: system roots: %w", err)
		}
		pool = p
	} else {
		pool = x509.NewCertPool()
	}
	if src.CAFile != "" {
		pem, err := os.ReadFile(src.CAFile)
		if err != nil {
			return nil, fmt.Errorf("artifact: https: CA file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("artifact: https: CA file %q holds no PEM certificate", src.CAFile)
		}
	} else if !src.SystemRoots {
		return nil, errors.New("artifact: https: no CA file and system roots not allowed: nothing can verify the server")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	// The body is hashed as bytes: a transparently gunzipped one would not match.
	tr.DisableCompression = true
	return &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return fmt.Errorf("artifact: https: refusing a redirect to %s", req.URL.Redacted())
		}
		if len(via) >= 5 {
			return errors.New("artifact: https: more than 5 redirects")
		}
		return nil
	}}, nil
}

func fetchHTTPS(ctx context.Context, src Source, want Want, o Options) (string, error) {
	u, err := url.Parse(src.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("artifact: https: URL %q is not an https://host/path URL", clip(src.URL))
	}
	cl, err := httpClient(src)
	if err != nil {
		return "", err
	}
	defer cl.CloseIdleConnections()
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return "", fmt.Errorf("artifact: work dir: %w", err)
	}
	statePath := filepath.Join(o.Dir, want.SHA256+".http")
	f, err := os.OpenFile(partPath(o.Dir, want.SHA256), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return "", fmt.Errorf("artifact: partial file: %w", err)
	}
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	st := loadHTTPState(statePath)
	if fi, err := f.Stat(); err != nil || st.Length > fi.Size() || st.Length > want.Size {
		st = httpState{V: 1}
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.URL, nil)
	if err != nil {
		return "", fmt.Errorf("artifact: https: %w", err)
	}
	if st.Length > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(st.Length, 10)+"-")
		if v := st.ETag; v != "" && !strings.HasPrefix(v, "W/") {
			req.Header.Set("If-Range", v)
		} else if st.LastModified != "" {
			req.Header.Set("If-Range", st.LastModified)
		}
	}
	resp, err := cl.Do(req)
	if err != nil {
		return "", fmt.Errorf("artifact: https: %w", err)
	}
	defer resp.Body.Close()

	off := int64(0)
	switch resp.StatusCode {
	case http.StatusOK:
		// Whole body: the server ignored Range, or If-Range saw a change.
		if resp.ContentLength > o.MaxSize {
			return "", fmt.Errorf("artifact: size limit: server sends %d bytes, limit %d", resp.ContentLength, o.MaxSize)
		}
		if resp.ContentLength >= 0 && resp.ContentLength != want.Size {
			return "", fmt.Errorf("artifact: size: server sends %d bytes, the command says %d", resp.ContentLength, want.Size)
		}
	case http.StatusPartialContent:
		start, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil {
			return "", err
		}
		if total > o.MaxSize {
			return "", fmt.Errorf("artifact: size limit: server has %d bytes, limit %d", total, o.MaxSize)
		}
		if total != want.Size || start != st.Length {
			return "", fmt.Errorf("artifact: https: Content-Range %q does not continue %d of %d bytes", resp.Header.Get("Content-Range"), st.Length, want.Size)
		}
		off = start
	default:
		return "", fmt.Errorf("artifact: http status: %s from %s", resp.Status, u.Redacted())
	}
	if off == 0 {
		st = httpState{V: 1}
		if err := f.Truncate(0); err != nil {
			return "", fmt.Errorf("artifact: partial file: %w", err)
		}
	}
	st.ETag, st.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	st.Length = off

	save := func() error {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("artifact: fsync: %w", err)
		}
		js, _ := json.Marshal(st) // plain strings and ints cannot fail
		if err := atomicfile.WriteFile(statePath, js, 0o600, filepath.Base(statePath)+".tmp*"); err != nil {
			return fmt.Errorf("artifact: state: %w", err)
		}
		return nil
	}
	// One byte past the size tells a too-long body from a complete one.
	body := io.LimitReader(resp.Body, want.Size-off+1)
	buf := make([]byte, 64<<10)
	synced := off
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if st.Length+int64(n) > want.Size {
				return "", fmt.Errorf("artifact: size: server sends more than %d bytes", want.Size)
			}
			if _, err := f.WriteAt(buf[:n], st.Length); err != nil {
				return "", fmt.Errorf("artifact: write: %w", err)
			}
			st.Length += int64(n)
			if st.Length-synced >= syncEvery {
				if err := save(); err != nil {
					return "", err
				}
				synced = st.Length
			}
			if o.Progress != nil {
				o.Progress(Progress{Done: st.Length, Total: want.Size})
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			// Keep what arrived for the next attempt.
			if err := save(); err != nil {
				return "", err
			}
			return "", fmt.Errorf("artifact: https: body cut at byte %d of %d: %w", st.Length, want.Size, rerr)
		}
	}
	if st.Length != want.Size {
		if err := save(); err != nil {
			return "", err
		}
		return "", fmt.Errorf("artifact: size: body ended at byte %d of %d", st.Length, want.Size)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("artifact: fsync: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("artifact: close: %w", err)
	}
	f = nil
	return complete(o.Dir, want.SHA256, want.Size)
}

func loadHTTPState(path string) httpState {
	var st httpState
	b, err := os.ReadFile(path)
	if err != nil || len(b) > 64<<10 || json.Unmarshal(b, &st) != nil || st.V != 1 || st.Length < 0 {
		return httpState{V: 1}
	}
	return st
}

// parseContentRange reads "bytes start-end/total" of a 206 response.
func parseContentRange(s string) (start, total int64, err error) {
	bad := fmt.Errorf("artifact: https: Content-Range %q is not bytes start-end/total", clip(s))
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, 0, bad
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, bad
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, bad
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	total, err3 := strconv.ParseInt(tot, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || start < 0 || end < start || total <= end {
		return 0, 0, bad
	}
	if end != total-1 {
		return 0, 0, fmt.Errorf("artifact: https: Content-Range %q stops before the end", clip(s))
	}
	return start, total, nil
}
