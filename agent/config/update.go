package config

import (
	"fmt"
	"time"

	"github.com/axle-edge/axle/trust"
)

// Update configures self-update of the agent binary (agent.update,
// agent.rollback). Its keys are separate from the keys that sign models and
// commands: a key that may ship a model must not be able to replace the
// agent.
type Update struct {
	// Keys are the minisign public keys ("RW…") or key files trusted to
	// sign agent binaries. Empty: agent.update is refused.
	Keys []string `yaml:"keys"`
	// MaxSize bounds a binary or patch before anything is fetched.
	MaxSize ByteSize `yaml:"max_size"`
	// MaxAttempts is how many starts a new version gets to confirm before
	// the previous binary is put back.
	MaxAttempts int `yaml:"max_attempts"`
	// ConfirmWithin is how long a new version on probation has, from its
	// start, to reach READY, connect and publish its status.
	ConfirmWithin time.Duration `yaml:"confirm_within"`
	// KeepPrevious keeps the old binary after a confirmed update so that
	// agent.rollback can still return to it.
	KeepPrevious bool `yaml:"keep_previous"`
	// CAFile holds PEM roots for HTTPS sources besides the system's.
	CAFile string `yaml:"ca_file"`
}

// Defaults of the update section.
const (
	DefaultUpdateMaxSize       = 64 << 20
	DefaultUpdateMaxAttempts   = 3
	DefaultUpdateConfirmWithin = 2 * time.Minute
)

func (u *Update) applyDefaults() {
	if u.MaxSize == 0 {
		u.MaxSize = DefaultUpdateMaxSize
	}
	if u.MaxAttempts == 0 {
		u.MaxAttempts = DefaultUpdateMaxAttempts
	}
	if u.ConfirmWithin == 0 {
		u.ConfirmWithin = DefaultUpdateConfirmWithin
	}
}

func (u *Update) validate(e func(key, format string, args ...any) error) error {
	for i, k := range u.Keys {
		if _, err := trust.ParseKeyring([]string{k}); err != nil {
			return e(fmt.Sprintf("update.keys[%d]", i), "%v", err)
		}
	}
	if _, err := u.Keyring(); err != nil {
		return e("update.keys", "%v", err)
	}
	switch {
	case u.MaxSize < 1<<20 || u.MaxSize > 1<<30:
		return e("update.max_size", "%d bytes is not between 1MiB and 1GiB", int64(u.MaxSize))
	case u.MaxAttempts < 1 || u.MaxAttempts > 100:
		return e("update.max_attempts", "%d is not between 1 and 100", u.MaxAttempts)
	case u.ConfirmWithin < 5*time.Second || u.ConfirmWithin > time.Hour:
		return e("update.confirm_within", "%s is not between 5s and 1h", u.ConfirmWithin)
	}
	return nil
}

// Keyring is the set of keys trusted for agent binaries.
func (u *Update) Keyring() (*trust.Keyring, error) {
	return trust.ParseKeyring(u.Keys)
}
