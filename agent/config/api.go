package config

import (
	"net"
	"path/filepath"
	"strconv"
	"time"
)

// API configures the local HTTP API and live page (package agent/api). It
// is off unless Listen or Socket is set.
type API struct {
	Listen string `yaml:"listen"` // TCP address, e.g. 127.0.0.1:8080
	Socket string `yaml:"socket"` // unix socket path instead of TCP
	// TokenFile holds the bearer token TCP clients must send; required when
	// Listen is not a loopback address.
	TokenFile     string        `yaml:"token_file"`
	MaxBodyBytes  ByteSize      `yaml:"max_body_bytes"` // default 1MiB
	MaxConcurrent int           `yaml:"max_concurrent"` // predict requests at once; default 4
	Timeout       time.Duration `yaml:"timeout"`        // per predict request; default 10s
}

// Enabled reports whether the API is to be served.
func (a *API) Enabled() bool { return a.Listen != "" || a.Socket != "" }

// finish applies the defaults and validates the section; e makes an error
// at a key.
func (a *API) finish(e func(key, format string, args ...any) error) error {
	if a.MaxBodyBytes == 0 {
		a.MaxBodyBytes = 1 << 20
	}
	if a.MaxConcurrent == 0 {
		a.MaxConcurrent = 4
	}
	if a.Timeout == 0 {
		a.Timeout = 10 * time.Second
	}
	if a.Listen != "" && a.Socket != "" {
		return e("api.socket", "set listen or socket, not both")
	}
	if a.Listen != "" {
		host, port, err := net.SplitHostPort(a.Listen)
		if err != nil {
			return e("api.listen", "%q is not host:port, e.g. 127.0.0.1:8080", a.Listen)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return e("api.listen", "port %q is not a number between 0 and 65535", port)
		}
		if a.TokenFile == "" && !loopback(host) {
			return e("api.token_file", "is required when api.listen %q is reachable from other machines (use 127.0.0.1 or a unix socket otherwise)", a.Listen)
		}
	}
	if a.Socket != "" && !filepath.IsAbs(a.Socket) {
		return e("api.socket", "%q must be an absolute path", a.Socket)
	}
	if a.TokenFile != "" && !filepath.IsAbs(a.TokenFile) {
		return e("api.token_file", "%q must be an absolute path", a.TokenFile)
	}
	if a.MaxBodyBytes < 1<<10 || a.MaxBodyBytes > 64<<20 {
		return e("api.max_body_bytes", "%d is not between 1KiB and 64MiB", int64(a.MaxBodyBytes))
	}
	if a.MaxConcurrent < 1 || a.MaxConcurrent > 1024 {
		return e("api.max_concurrent", "%d is not between 1 and 1024", a.MaxConcurrent)
	}
	if a.Timeout < 10*time.Millisecond || a.Timeout > 5*time.Minute {
		return e("api.timeout", "%s is not between 10ms and 5m", a.Timeout)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
