package config

import (
	"fmt"
	"time"
)

// Trust lists the public keys whose signatures the agent accepts, as
// minisign public keys ("RW…" strings) or paths of minisign .pub files.
// Several keys may be listed so that keys can be rotated.
type Trust struct {
	ModelKeys   []string `yaml:"model_keys"`   // model bundles
	CommandKeys []string `yaml:"command_keys"` // fleet commands; when set, unsigned commands are rejected
}

// ModelsStore configures the versioned model store under
// <state_dir>/models.
type ModelsStore struct {
	Keep           int   `yaml:"keep"`             // versions kept per model (at least 2)
	MaxBundleBytes int64 `yaml:"max_bundle_bytes"` // larger bundles are refused before any byte is fetched
}

// Probation is how long a newly deployed model version is watched, and the
// gates that roll it back; a model.deploy command may override each field.
// A zero limit turns its gate off (invoke errors and NaN/Inf outputs always
// trip).
type Probation struct {
	Duration     time.Duration `yaml:"duration"`
	Windows      int64         `yaml:"windows"`
	LatencyP99   time.Duration `yaml:"latency_p99"` // default: the bundle's SLO
	MaxPSI       float64       `yaml:"max_psi"`
	MaxAlertRate float64       `yaml:"max_alert_rate"`
}

func (c *Config) applyOTADefaults() {
	if c.ModelsStore.Keep == 0 {
		c.ModelsStore.Keep = 3
	}
	if c.ModelsStore.MaxBundleBytes == 0 {
		c.ModelsStore.MaxBundleBytes = 64 << 20
	}
	if c.Probation.Duration == 0 {
		c.Probation.Duration = 10 * time.Minute
	}
	if c.Probation.Windows == 0 {
		c.Probation.Windows = 100
	}
}

func (c *Config) validateOTA(e func(key, format string, args ...any) error) error {
	for i, k := range c.Trust.ModelKeys {
		if k == "" {
			return e(fmt.Sprintf("trust.model_keys[%d]", i), "is empty")
		}
	}
	s := c.ModelsStore
	switch {
	case s.Keep < 2:
		return e("models_store.keep", "%d must be at least 2 (the active and the previous version)", s.Keep)
	case s.MaxBundleBytes < 1<<10 || s.MaxBundleBytes > 1<<30:
		return e("models_store.max_bundle_bytes", "%d is not between 1KiB and 1GiB", s.MaxBundleBytes)
	}
	return c.Probation.validate("probation", e)
}

func (p Probation) validate(key string, e func(key, format string, args ...any) error) error {
	switch {
	case p.Duration <= 0:
		return e(key+".duration", "must be positive")
	case p.Windows < 0:
		return e(key+".windows", "must not be negative")
	case p.LatencyP99 < 0:
		return e(key+".latency_p99", "must not be negative")
	case p.MaxPSI < 0:
		return e(key+".max_psi", "must not be negative")
	case p.MaxAlertRate < 0 || p.MaxAlertRate > 1:
		return e(key+".max_alert_rate", "%g is not between 0 and 1", p.MaxAlertRate)
	}
	return nil
}

// Validate checks p; errors name the field under prefix (e.g. a deploy
// command's `args field "probation"`).
func (p Probation) Validate(prefix string) error {
	return p.validate(prefix, func(key, format string, args ...any) error {
		return fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...))
	})
}
