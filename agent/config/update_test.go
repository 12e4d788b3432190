package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/trust"
)

func TestUpdateDefaults(t *testing.T) {
	c, err := Parse("axle.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	u := c.Update
	if u.MaxSize != DefaultUpdateMaxSize || u.MaxAttempts != 3 || u.ConfirmWithin != 2*time.Minute || u.KeepPrevious || len(u.Keys) != 0 {
		t.Fatalf("defaults: %+v", u)
	}
}

func TestUpdateKeys(t *testing.T) {
	pub, _, err := trust.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	text, _ := pub.MarshalText()
	file := filepath.Join(t.TempDir(), "update.pub")
	if err := os.WriteFile(file, text, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := good + "update:\n  keys: [" + pub.String() + ", " + file + "]\n  keep_previous: true\n  confirm_within: 30s\n"
	c, err := Parse("axle.yaml", []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := c.Update.Keyring()
	if err != nil {
		t.Fatal(err)
	}
	if ids := kr.IDs(); len(ids) != 1 || ids[0] != pub.ID() {
		t.Fatalf("keyring ids %v, want [%s]", ids, pub.ID())
	}
	if !c.Update.KeepPrevious || c.Update.ConfirmWithin != 30*time.Second {
		t.Fatalf("update: %+v", c.Update)
	}
}

func TestUpdateErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"update:\n  keys: [RWnotakey]\n", "update.keys[0]"},
		{"update:\n  keys: [/nonexistent/update.pub]\n", "update.keys[0]"},
		{"update:\n  max_size: 1KiB\n", "update.max_size"},
		{"update:\n  max_attempts: -1\n", "update.max_attempts"},
		{"update:\n  confirm_within: 1s\n", "update.confirm_within"},
		{"update:\n  confirm_within: 2h\n", "update.confirm_within"},
		{"update:\n  retries: 2\n", "update.retries"},
	} {
		_, err := Parse("axle.yaml", []byte(good+tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !IsConfigError(err) {
			t.Errorf("%q: error %v, want one naming %s", tc.yaml, err, tc.want)
		}
	}
}
