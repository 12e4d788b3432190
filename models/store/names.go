package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxNameLen bounds model names and versions; both arrive from the network
// and become directory names.
const maxNameLen = 64

// tmpPrefix starts every temporary entry the store creates. Valid names
// start with a letter or digit, so a temp entry never collides with one.
const tmpPrefix = ".tmp-"

// ValidName reports whether s may be used as a model name or version: 1 to
// 64 bytes of ASCII letters, digits, '.', '_', '-' and '+', starting with a
// letter or digit, and without "..". Such a name is a single, safe path
// element on every file system the agent runs on.
func ValidName(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	if len(s) > maxNameLen {
		return fmt.Errorf("%d bytes, longer than %d", len(s), maxNameLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-' || c == '+'):
		default:
			return fmt.Errorf("byte %q at offset %d is not allowed (letters, digits, and . _ - + after the first)", c, i)
		}
	}
	if strings.Contains(s, "..") {
		return errors.New(`contains ".."`)
	}
	return nil
}

func checkNames(op, name, version string) error {
	if err := ValidName(name); err != nil {
		return fmt.Errorf("store: %s: model name %.80q: %w", op, name, err)
	}
	if version == "" && op == "rollback" {
		return nil
	}
	if err := ValidName(version); err != nil {
		return fmt.Errorf("store: %s: model %s: version %.80q: %w", op, name, version, err)
	}
	return nil
}

// checkSHA256 accepts exactly 64 lowercase hex digits.
func checkSHA256(s string) error {
	if len(s) != 64 {
		return fmt.Errorf("sha256 %.80q: %d characters, want 64 hex digits", s, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return fmt.Errorf("sha256 %q: character %q at %d is not lowercase hex", s, c, i)
		}
	}
	return nil
}

// decodeStrict decodes one JSON value, refusing unknown fields and
// trailing data.
func decodeStrict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}
