package firmware

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/axle-edge/axle/internal/reexec"
)

// exitPrevent is the unit's RestartPreventExitStatus: the supervisor stops
// on it, as systemd does; internal/testagent exits with it when idle.
const exitPrevent = 78

// start is one run of the binary under the supervisor.
type start struct {
	Version string // from the binary's first line
	Action  string
	Exit    int
}

// supervise runs bin with systemd's Restart=always semantics: whatever is
// at the path is started again after every exit except exitPrevent, at
// most max times.
func supervise(t *testing.T, bin, state string, max int) []start {
	t.Helper()
	var starts []start
	for len(starts) < max {
		cmd := exec.Command(bin, "-state", state, "-attempts", "2")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("start %d: %v", len(starts)+1, err)
		}
		s := start{Exit: code}
		line, _, _ := strings.Cut(string(out), "\n")
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "version":
				s.Version = v
			case "action":
				s.Action = v
			}
		}
		if code != 0 && code != exitPrevent && code != ExitUpdate && stderr.Len() > 0 {
			t.Logf("start %d (%s) exited %d: %s", len(starts)+1, s.Version, code, strings.TrimSpace(stderr.String()))
		}
		starts = append(starts, s)
		if code == exitPrevent {
			return starts
		}
	}
	t.Fatalf("still restarting after %d starts: %+v", max, starts)
	return nil
}

func buildAgent(t *testing.T, out, version string, crash bool) []byte {
	t.Helper()
	ldflags := "-X main.version=" + version
	if crash {
		ldflags += " -X main.crash=1"
	}
	// Same build settings as the test binary, so the packages come from
	// the build cache and only the link differs between versions.
	cmd := exec.Command("go", "build", "-o", out, "-ldflags", ldflags, "./internal/testagent")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", version, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readJSONLines[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var items []T
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var it T
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		items = append(items, it)
	}
	return items
}

// updateCommand mirrors internal/testagent's cmd.json.
type updateCommand struct {
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	Path    string `json:"path"`
	Trusted bool   `json:"trusted"`
	Force   bool   `json:"force"`
}

type updateResult struct {
	Version string `json:"version"`
	Running string `json:"running"`
	Staged  bool   `json:"staged"`
	Error   string `json:"error"`
}

// TestEndToEndWithRealBinaries builds internal/testagent three times with
// different version stamps and runs it under a supervisor with systemd's
// restart semantics: v1 updates to v2, which confirms; v3 crashes at every
// start and is rolled back to v2 and reported; a rejected version, a wrong
// hash and a failing signature check are refused with v2 still in place.
func TestEndToEndWithRealBinaries(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool to build the test agent")
	}
	if os.Getenv(reexec.EnvExec) != "" {
		t.Skip("under an emulator: the built agents would not be the test's architecture")
	}
	root := t.TempDir()
	for _, d := range []string{"bin", "build", "state"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	builds := map[string][]byte{}
	for _, v := range []string{"v1", "v2", "v3"} {
		builds[v] = buildAgent(t, filepath.Join(root, "build", v), v, v == "v3")
	}
	if bytes.Equal(builds["v1"], builds["v2"]) {
		t.Fatal("the version stamp did not change the binary")
	}
	bin := filepath.Join(root, "bin", "axle")
	state := filepath.Join(root, "state")
	writeFile(t, bin, builds["v1"], 0o755)
	command := func(c updateCommand) {
		t.Helper()
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(state, "cmd.json"), b, 0o600)
	}
	updateTo := func(v string) updateCommand {
		return updateCommand{Version: v, SHA256: sum(builds[v]), Size: int64(len(builds[v])),
			Path: filepath.Join(root, "build", v), Trusted: true}
	}
	events := func() []Outcome { return readJSONLines[Outcome](t, filepath.Join(state, "events.jsonl")) }
	results := func() []updateResult { return readJSONLines[updateResult](t, filepath.Join(state, "results.jsonl")) }
	expect := func(got []start, want ...start) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("starts = %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("start %d = %+v, want %+v (all: %+v)", i+1, got[i], want[i], got)
			}
		}
	}

	// v1 stages and commits v2 and exits; v2 starts on probation and confirms.
	command(updateTo("v2"))
	expect(supervise(t, bin, state, 5),
		start{"v1", "run", ExitUpdate},
		start{"v2", "probation", exitPrevent})
	targetIs(t, bin, builds["v2"], "v2")
	noFile(t, bin+".old")
	if ev := events(); len(ev) != 1 || ev[0].Result != ResultConfirmed || ev[0].Old != "v1" || ev[0].New != "v2" {
		t.Fatalf("events = %+v, want v1 -> v2 confirmed", ev)
	}

	// v3 exits at every start: after two starts it is rolled back and v2
	// reports it.
	command(updateTo("v3"))
	expect(supervise(t, bin, state, 8),
		start{"v2", "run", ExitUpdate},
		start{"v3", "probation", 3},
		start{"v3", "probation", 3},
		start{"v3", "restart", ExitUpdate},
		start{"v2", "run", exitPrevent})
	targetIs(t, bin, builds["v2"], "v2")
	ev := events()
	if last := ev[len(ev)-1]; len(ev) != 2 || last.Result != ResultRolledBack || last.New != "v3" || last.Running != "v2" || !strings.Contains(last.Reason, "2 times") {
		t.Fatalf("events = %+v, want v3 rolled back to v2", ev)
	}

	// Refusals: each leaves v2 in place and says why.
	wrongHash := updateTo("v3")
	wrongHash.Version, wrongHash.SHA256 = "v4", sum(builds["v1"])
	untrusted := updateTo("v1")
	untrusted.Version, untrusted.Trusted = "v5", false
	for _, c := range []struct {
		cmd  updateCommand
		want string
	}{
		{updateTo("v3"), "rejected"},
		{wrongHash, "checksum"},
		{untrusted, "not by a trusted key"},
	} {
		command(c.cmd)
		expect(supervise(t, bin, state, 3), start{"v2", "run", exitPrevent})
		targetIs(t, bin, builds["v2"], "v2")
		res := results()
		if last := res[len(res)-1]; last.Version != c.cmd.Version || last.Staged || !strings.Contains(last.Error, c.want) {
			t.Fatalf("result = %+v, want a refusal containing %q", last, c.want)
		}
	}
	if st := e2eState(t, bin, state); st.Current != "v2" || st.Pending != nil || st.Staged != nil {
		t.Fatalf("final state = %+v", st)
	}
}

func e2eState(t *testing.T, bin, state string) State {
	t.Helper()
	u, err := Open(Config{Target: bin, StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	return u.State()
}
