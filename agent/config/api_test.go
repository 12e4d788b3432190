package config

import (
	"strings"
	"testing"
	"time"
)

func TestAPIDefaultsAndOff(t *testing.T) {
	c, err := Parse("axle.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if c.API.Enabled() {
		t.Error("API enabled without listen or socket")
	}
	if c.API.MaxBodyBytes != 1<<20 || c.API.MaxConcurrent != 4 || c.API.Timeout != 10*time.Second {
		t.Errorf("defaults: %+v", c.API)
	}
	c, err = Parse("axle.yaml", []byte(good+"api:\n  listen: 0.0.0.0:8080\n  token_file: /etc/axle/api.token\n  max_body_bytes: 64KiB\n  max_concurrent: 2\n  timeout: 3s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.API.Enabled() || c.API.MaxBodyBytes != 64<<10 || c.API.MaxConcurrent != 2 || c.API.Timeout != 3*time.Second {
		t.Errorf("api: %+v", c.API)
	}
}

func TestAPIErrorsNameKey(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"api:\n  listen: 127.0.0.1:8080\n  socket: /run/axle/api.sock\n", "api.socket: set listen or socket, not both"},
		{"api:\n  listen: nonsense\n", "api.listen: \"nonsense\" is not host:port"},
		{"api:\n  listen: 127.0.0.1:http\n", "api.listen: port \"http\""},
		{"api:\n  listen: :8080\n", "api.token_file: is required"},
		{"api:\n  listen: 10.0.0.5:8080\n", "api.token_file: is required"},
		{"api:\n  socket: api.sock\n", "api.socket: \"api.sock\" must be an absolute path"},
		{"api:\n  listen: 127.0.0.1:8080\n  token_file: tok\n", "api.token_file: \"tok\" must be an absolute path"},
		{"api:\n  max_body_bytes: 12\n", "api.max_body_bytes: 12 is not between"},
		{"api:\n  max_concurrent: -1\n", "api.max_concurrent: -1 is not between"},
		{"api:\n  timeout: 1h\n", "api.timeout: 1h0m0s is not between"},
		{"api:\n  listn: 127.0.0.1:8080\n", "api.listn"},
	} {
		_, err := Parse("axle.yaml", []byte(good+tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "axle.yaml:") {
			t.Errorf("%q: err = %v, want it to contain %q", tc.yaml, err, tc.want)
		}
	}
	for _, ok := range []string{"api:\n  listen: 127.0.0.1:8080\n", "api:\n  listen: localhost:0\n", "api:\n  listen: '[::1]:8080'\n", "api:\n  socket: /run/axle/api.sock\n"} {
		if _, err := Parse("axle.yaml", []byte(good+ok)); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}
