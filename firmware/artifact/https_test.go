package artifact

import (
	"bytes"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

// fileServer serves data over TLS like a plain web server (ServeContent:
// Range, If-Range, ETag), with switches for misbehaviour.
type fileServer struct {
	srv    *httptest.Server
	caFile string

	mu          sync.Mutex
	data        []byte
	etag        string
	cutAfter    int64 // >0: abort the next response after this many bytes
	ignoreRange bool
	status      int
	ranges      []string // Range header of every request
	sent        int64    // body bytes written
}

func newFileServer(t *testing.T, data []byte) *fileServer {
	fs := &fileServer{data: data, etag: `"v1"`}
	fs.srv = httptest.NewUnstartedServer(http.HandlerFunc(fs.serve))
	fs.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	fs.srv.StartTLS()
	t.Cleanup(fs.srv.Close)
	fs.caFile = filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: fs.srv.Certificate().Raw})
	if err := os.WriteFile(fs.caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return fs
}

type countingWriter struct {
	http.ResponseWriter
	fs    *fileServer
	limit int64 // 0: none
	n     int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if w.limit > 0 && w.n+int64(len(p)) > w.limit {
		p = p[:w.limit-w.n]
		n, _ := w.ResponseWriter.Write(p)
		w.fs.add(int64(n))
		w.ResponseWriter.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the connection drops mid-body
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	w.fs.add(int64(n))
	return n, err
}

func (fs *fileServer) add(n int64) {
	fs.mu.Lock()
	fs.sent += n
	fs.mu.Unlock()
}

func (fs *fileServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	fs.ranges = append(fs.ranges, r.Header.Get("Range")+"|"+r.Header.Get("If-Range"))
	data, etag, cut, ignore, status := fs.data, fs.etag, fs.cutAfter, fs.ignoreRange, fs.status
	fs.cutAfter = 0
	fs.mu.Unlock()
	if status != 0 {
		http.Error(w, "nope", status)
		return
	}
	cw := &countingWriter{ResponseWriter: w, fs: fs, limit: cut}
	if ignore {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = cw.Write(data)
		return
	}
	w.Header().Set("ETag", etag)
	http.ServeContent(cw, r, "artifact.bin", time.Unix(1700000000, 0), bytes.NewReader(data))
}

func (fs *fileServer) source() Source {
	return Source{Kind: KindHTTPS, URL: fs.srv.URL + "/a/artifact.bin", CAFile: fs.caFile}
}

func TestHTTPSCutAndResume(t *testing.T) {
	data := testData(3<<20, 10)
	fs := newFileServer(t, data)
	fs.cutAfter = 3 << 19 // half way
	want := Want{SHA256: shaHex(data), Size: int64(len(data))}
	opts := Options{Dir: t.TempDir(), MaxSize: 4 << 20}

	_, err := Fetch(fetchCtx(t), fs.source(), want, opts)
	if err == nil || !strings.Contains(err.Error(), "body cut at byte") {
		t.Fatalf("first fetch: got %v, want a cut body", err)
	}
	st := loadHTTPState(filepath.Join(opts.Dir, want.SHA256+".http"))
	if st.Length <= 0 || st.Length > 3<<19 || st.ETag != `"v1"` {
		t.Fatalf("state after the cut: %+v", st)
	}
	fs.mu.Lock()
	fs.sent = 0
	fs.mu.Unlock()

	path, err := Fetch(fetchCtx(t), fs.source(), want, opts)
	if err != nil {
		t.Fatalf("resumed fetch: %v", err)
	}
	checkResult(t, path, data)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if got, wantHdr := fs.ranges[1], "bytes="+strconv.FormatInt(st.Length, 10)+`-|"v1"`; got != wantHdr {
		t.Fatalf("resume request sent Range|If-Range %q, want %q", got, wantHdr)
	}
	if fs.sent != int64(len(data))-st.Length {
		t.Fatalf("resume fetched %d bytes, want only the missing %d", fs.sent, int64(len(data))-st.Length)
	}
}

func TestHTTPSServerIgnoringRangeRestarts(t *testing.T) {
	data := testData(1<<20+7, 11)
	fs := newFileServer(t, data)
	fs.cutAfter = 600 << 10
	fs.ignoreRange = true
	want := Want{SHA256: shaHex(data), Size: int64(len(data))}
	opts := Options{Dir: t.TempDir(), MaxSize: 4 << 20}
	if _, err := Fetch(fetchCtx(t), fs.source(), want, opts); err == nil {
		t.Fatal("cut fetch succeeded")
	}
	path, err := Fetch(fetchCtx(t), fs.source(), want, opts)
	if err != nil {
		t.Fatalf("fetch from a server ignoring Range: %v", err)
	}
	checkResult(t, path, data)
	if !strings.HasPrefix(fs.ranges[1], "bytes=") {
		t.Fatalf("second request did not ask for a range: %q", fs.ranges[1])
	}
}

func TestHTTPSRefusals(t *testing.T) {
	data := testData(2000, 12)
	fs := newFileServer(t, data)
	other := uplinktest.NewCA(t, t.TempDir(), "other")
	good := Want{SHA256: shaHex(data), Size: 2000}
	cases := []struct {
		name   string
		src    Source
		want   Want
		max    int64
		status int
		err    string
	}{
		{"over the limit", fs.source(), Want{SHA256: good.SHA256, Size: 100}, 1000, 0, "size limit: server sends 2000 bytes, limit 1000"},
		{"wrong size", fs.source(), Want{SHA256: good.SHA256, Size: 1999}, 4000, 0, "size: server sends 2000 bytes, the command says 1999"},
		{"wrong hash", fs.source(), Want{SHA256: strings.Repeat("1", 64), Size: 2000}, 4000, 0, "hash: hash mismatch: sha256 of the whole file is " + good.SHA256},
		{"status", fs.source(), good, 4000, http.StatusNotFound, "http status: 404 Not Found"},
		{"untrusted server", Source{Kind: KindHTTPS, URL: fs.srv.URL, CAFile: other.CertFile}, good, 4000, 0, "certificate"},
		{"no roots", Source{Kind: KindHTTPS, URL: fs.srv.URL}, good, 4000, 0, "nothing can verify the server"},
		{"plain http", Source{Kind: KindHTTPS, URL: "http://example.invalid/x"}, good, 4000, 0, "is not an https://host/path URL"},
	}
	for _, c := range cases {
		fs.mu.Lock()
		fs.status = c.status
		fs.mu.Unlock()
		dir := t.TempDir()
		_, err := Fetch(fetchCtx(t), c.src, c.want, Options{Dir: dir, MaxSize: c.max})
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.err)
		}
		if _, err := os.Stat(filepath.Join(dir, c.want.SHA256)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: a result file exists", c.name)
		}
	}
}

func TestParseContentRange(t *testing.T) {
	if s, tot, err := parseContentRange("bytes 10-99/100"); err != nil || s != 10 || tot != 100 {
		t.Fatalf("good range: %d %d %v", s, tot, err)
	}
	for _, bad := range []string{"", "bytes */100", "bytes 10-50/100", "bytes 5-4/100", "items 0-1/2", "bytes 0-99/99", "bytes -1-5/6"} {
		if _, _, err := parseContentRange(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseContentRange(f *testing.F) {
	f.Add("bytes 10-99/100")
	f.Add("bytes 0-0/1")
	f.Add("bytes */100")
	f.Add("bytes 9223372036854775806-9223372036854775806/9223372036854775807")
	f.Fuzz(func(t *testing.T, s string) {
		start, total, err := parseContentRange(s)
		if err == nil && (start < 0 || start >= total) {
			t.Fatalf("%q accepted as start %d of %d", s, start, total)
		}
	})
}
