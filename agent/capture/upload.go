package capture

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"iter"
	"os"
	"time"

	"github.com/axle-edge/axle/firmware/artifact"
)

// Upload is one capture file opened for sending. It holds the file open, so
// a later Label (which replaces the file) or Delete does not change what is
// sent; Meta describes exactly these bytes.
type Upload struct {
	f    *os.File
	meta artifact.Meta
}

// Chunk is one piece of an Upload.
type Chunk struct {
	Index  int
	Offset int64
	Data   []byte
	SHA256 string
}

// Chunks opens capture id for upload in chunks of chunkSize (at most
// artifact.MaxChunkSize): it reads the file once, checks its capture
// checksum and computes the artifact meta (sha256 per chunk and of the
// whole file). The caller closes the Upload. Upload is an io.ReaderAt, so
// it can go to artifact.Publish as it is.
func (s *Store) Chunks(id string, chunkSize int64) (*Upload, error) {
	if chunkSize <= 0 || chunkSize > artifact.MaxChunkSize {
		return nil, fmt.Errorf("capture: chunks %s: chunk size %d must be between 1 and %d", id, chunkSize, artifact.MaxChunkSize)
	}
	seq, err := parseID(id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	_, ok := s.entries[seq]
	var f *os.File
	if ok {
		f, err = os.Open(s.path(seq))
	}
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("capture: chunks %s: %w", id, err)
	}
	m, err := hashFile(f, chunkSize)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("capture: chunks %s: %w", id, err)
	}
	m.Name, m.Kind = id+fileExt, "capture"
	m.Created = time.Now().UTC().Truncate(time.Second)
	if err := m.Validate(); err != nil {
		f.Close()
		return nil, fmt.Errorf("capture: chunks %s: %w", id, err)
	}
	return &Upload{f: f, meta: m}, nil
}

// hashFile computes the artifact meta of f and checks its capture prefix
// lengths and CRC trailer while streaming through it once.
func hashFile(f *os.File, chunkSize int64) (artifact.Meta, error) {
	st, err := f.Stat()
	if err != nil {
		return artifact.Meta{}, err
	}
	size := st.Size()
	if size < prefixLen+trailerLen || size > MaxFileSize {
		return artifact.Meta{}, fmt.Errorf("%w: %d bytes", ErrCorrupt, size)
	}
	m := artifact.Meta{V: 1, Size: size, ChunkSize: chunkSize}
	whole, crc := sha256.New(), crc32.New(castagnoli)
	buf := make([]byte, chunkSize)
	var tail []byte
	for off := int64(0); off < size; off += chunkSize {
		b := buf[:min(chunkSize, size-off)]
		if _, err := f.ReadAt(b, off); err != nil {
			return artifact.Meta{}, err
		}
		if off == 0 && len(b) >= prefixLen {
			hl, dl := int64(binary.LittleEndian.Uint32(b[8:])), binary.LittleEndian.Uint64(b[12:])
			if string(b[:4]) != magic || dl > MaxFileSize || prefixLen+hl+int64(dl)+trailerLen != size {
				return artifact.Meta{}, fmt.Errorf("%w: prefix does not describe a %d-byte file", ErrCorrupt, size)
			}
		}
		whole.Write(b)
		// The CRC covers everything but the last 4 bytes, which may
		// straddle two chunks.
		tail = append(tail, b...)
		if keep := len(tail) - trailerLen; keep > 0 {
			crc.Write(tail[:keep])
			tail = append(tail[:0], tail[keep:]...)
		}
		sum := sha256.Sum256(b)
		m.ChunkSHA256 = append(m.ChunkSHA256, hex.EncodeToString(sum[:]))
		m.Chunks++
	}
	if crc.Sum32() != binary.LittleEndian.Uint32(tail) {
		return artifact.Meta{}, fmt.Errorf("%w: checksum does not match", ErrCorrupt)
	}
	m.SHA256 = hex.EncodeToString(whole.Sum(nil))
	return m, nil
}

// Meta describes the upload as an artifact (Kind "capture", Name the file).
func (u *Upload) Meta() artifact.Meta {
	m := u.meta
	m.ChunkSHA256 = append([]string(nil), m.ChunkSHA256...)
	return m
}

// ReadAt reads from the capture file as it was when Chunks opened it.
func (u *Upload) ReadAt(p []byte, off int64) (int, error) { return u.f.ReadAt(p, off) }

// Chunk reads chunk n and checks it against the meta, so a resumed upload
// can send any chunk again on its own.
func (u *Upload) Chunk(n int) (Chunk, error) {
	if n < 0 || n >= u.meta.Chunks {
		return Chunk{}, fmt.Errorf("capture: chunk %d of %s: out of range 0..%d", n, u.meta.Name, u.meta.Chunks-1)
	}
	off := int64(n) * u.meta.ChunkSize
	b := make([]byte, min(u.meta.ChunkSize, u.meta.Size-off))
	if _, err := u.f.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
		return Chunk{}, fmt.Errorf("capture: chunk %d of %s: %w", n, u.meta.Name, err)
	}
	sum := sha256.Sum256(b)
	h := hex.EncodeToString(sum[:])
	if h != u.meta.ChunkSHA256[n] {
		return Chunk{}, fmt.Errorf("capture: chunk %d of %s: sha256 %s, meta says %s", n, u.meta.Name, h, u.meta.ChunkSHA256[n])
	}
	return Chunk{Index: n, Offset: off, Data: b, SHA256: h}, nil
}

// All yields the chunks from first on, in order; it stops at the first
// error. A resumed upload passes the first chunk not yet acknowledged.
func (u *Upload) All(first int) iter.Seq2[Chunk, error] {
	return func(yield func(Chunk, error) bool) {
		for n := max(first, 0); n < u.meta.Chunks; n++ {
			c, err := u.Chunk(n)
			if !yield(c, err) || err != nil {
				return
			}
		}
	}
}

// Close releases the file.
func (u *Upload) Close() error { return u.f.Close() }
