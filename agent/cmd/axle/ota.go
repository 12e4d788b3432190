package main

// Operator tools for model deployment: axle model publish|install|history
// and axle cmd sign.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/firmware/artifact"
	"github.com/axle-edge/axle/models/bundle"
	"github.com/axle-edge/axle/models/store"
	"github.com/axle-edge/axle/trust"
)

// isOTACommand says whether `axle model <name>` is a deployment tool.
func isOTACommand(name string) bool {
	return slices.Contains([]string{"publish", "install", "history"}, name)
}

// otaCommand runs `axle model publish|install|history`; it returns the exit
// status: 0 success, 1 failure (also a failed install), 2 usage error.
func otaCommand(args []string, stdout, stderr io.Writer) int {
	var err error
	switch args[0] {
	case "publish":
		err = modelPublish(args[1:], stdout, stderr)
	case "install":
		err = modelInstall(args[1:], stdout, stderr)
	case "history":
		err = modelHistory(args[1:], stdout, stderr)
	}
	return exitStatus("axle model "+args[0], err, stderr)
}

// bundleInfo opens a bundle file far enough to name it: its manifest.
func bundleInfo(path string) (*bundle.Manifest, bool, error) {
	b, f, err := openBundle(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	return b.Manifest, b.Signature != nil, nil
}

// randomName is a name no other run picks: time plus 64 random bits.
func randomName(prefix string) string {
	var r [8]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never fails (Go 1.24+)
	return fmt.Sprintf("%s-%d-%s", prefix, time.Now().Unix(), hex.EncodeToString(r[:]))
}

func modelPublish(args []string, stdout, stderr io.Writer) error {
	fs := modelFlags("publish", "publish BUNDLE --broker URL [--prefix axle] [--ca CA.pem] [--cert C.pem --key K.pem] [--username U --password-file F]", stderr)
	broker := fs.String("broker", "", "MQTT broker URL, tcp://host:1883 or ssl://host:8883 (required)")
	prefix := fs.String("prefix", fleet.DefaultPrefix, "topic prefix; chunks go to PREFIX/artifacts/<sha256>/...")
	ca := fs.String("ca", "", "CA certificate file that verifies the broker (TLS)")
	cert := fs.String("cert", "", "client certificate file (TLS)")
	key := fs.String("key", "", "client key file (TLS)")
	user := fs.String("username", "", "MQTT username")
	passFile := fs.String("password-file", "", "file holding the MQTT password")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long (the broker may be unreachable)")
	pos, err := modelParse(fs, args)
	if err != nil {
		return err
	}
	path, err := modelOne(pos)
	if err != nil {
		return err
	}
	if *broker == "" {
		return modelUsageError{"--broker URL is required"}
	}
	m, signed, err := bundleInfo(path)
	if err != nil {
		return err
	}
	if !signed {
		return fmt.Errorf("%s: bundle is not signed (axle model sign); agents would refuse it", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))

	password := ""
	if *passFile != "" {
		b, err := readLimited(*passFile, 4096)
		if err != nil {
			return err
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	tmpl := uplink.Config{Broker: *broker, Username: *user, Password: password, CAFile: *ca, CertFile: *cert, KeyFile: *key,
		MaxBackoff: 5 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	probe := tmpl
	probe.ClientID = randomName("axle-publish-probe")
	meta, exists, err := artifact.Exists(ctx, probe, *prefix, sum)
	if err != nil {
		return err
	}
	if exists && meta.Size == size {
		fmt.Fprintf(stderr, "%s is already published under %s/artifacts/%s (%d chunks)\n", path, *prefix, sum, meta.Chunks)
	} else {
		pc := tmpl
		pc.ClientID = randomName("axle-publish")
		meta, err = publish(ctx, pc, *prefix, f, size, m, stderr)
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "bundle %s version %s\nsha256 %s\nsize   %d bytes in %d chunks of %d\n", m.Name, m.Version, meta.SHA256, meta.Size, meta.Chunks, meta.ChunkSize)
	deploy := map[string]any{"model": m.Name, "version": m.Version, "sha256": meta.SHA256, "size": meta.Size,
		"source": map[string]string{"kind": string(artifact.KindMQTT)}}
	out, _ := json.Marshal(deploy)
	_, err = fmt.Fprintf(stdout, "%s\n", out)
	return err
}

// publish runs an uplink client for the duration of one artifact.Publish,
// drawing a progress bar on stderr.
func publish(ctx context.Context, cfg uplink.Config, prefix string, r io.ReaderAt, size int64, m *bundle.Manifest, stderr io.Writer) (artifact.Meta, error) {
	cfg.CleanSession = true // a one-off publisher leaves no session on the broker
	c, err := uplink.New(cfg)
	if err != nil {
		return artifact.Meta{}, err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(runCtx) // its errors surface as Publish's
	}()
	defer func() { stop(); <-done }()
	bar := newProgressBar(stderr, "publish", time.Now)
	meta, err := artifact.Publish(ctx, c, prefix, r, size, artifact.PublishOptions{
		Name: m.Name, Kind: "model-bundle", Version: m.Version, Progress: bar.update})
	bar.finish()
	if err != nil {
		return artifact.Meta{}, err
	}
	return meta, nil
}

// progressBar draws "publish  42% [=====>    ] 11.0/26.2 MB 8.3 MB/s" on
// one terminal line, redrawn when the percentage changes.
type progressBar struct {
	w       io.Writer
	label   string
	now     func() time.Time
	start   time.Time
	lastPct int
	drawn   bool
}

func newProgressBar(w io.Writer, label string, now func() time.Time) *progressBar {
	return &progressBar{w: w, label: label, now: now, start: now(), lastPct: -1}
}

func (p *progressBar) update(done, total int64) {
	if total <= 0 {
		return
	}
	pct := int(done * 100 / total)
	if pct == p.lastPct {
		return
	}
	p.lastPct = pct
	const width = 30
	fill := pct * width / 100
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	rate := 0.0
	if el := p.now().Sub(p.start).Seconds(); el > 0 {
		rate = float64(done) / el / 1e6
	}
	fmt.Fprintf(p.w, "\r%s %3d%% [%s] %.1f/%.1f MB %.1f MB/s", p.label, pct, bar, float64(done)/1e6, float64(total)/1e6, rate)
	p.drawn = true
}

func (p *progressBar) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

func modelInstall(args []string, stdout, stderr io.Writer) error {
	fs := modelFlags("install", "install BUNDLE [--state-dir /var/lib/axle] [--timeout 2m]", stderr)
	stateDir := fs.String("state-dir", "/var/lib/axle", "the running agent's state_dir")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long to wait for the agent's result")
	pos, err := modelParse(fs, args)
	if err != nil {
		return err
	}
	path, err := modelOne(pos)
	if err != nil {
		return err
	}
	if *timeout <= 0 {
		return modelUsageError{"--timeout must be positive"}
	}
	m, _, err := bundleInfo(path)
	if err != nil {
		return err
	}
	spool := filepath.Join(*stateDir, "spool")
	if st, err := os.Stat(spool); err != nil || !st.IsDir() {
		return fmt.Errorf("no offline install spool %s: is the agent running with state_dir %s? (%v)", spool, *stateDir, err)
	}
	name := randomName("install")
	queued := filepath.Join(spool, name+".axb")
	if err := spoolBundle(path, spool, name); err != nil {
		return fmt.Errorf("hand %s to the agent: %w", path, err)
	}
	fmt.Fprintf(stderr, "bundle %s version %s handed to the agent as %s; waiting up to %s for its checks\n", m.Name, m.Version, queued, *timeout)
	resultPath := filepath.Join(spool, name+".result.json")
	res, err := waitResult(resultPath, *timeout)
	if err != nil {
		return err
	}
	os.Remove(resultPath) // read and printed: the spool keeps only pending work
	pretty, _ := json.MarshalIndent(res, "", "  ")
	fmt.Fprintf(stdout, "%s\n", pretty)
	if res.Status != fleet.ResultDone {
		return fmt.Errorf("bundle %s version %s not installed: %s", m.Name, m.Version, res.Error)
	}
	return nil
}

// spoolBundle copies the bundle to <spool>/.<name>.axb.tmp, fsyncs it and
// renames it to <spool>/<name>.axb (then fsyncs the directory): the agent
// only ever sees complete bundles.
func spoolBundle(src, spool, name string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := filepath.Join(spool, "."+name+".axb.tmp")
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(spool, name+".axb")); err != nil {
		return err
	}
	d, err := os.Open(spool)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// maxResultBytes bounds the result file read back from the spool.
const maxResultBytes = 1 << 20

// waitResult polls for the agent's result file until timeout. The agent
// writes it atomically, so a file that exists is complete.
func waitResult(path string, timeout time.Duration) (fleet.Result, error) {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		b, err := readLimited(path, maxResultBytes)
		switch {
		case err == nil:
			var res fleet.Result
			if err := json.Unmarshal(b, &res); err != nil {
				return res, fmt.Errorf("agent result %s: %w", path, err)
			}
			if res.Status == "" {
				return res, fmt.Errorf("agent result %s: field \"status\" is missing", path)
			}
			return res, nil
		case !errors.Is(err, fs.ErrNotExist):
			return fleet.Result{}, err
		}
		if time.Now().After(deadline) {
			return fleet.Result{}, fmt.Errorf("no result from the agent after %s; the bundle stays queued in %s and its result will appear as %s (is the agent running?)",
				timeout, filepath.Dir(path), path)
		}
		<-tick.C
	}
}

func modelHistory(args []string, stdout, stderr io.Writer) error {
	fs := modelFlags("history", "history [--state-dir /var/lib/axle] [--model NAME] [--json]", stderr)
	stateDir := fs.String("state-dir", "/var/lib/axle", "the agent's state_dir")
	model := fs.String("model", "", "only this model")
	asJSON := fs.Bool("json", false, "one JSON object per line, every field")
	pos, err := modelParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return modelUsageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	root := filepath.Join(*stateDir, "models")
	if _, err := os.Stat(root); err != nil {
		return fmt.Errorf("no model store at %s: %w", root, err)
	}
	entries, err := store.ReadHistory(root, store.Filter{Model: *model})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, e := range entries {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tMODEL\tVERSION\tACTION\tFROM\tKEY ID\tREASON / GATE")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339), e.Model, dash(e.Version), e.Action,
			dash(e.From), dash(e.KeyID), dash(historyReason(e)))
	}
	return tw.Flush()
}

// historyReason is the reason, followed by a gate's figures when the
// entry has any.
func historyReason(e store.Entry) string {
	s := e.Reason
	if len(e.Details) > 0 {
		keys := make([]string, 0, len(e.Details))
		for k := range e.Details {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s=%v", k, e.Details[k]))
		}
		s = strings.TrimSpace(s + " (" + strings.Join(parts, " ") + ")")
	}
	return strings.ReplaceAll(s, "\t", " ")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cmdCommand implements `axle cmd sign --key KEY.key COMMAND.json`.
func cmdCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "sign" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, cmdUsage)
			return 0
		}
		fmt.Fprint(stderr, cmdUsage)
		return 2
	}
	return exitStatus("axle cmd sign", cmdSign(args[1:], stdout, stderr), stderr)
}

const cmdUsage = `Usage: axle cmd sign --key KEY.key COMMAND.json

Signs a fleet command for agents with trust.command_keys: prints the command
with its "signature" member set over the canonical form (README, "Signed
commands"). COMMAND.json "-" reads standard input; an encrypted key's
password is then read from the first line of standard input only when the
command comes from a file.
`

func cmdSign(args []string, stdout, stderr io.Writer) error {
	fs := modelFlags("sign", "sign --key KEY.key COMMAND.json", stderr)
	fs.Usage = func() { fmt.Fprint(stderr, cmdUsage+"\nflags:\n"); fs.PrintDefaults() }
	keyPath := fs.String("key", "", "secret key file (required)")
	pos, err := modelParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return modelUsageError{fmt.Sprintf("want exactly one COMMAND.json argument, got %d", len(pos))}
	}
	if *keyPath == "" {
		return modelUsageError{"--key KEY.key is required"}
	}
	var raw []byte
	if pos[0] == "-" {
		raw, err = io.ReadAll(io.LimitReader(os.Stdin, fleet.MaxCommandBytes+1))
	} else {
		raw, err = readLimited(pos[0], fleet.MaxCommandBytes)
	}
	if err != nil {
		return err
	}
	cmd, err := fleet.DecodeCommand(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	keyText, err := readLimited(*keyPath, 4096)
	if err != nil {
		return err
	}
	sec, err := trust.ParseSecretKey(keyText, "")
	if errors.Is(err, trust.ErrNeedPassword) {
		if pos[0] == "-" {
			return fmt.Errorf("%s is encrypted and the command comes from stdin: give the command as a file so the password can be read from stdin", *keyPath)
		}
		password, perr := readPassword()
		if perr != nil {
			return perr
		}
		sec, err = trust.ParseSecretKey(keyText, password)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", *keyPath, err)
	}
	// Sign the command as written (not re-encoded from cmd, which would add
	// fields the operator left out): its canonical form plus the signature.
	canon, err := fleet.CanonicalCommand(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	sig, err := trust.Sign(sec, canon, "axle command id:"+strconv.Quote(cmd.ID))
	if err != nil {
		return err
	}
	sigJSON, _ := json.Marshal(base64.StdEncoding.EncodeToString(sig))
	fmt.Fprintf(stderr, "signed command %s (%s) with key %s\n", cmd.ID, cmd.Verb, sec.ID())
	_, err = fmt.Fprintf(stdout, "%s,\"signature\":%s}\n", canon[:len(canon)-1], sigJSON)
	return err
}
