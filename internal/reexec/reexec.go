// Package reexec starts the running test binary again as a child process,
// for tests that kill a child mid-write (SIGKILL drills).
//
// Under `make test-arm` the test binaries are ARM executables run by
// qemu-user on an x86 machine without binfmt_misc: a plain exec of
// os.Args[0] would fail with "exec format error". The Makefile names the
// emulator in AXLE_TEST_EXEC, and Command puts it in front.
package reexec

import (
	"os"
	"os/exec"
	"strings"
)

// EnvExec names the emulator (and its arguments) that runs the test binary.
const EnvExec = "AXLE_TEST_EXEC"

// Command returns a command that runs this test binary with args, through
// the emulator in AXLE_TEST_EXEC when it is set.
func Command(args ...string) *exec.Cmd {
	if emu := strings.Fields(os.Getenv(EnvExec)); len(emu) > 0 {
		return exec.Command(emu[0], append(append(emu[1:], os.Args[0]), args...)...)
	}
	return exec.Command(os.Args[0], args...)
}
