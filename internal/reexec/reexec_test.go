package reexec

import (
	"os"
	"strings"
	"testing"
)

func TestCommandRunsThisBinary(t *testing.T) {
	if os.Getenv("REEXEC_CHILD") == "1" {
		return
	}
	cmd := Command("-test.run=^TestChildSays$", "-test.v")
	cmd.Env = append(os.Environ(), "REEXEC_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "child says hello") {
		t.Fatalf("child output lacks its line:\n%s", out)
	}
}

func TestChildSays(t *testing.T) {
	if os.Getenv("REEXEC_CHILD") == "1" {
		t.Log("child says hello")
	}
}

func TestCommandPrefixesEmulator(t *testing.T) {
	t.Setenv(EnvExec, "qemu-aarch64 -L /nowhere")
	cmd := Command("-test.run=^$")
	want := []string{"qemu-aarch64", "-L", "/nowhere", os.Args[0], "-test.run=^$"}
	if strings.Join(cmd.Args, " ") != strings.Join(want, " ") {
		t.Fatalf("args = %q, want %q", cmd.Args, want)
	}
}
