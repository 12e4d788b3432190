// Package testtool finds the external programs that tests drive for real
// (mosquitto, minisign, chromium). Outside CI a missing program skips the
// test with the Debian package that provides it; under CI (the CI
// environment variable, which `make test` sets) it fails the test, so a
// machine without the tool can never pass the suite by skipping.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// Required reports whether missing tools fail tests instead of skipping
// them: CI is set to anything but "" or "false".
func Required() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

// Find returns the path of program: the first of paths that exists, else
// program on PATH. When none is found it skips the test, or fails it under
// CI, naming the Debian package that installs it.
func Find(t testing.TB, program, debianPackage string, paths ...string) string {
	t.Helper()
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	if p, err := exec.LookPath(program); err == nil {
		return p
	}
	msg := program + " is not installed; install the Debian package \"" + debianPackage + "\" (make test-deps does)"
	if Required() {
		t.Fatal("testtool: " + msg + "; CI requires it")
	}
	t.Skip("testtool: " + msg)
	return ""
}
