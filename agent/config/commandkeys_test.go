package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/axle-edge/axle/trust"
)

// TestCommandKeys: keys are accepted as "RW…" strings or .pub files, and a
// bad entry is a configuration error naming the entry and its line.
func TestCommandKeys(t *testing.T) {
	pub1, _, _ := trust.GenerateKey()
	pub2, _, _ := trust.GenerateKey()
	text, _ := pub2.MarshalText()
	file := filepath.Join(t.TempDir(), "ops.pub")
	if err := os.WriteFile(file, text, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Parse("a.yaml", []byte(good+"trust:\n  command_keys:\n    - "+pub1.String()+"\n    - "+file+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Trust.CommandKeys) != 2 {
		t.Fatalf("command_keys = %q", c.Trust.CommandKeys)
	}
	for _, tc := range []struct{ entry, want string }{
		{`""`, "a.yaml:29: trust.command_keys[1]: is empty"},
		{"RWQnotakey", "a.yaml:29: trust.command_keys[1]: \"RWQnotakey\" is neither a minisign public key nor a key file path"},
		{filepath.Join(t.TempDir(), "missing.pub"), "a.yaml:29: trust.command_keys[1]: trust: open "},
	} {
		_, err := Parse("a.yaml", []byte(good+"trust:\n  command_keys:\n    - "+pub1.String()+"\n    - "+tc.entry+"\n"))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("entry %q: err = %v, want prefix %q", tc.entry, err, tc.want)
		}
	}
}
