package config

import (
	"fmt"
	"os"
	"strings"

	"github.com/axle-edge/axle/trust"
)

// validateCommandKeys parses every command key, so that a typo or a missing
// key file is a configuration error and not a gateway that rejects every
// command.
func (c *Config) validateCommandKeys(e func(key, format string, args ...any) error) error {
	for i, k := range c.Trust.CommandKeys {
		key := fmt.Sprintf("trust.command_keys[%d]", i)
		if k == "" {
			return e(key, "is empty")
		}
		if _, err := trust.ParsePublicKey(k); err == nil {
			continue
		} else if !strings.ContainsRune(k, os.PathSeparator) && !strings.HasSuffix(k, ".pub") {
			return e(key, "%q is neither a minisign public key nor a key file path: %v", k, err)
		}
		if _, err := trust.ReadPublicKeyFile(k); err != nil {
			return e(key, "%v", err)
		}
	}
	if _, err := trust.ParseKeyring(c.Trust.CommandKeys); err != nil {
		return e("trust.command_keys", "%v", err)
	}
	return nil
}
