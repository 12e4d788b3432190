package trust

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"aead.dev/minisign"
)

// Size limits for key and signature text: minisign's own files are a few
// hundred bytes; the bound stops a wrong path (a model, a log) from being
// read whole.
const (
	maxKeyFileBytes = 4 << 10
	// MaxSignatureBytes bounds a signature file, trusted comment included.
	MaxSignatureBytes = 8 << 10
	// MaxTrustedComment bounds the trusted comment Sign accepts.
	MaxTrustedComment = 4 << 10
)

// ErrUntrustedKey is returned (wrapped) when a signature was made by a key
// that is not in the keyring.
var ErrUntrustedKey = errors.New("trust: signature by untrusted key")

// ErrBadSignature is returned (wrapped) when a signature by a trusted key
// does not match the message or its trusted comment.
var ErrBadSignature = errors.New("trust: signature does not verify")

// ErrNeedPassword is returned (wrapped) when a secret key is encrypted and
// no password was given.
var ErrNeedPassword = errors.New("trust: secret key is encrypted and no password was given")

// PublicKey is a minisign Ed25519 public key.
type PublicKey struct{ k minisign.PublicKey }

// SecretKey is a minisign Ed25519 secret key, decrypted.
type SecretKey struct{ k minisign.PrivateKey }

// KeyID formats a minisign key id the way minisign prints it: upper-case
// hex of the little-endian 64-bit id, without leading zeros.
func KeyID(id uint64) string { return strings.ToUpper(strconv.FormatUint(id, 16)) }

// ID returns the key id in minisign's hex form.
func (p PublicKey) ID() string { return KeyID(p.k.ID()) }

// String returns the "RW…" base64 form, as in minisign's -P argument.
func (p PublicKey) String() string { return p.k.String() }

// MarshalText returns the public key file: a comment line and the key.
func (p PublicKey) MarshalText() ([]byte, error) {
	b, err := p.k.MarshalText()
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ID returns the key id in minisign's hex form.
func (s SecretKey) ID() string { return KeyID(s.k.ID()) }

// Public returns the public half of s.
func (s SecretKey) Public() PublicKey {
	return PublicKey{k: s.k.Public().(minisign.PublicKey)}
}

// GenerateKey makes a new key pair from crypto/rand.
func GenerateKey() (PublicKey, SecretKey, error) {
	pub, sec, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		return PublicKey{}, SecretKey{}, fmt.Errorf("trust: generate key: %w", err)
	}
	return PublicKey{k: pub}, SecretKey{k: sec}, nil
}

// MarshalSecretKey returns the secret key file. With an empty password the
// key is stored unencrypted (minisign -W); otherwise it is encrypted with
// scrypt as minisign does (this takes about a second and 1 GiB of memory,
// minisign's own cost parameters).
func MarshalSecretKey(s SecretKey, password string) ([]byte, error) {
	var b []byte
	var err error
	if password == "" {
		b, err = s.k.MarshalText()
	} else {
		b, err = minisign.EncryptKey(password, s.k)
	}
	if err != nil {
		return nil, fmt.Errorf("trust: encode secret key: %w", err)
	}
	return append(b, '\n'), nil
}

// ParsePublicKey accepts the "RW…" base64 form or a whole public key file
// (comment line and key).
func ParsePublicKey(text string) (PublicKey, error) {
	t := strings.TrimSpace(text)
	if t == "" {
		return PublicKey{}, errors.New("trust: public key is empty")
	}
	if len(t) > maxKeyFileBytes {
		return PublicKey{}, fmt.Errorf("trust: public key is %d bytes, want a minisign key of about 56", len(t))
	}
	var k minisign.PublicKey
	if err := k.UnmarshalText([]byte(t)); err != nil {
		return PublicKey{}, fmt.Errorf("trust: public key %q: %w", abbrev(t), err)
	}
	return PublicKey{k: k}, nil
}

// ReadPublicKeyFile reads a minisign public key file.
func ReadPublicKeyFile(path string) (PublicKey, error) {
	b, err := readSmall(path, maxKeyFileBytes)
	if err != nil {
		return PublicKey{}, err
	}
	p, err := ParsePublicKey(string(b))
	if err != nil {
		return PublicKey{}, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ParseSecretKey decodes a secret key file; password is needed when the key
// is encrypted and ignored when it is not.
func ParseSecretKey(text []byte, password string) (SecretKey, error) {
	t := bytes.TrimSpace(text)
	if minisign.IsEncrypted(t) {
		if password == "" {
			return SecretKey{}, ErrNeedPassword
		}
		k, err := minisign.DecryptKey(password, t)
		if err != nil {
			return SecretKey{}, fmt.Errorf("trust: secret key: wrong password or corrupt key: %w", err)
		}
		return SecretKey{k: k}, nil
	}
	var k minisign.PrivateKey
	if err := k.UnmarshalText(t); err != nil {
		return SecretKey{}, fmt.Errorf("trust: secret key: %w", err)
	}
	return SecretKey{k: k}, nil
}

// ReadSecretKeyFile reads a minisign secret key file.
func ReadSecretKeyFile(path, password string) (SecretKey, error) {
	b, err := readSmall(path, maxKeyFileBytes)
	if err != nil {
		return SecretKey{}, err
	}
	s, err := ParseSecretKey(b, password)
	if err != nil {
		return SecretKey{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Sign signs msg in minisign's default prehashed form (BLAKE2b-512, "ED")
// and returns the signature file. The trusted comment is signed too; it
// must be one line.
func Sign(s SecretKey, msg []byte, trustedComment string) ([]byte, error) {
	if strings.ContainsAny(trustedComment, "\r\n") {
		return nil, errors.New("trust: trusted comment must be a single line")
	}
	if len(trustedComment) > MaxTrustedComment {
		return nil, fmt.Errorf("trust: trusted comment is %d bytes, limit %d", len(trustedComment), MaxTrustedComment)
	}
	r := minisign.NewReader(bytes.NewReader(msg))
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, fmt.Errorf("trust: sign: %w", err)
	}
	return r.SignWithComments(s.k, trustedComment, "signature from axle secret key "+s.ID()), nil
}

// Signature is the decoded, not yet verified content of a signature file.
type Signature struct {
	KeyID          string // minisign hex form
	Prehashed      bool   // "ED" (BLAKE2b-512 of the message) rather than legacy "Ed"
	TrustedComment string // unverified until Keyring.Verify succeeds
}

// ParseSignature decodes a signature file without verifying it, e.g. to
// show which key made it.
func ParseSignature(sig []byte) (Signature, error) {
	s, err := decodeSignature(sig)
	if err != nil {
		return Signature{}, err
	}
	return Signature{KeyID: KeyID(s.KeyID), Prehashed: s.Algorithm == minisign.HashEdDSA, TrustedComment: s.TrustedComment}, nil
}

func decodeSignature(sig []byte) (minisign.Signature, error) {
	var s minisign.Signature
	if len(sig) > MaxSignatureBytes {
		return s, fmt.Errorf("trust: signature is %d bytes, limit %d", len(sig), MaxSignatureBytes)
	}
	if len(sig) == 0 {
		return s, errors.New("trust: signature is empty")
	}
	if err := s.UnmarshalText(sig); err != nil {
		return s, fmt.Errorf("trust: malformed signature: %w", err)
	}
	return s, nil
}

// Keyring is the set of public keys a gateway trusts.
type Keyring struct {
	keys map[uint64]minisign.PublicKey
	ids  []string
}

// NewKeyring builds a keyring. Two different keys with the same id are
// refused: the id is how a signature names its key.
func NewKeyring(keys ...PublicKey) (*Keyring, error) {
	kr := &Keyring{keys: make(map[uint64]minisign.PublicKey, len(keys))}
	for _, k := range keys {
		if old, ok := kr.keys[k.k.ID()]; ok {
			if !old.Equal(k.k) {
				return nil, fmt.Errorf("trust: two different public keys have id %s", k.ID())
			}
			continue
		}
		kr.keys[k.k.ID()] = k.k
		kr.ids = append(kr.ids, k.ID())
	}
	return kr, nil
}

// ParseKeyring builds a keyring from entries that are either a key in the
// "RW…" form or the path of a public key file.
func ParseKeyring(entries []string) (*Keyring, error) {
	keys := make([]PublicKey, 0, len(entries))
	for i, e := range entries {
		// A key in the "RW…" form parses; anything else is a file name.
		k, err := ParsePublicKey(e)
		if err != nil {
			k, err = ReadPublicKeyFile(e)
		}
		if err != nil {
			return nil, fmt.Errorf("trust: key %d: %w", i, err)
		}
		keys = append(keys, k)
	}
	return NewKeyring(keys...)
}

// IDs lists the key ids in the keyring, in the order they were added.
func (kr *Keyring) IDs() []string { return append([]string(nil), kr.ids...) }

// Verify checks sig (a minisign signature file) over msg against the
// keyring. It returns the signing key's id and the trusted comment, which
// is authentic only when err is nil.
func (kr *Keyring) Verify(msg, sig []byte) (keyID, trustedComment string, err error) {
	s, err := decodeSignature(sig)
	if err != nil {
		return "", "", err
	}
	id := KeyID(s.KeyID)
	k, ok := kr.keys[s.KeyID]
	if !ok {
		return id, "", fmt.Errorf("%w %s; trusted: %s", ErrUntrustedKey, id, kr.describe())
	}
	if !minisign.Verify(k, msg, sig) {
		return id, "", fmt.Errorf("%w: key %s, message or trusted comment altered", ErrBadSignature, id)
	}
	return id, s.TrustedComment, nil
}

func (kr *Keyring) describe() string {
	if len(kr.ids) == 0 {
		return "none (empty keyring)"
	}
	return strings.Join(kr.ids, ", ")
}

func readSmall(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trust: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("trust: read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("trust: %s is larger than %d bytes; not a minisign key", path, limit)
	}
	return b, nil
}

func abbrev(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}
