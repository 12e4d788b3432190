package artifact

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/axle-edge/axle/internal/atomicfile"
)

// part is the partial file of a chunked (MQTT) transfer: <dir>/<sha>.part
// holds chunks at their offsets, <dir>/<sha>.chunks records which ones were
// verified and fsynced. The sidecar is only ever replaced after the chunk
// it adds is on disk, so it never claims more than the part file holds.
type part struct {
	dir, sha string
	meta     Meta
	f        *os.File
	done     []bool
	ndone    int
	bytes    int64 // bytes in verified chunks
}

type chunkState struct {
	V         int    `json:"v"`
	Size      int64  `json:"size"`
	ChunkSize int64  `json:"chunk_size"`
	Done      []byte `json:"done"` // bitmap, chunk n is bit n%8 of byte n/8
}

func partPath(dir, sha string) string { return filepath.Join(dir, sha+".part") }

// openPart opens or creates the partial file for m and re-verifies every
// chunk the sidecar lists, so a torn write or an edited file is refetched
// rather than trusted.
func openPart(dir string, m Meta) (*part, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("artifact: work dir: %w", err)
	}
	p := &part{dir: dir, sha: m.SHA256, meta: m, done: make([]bool, m.Chunks)}
	f, err := os.OpenFile(partPath(dir, m.SHA256), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("artifact: partial file: %w", err)
	}
	p.f = f
	// Sparse: no blocks are allocated until chunks arrive.
	if err := f.Truncate(m.Size); err != nil {
		f.Close()
		return nil, fmt.Errorf("artifact: partial file: %w", err)
	}
	st, ok := p.loadState()
	if !ok {
		return p, nil
	}
	buf := make([]byte, m.ChunkSize)
	for n := range m.Chunks {
		if st.Done[n/8]&(1<<(n%8)) == 0 {
			continue
		}
		b := buf[:m.chunkLen(n)]
		if _, err := f.ReadAt(b, int64(n)*m.ChunkSize); err != nil {
			continue
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) == m.ChunkSHA256[n] {
			p.mark(n)
		}
	}
	return p, nil
}

// loadState reads the sidecar; a missing, unreadable or mismatched one
// means nothing is verified yet.
func (p *part) loadState() (chunkState, bool) {
	var st chunkState
	b, err := os.ReadFile(p.statePath())
	if err != nil || len(b) > MaxMetaBytes {
		return st, false
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if d.Decode(&st) != nil || st.V != 1 || st.Size != p.meta.Size || st.ChunkSize != p.meta.ChunkSize || len(st.Done) != (p.meta.Chunks+7)/8 {
		return st, false
	}
	return st, true
}

func (p *part) statePath() string { return filepath.Join(p.dir, p.sha+".chunks") }

func (p *part) mark(n int) {
	if !p.done[n] {
		p.done[n] = true
		p.ndone++
		p.bytes += p.meta.chunkLen(n)
	}
}

// missing lists the chunks not verified yet, in order.
func (p *part) missing() []int {
	var out []int
	for n, d := range p.done {
		if !d {
			out = append(out, n)
		}
	}
	return out
}

// put verifies chunk n against the meta, writes it, fsyncs the part file
// and then records it in the sidecar.
func (p *part) put(n int, b []byte) error {
	if int64(len(b)) != p.meta.chunkLen(n) {
		return fmt.Errorf("artifact: chunk %d: %d bytes, meta says %d", n, len(b), p.meta.chunkLen(n))
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != p.meta.ChunkSHA256[n] {
		return fmt.Errorf("artifact: chunk %d: sha256 %s, meta says %s", n, got, p.meta.ChunkSHA256[n])
	}
	if _, err := p.f.WriteAt(b, int64(n)*p.meta.ChunkSize); err != nil {
		return fmt.Errorf("artifact: chunk %d: write: %w", n, err)
	}
	if err := p.f.Sync(); err != nil {
		return fmt.Errorf("artifact: chunk %d: fsync: %w", n, err)
	}
	p.mark(n)
	st := chunkState{V: 1, Size: p.meta.Size, ChunkSize: p.meta.ChunkSize, Done: make([]byte, (p.meta.Chunks+7)/8)}
	for i, d := range p.done {
		if d {
			st.Done[i/8] |= 1 << (i % 8)
		}
	}
	js, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("artifact: chunk %d: state: %w", n, err)
	}
	if err := atomicfile.WriteFile(p.statePath(), js, 0o600, filepath.Base(p.statePath())+".tmp*"); err != nil {
		return fmt.Errorf("artifact: chunk %d: state: %w", n, err)
	}
	return nil
}

// finish checks the whole file and moves it to <dir>/<sha>.
func (p *part) finish() (string, error) {
	if err := p.f.Sync(); err != nil {
		return "", fmt.Errorf("artifact: fsync: %w", err)
	}
	if err := p.f.Close(); err != nil {
		return "", fmt.Errorf("artifact: close: %w", err)
	}
	p.f = nil
	return complete(p.dir, p.sha, p.meta.Size)
}

func (p *part) close() {
	if p.f != nil {
		p.f.Close()
	}
}

// complete checks <dir>/<sha>.part against size and sha, renames it to
// <dir>/<sha>, removes the sidecars (of either source) and fsyncs the
// directory. A part file with the wrong hash is removed: all its pieces were
// accepted, so only a fresh start can help.
func complete(dir, sha string, size int64) (string, error) {
	src := partPath(dir, sha)
	sidecars := []string{filepath.Join(dir, sha+".chunks"), filepath.Join(dir, sha+".http")}
	if err := checkFile(src, sha, size); err != nil {
		if errors.Is(err, errHash) {
			os.Remove(src)
			for _, s := range sidecars {
				os.Remove(s)
			}
		}
		return "", err
	}
	dst := filepath.Join(dir, sha)
	if err := os.Rename(src, dst); err != nil {
		return "", fmt.Errorf("artifact: rename: %w", err)
	}
	for _, s := range sidecars {
		if err := os.Remove(s); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("artifact: remove state: %w", err)
		}
	}
	if err := atomicfile.SyncDir(dir); err != nil {
		return "", err
	}
	return dst, nil
}

var errHash = errors.New("hash mismatch")

// checkFile hashes the file at path and compares size and sha256.
func checkFile(path, sha string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("artifact: hash: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("artifact: hash: %w", err)
	}
	if n != size {
		return fmt.Errorf("artifact: size: file has %d bytes, want %d", n, size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return fmt.Errorf("artifact: hash: %w: sha256 of the whole file is %s, want %s", errHash, got, sha)
	}
	return nil
}
