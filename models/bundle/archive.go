package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/axle-edge/axle/trust"
)

// Limits bound what Open accepts; they are checked against tar headers
// before any member's bytes are read. A zero field takes its default.
type Limits struct {
	MaxTotal   int64 // sum of all member sizes; default 256 MiB
	MaxMember  int64 // one member; default 256 MiB
	MaxMembers int   // members including manifest and signature; default 64
}

// DefaultLimits are the limits a zero Limits means.
var defaultLimits = Limits{MaxTotal: 256 << 20, MaxMember: 256 << 20, MaxMembers: maxMembers + 2}

func (l Limits) withDefaults() Limits {
	if l.MaxTotal <= 0 {
		l.MaxTotal = defaultLimits.MaxTotal
	}
	if l.MaxMember <= 0 {
		l.MaxMember = defaultLimits.MaxMember
	}
	if l.MaxMembers <= 0 {
		l.MaxMembers = defaultLimits.MaxMembers
	}
	return l
}

// ErrInvalid is wrapped by every error about a malformed or unsafe bundle.
var ErrInvalid = errors.New("bundle: invalid")

// Bundle is an opened bundle. Member bytes stay in the underlying reader
// until read through Open or Verify.
type Bundle struct {
	Manifest    *Manifest
	RawManifest []byte // exactly the bytes the signature covers
	Signature   []byte // manifest.json.minisig; nil when unsigned

	r       io.ReaderAt
	members map[string]span // member name -> where its data is in r
}

type span struct{ off, size int64 }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Open reads a bundle's headers, manifest and signature from r (size bytes)
// and checks the archive's structure against the manifest and lim. It does
// not verify hashes or the signature: call Verify.
func Open(r io.ReaderAt, size int64, lim Limits) (*Bundle, error) {
	lim = lim.withDefaults()
	// Headers and padding cost at most 1 KiB per member plus the end blocks.
	if size < 0 || size > lim.MaxTotal+int64(lim.MaxMembers+2)*1024+10240 {
		return nil, invalid("archive is %d bytes, limit %d for the members plus tar overhead", size, lim.MaxTotal)
	}
	sr := io.NewSectionReader(r, 0, size)
	tr := tar.NewReader(sr)
	b := &Bundle{r: r, members: map[string]span{}}
	var total int64
	var order []string
	for n := 0; ; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, invalid("archive entry %d: %v", n, err)
		}
		if n >= lim.MaxMembers {
			return nil, invalid("more than %d members", lim.MaxMembers)
		}
		if err := checkHeader(h); err != nil {
			return nil, err
		}
		if _, dup := b.members[h.Name]; dup {
			return nil, invalid("member %q appears twice", h.Name)
		}
		if h.Size > lim.MaxMember {
			return nil, invalid("member %q is %d bytes, limit %d", h.Name, h.Size, lim.MaxMember)
		}
		if total += h.Size; total > lim.MaxTotal {
			return nil, invalid("members up to %q total %d bytes, limit %d", h.Name, total, lim.MaxTotal)
		}
		// tar.Reader reads headers without buffering ahead, so the section
		// reader's position is where this member's data starts.
		off, err := sr.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, invalid("member %q: %v", h.Name, err)
		}
		b.members[h.Name] = span{off, h.Size}
		order = append(order, h.Name)
		switch h.Name {
		case ManifestName:
			if h.Size > MaxManifestBytes {
				return nil, invalid("%s is %d bytes, limit %d", ManifestName, h.Size, MaxManifestBytes)
			}
			if b.RawManifest, err = readAll(tr, h.Size); err != nil {
				return nil, invalid("%s: %v", ManifestName, err)
			}
		case SignatureName:
			if h.Size > trust.MaxSignatureBytes {
				return nil, invalid("%s is %d bytes, limit %d", SignatureName, h.Size, trust.MaxSignatureBytes)
			}
			if b.Signature, err = readAll(tr, h.Size); err != nil {
				return nil, invalid("%s: %v", SignatureName, err)
			}
		}
	}
	if b.RawManifest == nil {
		return nil, invalid("no %s member", ManifestName)
	}
	m, err := DecodeManifest(b.RawManifest)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	b.Manifest = m
	for _, name := range order {
		if name == ManifestName || name == SignatureName {
			continue
		}
		if _, ok := m.Member(name); !ok {
			return nil, invalid("member %q is not listed in the manifest", name)
		}
	}
	for _, mb := range m.Members {
		sp, ok := b.members[mb.Name]
		if !ok {
			return nil, invalid("manifest lists %q but the archive has no such member", mb.Name)
		}
		if sp.size != mb.Size {
			return nil, invalid("member %q is %d bytes, manifest says %d", mb.Name, sp.size, mb.Size)
		}
	}
	return b, nil
}

func checkHeader(h *tar.Header) error {
	name := h.Name
	switch {
	case h.Typeflag != tar.TypeReg && h.Typeflag != '\x00':
		return invalid("member %q is not a regular file (tar type %q)", name, h.Typeflag)
	case name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\"):
		return invalid("member %q: absolute or empty path", name)
	case slices.Contains(strings.Split(name, "/"), ".."):
		return invalid("member %q: path traversal", name)
	case strings.Contains(name, "/") || path.Clean(name) != name:
		return invalid("member %q: directories are not allowed in a bundle", name)
	case !memberRE.MatchString(name):
		return invalid("member %q: want a plain file name of A-Z a-z 0-9 . _ -", name)
	case h.Size < 0:
		return invalid("member %q: negative size", name)
	case h.Format != tar.FormatUSTAR:
		// PAX and GNU extensions (long names, sparse files, extra
		// records) have no place in a bundle; tar --format=ustar makes one.
		return invalid("member %q: tar format %v; a bundle is plain ustar", name, h.Format)
	}
	return nil
}

func readAll(r io.Reader, size int64) ([]byte, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// Member returns a reader over the named member's bytes (not verified).
func (b *Bundle) Member(name string) (*io.SectionReader, error) {
	mb, ok := b.Manifest.Member(name)
	if !ok {
		return nil, fmt.Errorf("bundle: no member %q", name)
	}
	return io.NewSectionReader(b.r, b.members[name].off, mb.Size), nil
}

// ReadMember returns the named member's bytes after checking its size and
// SHA-256 against the manifest.
func (b *Bundle) ReadMember(name string) ([]byte, error) {
	sr, err := b.Member(name)
	if err != nil {
		return nil, err
	}
	data, err := readAll(sr, sr.Size())
	if err != nil {
		return nil, fmt.Errorf("bundle: member %q: %w", name, err)
	}
	mb, _ := b.Manifest.Member(name)
	if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != mb.SHA256 {
		return nil, invalid("member %q: sha256 %x, manifest says %s", name, got, mb.SHA256)
	}
	return data, nil
}

// TrustedComment is the trusted comment a bundle signature must carry.
func TrustedComment(m *Manifest) string {
	return "name:" + m.Name + " version:" + m.Version
}

// Verify checks the signature over the manifest against kr, that the
// trusted comment names this manifest's name and version (so a signed
// manifest cannot be passed off under another identity), and every
// member's size and SHA-256. It returns the signing key's id.
func (b *Bundle) Verify(kr *trust.Keyring) (keyID string, err error) {
	if b.Signature == nil {
		return "", invalid("unsigned: no %s member", SignatureName)
	}
	keyID, tc, err := kr.Verify(b.RawManifest, b.Signature)
	if err != nil {
		return keyID, fmt.Errorf("bundle: %s: %w", SignatureName, err)
	}
	if err := checkComment(tc, b.Manifest); err != nil {
		return keyID, err
	}
	for _, mb := range b.Manifest.Members {
		sr, _ := b.Member(mb.Name)
		h := sha256.New()
		n, err := io.Copy(h, sr)
		if err != nil {
			return keyID, fmt.Errorf("bundle: member %q: %w", mb.Name, err)
		}
		if n != mb.Size {
			return keyID, invalid("member %q: %d bytes, manifest says %d", mb.Name, n, mb.Size)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != mb.SHA256 {
			return keyID, invalid("member %q: sha256 %s, manifest says %s", mb.Name, got, mb.SHA256)
		}
	}
	return keyID, nil
}

func checkComment(tc string, m *Manifest) error {
	var name, version string
	for f := range strings.FieldsSeq(tc) {
		k, v, _ := strings.Cut(f, ":")
		switch k {
		case "name":
			name = v
		case "version":
			version = v
		}
	}
	if name != m.Name || version != m.Version {
		return invalid("signature's trusted comment %q does not match manifest name %q version %q", tc, m.Name, m.Version)
	}
	return nil
}

// Sign signs the manifest with sk, replacing any previous signature; write
// the signed bundle with WriteTo.
func (b *Bundle) Sign(sk trust.SecretKey) error {
	sig, err := trust.Sign(sk, b.RawManifest, TrustedComment(b.Manifest))
	if err != nil {
		return fmt.Errorf("bundle: sign: %w", err)
	}
	b.Signature = sig
	return nil
}

// WriteTo writes the bundle as a ustar archive: manifest, members in
// manifest order, then the signature if there is one.
func (b *Bundle) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	tw := tar.NewWriter(cw)
	mtime := b.Manifest.Created
	if err := writeMember(tw, ManifestName, mtime, bytes.NewReader(b.RawManifest), int64(len(b.RawManifest))); err != nil {
		return cw.n, err
	}
	for _, mb := range b.Manifest.Members {
		sr, _ := b.Member(mb.Name)
		if err := writeMember(tw, mb.Name, mtime, sr, mb.Size); err != nil {
			return cw.n, err
		}
	}
	if b.Signature != nil {
		if err := writeMember(tw, SignatureName, mtime, bytes.NewReader(b.Signature), int64(len(b.Signature))); err != nil {
			return cw.n, err
		}
	}
	if err := tw.Close(); err != nil {
		return cw.n, fmt.Errorf("bundle: write: %w", err)
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func writeMember(tw *tar.Writer, name string, mtime time.Time, r io.Reader, size int64) error {
	h := &tar.Header{
		Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644,
		ModTime: mtime.UTC().Truncate(time.Second), Format: tar.FormatUSTAR,
	}
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("bundle: write %s: %w", name, err)
	}
	if _, err := io.CopyN(tw, r, size); err != nil {
		return fmt.Errorf("bundle: write %s: %w", name, err)
	}
	return nil
}

// File is a member to pack.
type File struct {
	Name string
	Data []byte
}

// Pack fills in m.Model and m.Members (name, size, SHA-256 of model and
// extras), validates m and writes an unsigned bundle to w. It returns the
// manifest bytes written.
func Pack(w io.Writer, m *Manifest, model File, extras ...File) ([]byte, error) {
	files := append([]File{model}, extras...)
	m.Model = model.Name
	m.Members = m.Members[:0]
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		m.Members = append(m.Members, Member{Name: f.Name, Size: int64(len(f.Data)), SHA256: hex.EncodeToString(sum[:])})
	}
	raw, err := m.Encode()
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(w)
	mtime := m.Created
	if err := writeMember(tw, ManifestName, mtime, bytes.NewReader(raw), int64(len(raw))); err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := writeMember(tw, f.Name, mtime, bytes.NewReader(f.Data), int64(len(f.Data))); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("bundle: write: %w", err)
	}
	return raw, nil
}
