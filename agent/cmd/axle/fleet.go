package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/firmware/artifact"
	"github.com/axle-edge/axle/fleet/operator"
	"github.com/axle-edge/axle/fleet/rollout"
	"github.com/axle-edge/axle/trust"
)

const fleetUsage = `Usage: axle fleet SUBCOMMAND [connection flags] ...

  devices [--group G]                              table of the retained statuses
  cmd (DEVICE... | --group G | --all) VERB [ARGS-JSON]
                                                   send a signed command, one result per device
  deploy BUNDLE (--group G | --all) [--waves 5%,25%,100%] [--soak 10m] [--max-failed 2%]
         [--shadow 30m [--min-agreement 0.95] [--max-p95-diff X] [--min-windows 100]]
                                                   publish the bundle if absent, roll it out in waves
                                                   (with --shadow each wave scores in shadow first)
  rollout status|resume|abort ID                   a rollout kept on the broker
  watch [--group G]                                live scores, alerts and events

Connection flags (each subcommand takes them; --config reads them from YAML
with keys broker, ca, cert, key, username, password_file, sign_key, prefix,
client_id; flags given win over the file):
`

// fleetConn is the connection flags of every fleet subcommand.
type fleetConn struct {
	Broker       string `yaml:"broker"`
	CA           string `yaml:"ca"`
	Cert         string `yaml:"cert"`
	Key          string `yaml:"key"`
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
	SignKey      string `yaml:"sign_key"`
	Prefix       string `yaml:"prefix"`
	ClientID     string `yaml:"client_id"`
	config       string
}

func (fc *fleetConn) register(fs *flag.FlagSet) {
	fs.StringVar(&fc.config, "config", "", "YAML file with the connection settings")
	fs.StringVar(&fc.Broker, "broker", "", "broker URL: tcp://host:1883, ssl://host:8883")
	fs.StringVar(&fc.CA, "ca", "", "CA certificate (PEM) that verifies the broker")
	fs.StringVar(&fc.Cert, "cert", "", "client certificate (PEM)")
	fs.StringVar(&fc.Key, "key", "", "client certificate's key (PEM)")
	fs.StringVar(&fc.Username, "username", "", "MQTT username")
	fs.StringVar(&fc.PasswordFile, "password-file", "", "file whose first line is the MQTT password")
	fs.StringVar(&fc.SignKey, "sign-key", "", "minisign secret key that signs commands (an encrypted key's password is read from stdin)")
	fs.StringVar(&fc.Prefix, "prefix", "", "topic prefix (default axle)")
	fs.StringVar(&fc.ClientID, "client-id", "", "MQTT client id (default axle-fleet-<host>)")
}

// load fills what the flags left empty from --config.
func (fc *fleetConn) load(set map[string]bool) error {
	if fc.config == "" {
		return nil
	}
	b, err := readLimited(fc.config, 64<<10)
	if err != nil {
		return err
	}
	var file fleetConn
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", fc.config, err)
	}
	for name, pair := range map[string][2]*string{
		"broker": {&fc.Broker, &file.Broker}, "ca": {&fc.CA, &file.CA}, "cert": {&fc.Cert, &file.Cert},
		"key": {&fc.Key, &file.Key}, "username": {&fc.Username, &file.Username},
		"password-file": {&fc.PasswordFile, &file.PasswordFile}, "sign-key": {&fc.SignKey, &file.SignKey},
		"prefix": {&fc.Prefix, &file.Prefix}, "client-id": {&fc.ClientID, &file.ClientID},
	} {
		if !set[name] {
			*pair[0] = *pair[1]
		}
	}
	return nil
}

// dial connects; needKey says whether the subcommand signs commands.
func (fc *fleetConn) dial(ctx context.Context, needKey, scores bool) (*operator.Client, error) {
	if fc.Broker == "" {
		return nil, modelUsageError{"--broker (or broker in --config) is required"}
	}
	cfg := operator.Config{Prefix: fc.Prefix, Scores: scores, MQTT: uplink.Config{Broker: fc.Broker, ClientID: fc.ClientID,
		Username: fc.Username, CAFile: fc.CA, CertFile: fc.Cert, KeyFile: fc.Key, ConnectTimeout: 10 * time.Second}}
	if cfg.MQTT.ClientID == "" {
		host, _ := os.Hostname()
		cfg.MQTT.ClientID = "axle-fleet-" + host
	}
	if fc.PasswordFile != "" {
		b, err := readLimited(fc.PasswordFile, 4096)
		if err != nil {
			return nil, err
		}
		cfg.MQTT.Password, _, _ = strings.Cut(string(b), "\n")
	}
	if needKey {
		if fc.SignKey == "" {
			return nil, modelUsageError{"--sign-key (or sign_key in --config) is required: agents run only signed commands"}
		}
		sk, err := readSecretKey(fc.SignKey)
		if err != nil {
			return nil, err
		}
		cfg.Key = &sk
	}
	return operator.Dial(ctx, cfg)
}

func readSecretKey(path string) (trust.SecretKey, error) {
	text, err := readLimited(path, 4096)
	if err != nil {
		return trust.SecretKey{}, err
	}
	sk, err := trust.ParseSecretKey(text, "")
	if errors.Is(err, trust.ErrNeedPassword) {
		password, perr := readPassword()
		if perr != nil {
			return trust.SecretKey{}, perr
		}
		sk, err = trust.ParseSecretKey(text, password)
	}
	if err != nil {
		return trust.SecretKey{}, fmt.Errorf("%s: %w", path, err)
	}
	return sk, nil
}

// fleetCommand implements `axle fleet ...`.
func fleetCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, fleetUsage)
		fs, _ := fleetFlags("", "", stderr)
		fs.PrintDefaults()
		return 2
	}
	ctx, stop := signalContext()
	defer stop()
	var err error
	sub := args[0]
	switch sub {
	case "devices":
		err = fleetDevices(ctx, args[1:], stdout, stderr)
	case "cmd":
		err = fleetCmd(ctx, args[1:], stdout, stderr)
	case "deploy":
		err = fleetDeploy(ctx, args[1:], stdout, stderr)
	case "rollout":
		if len(args) < 2 {
			err = modelUsageError{"rollout needs status, resume or abort"}
			break
		}
		sub = "rollout " + args[1]
		err = fleetRollout(ctx, args[1], args[2:], stdout, stderr)
	case "watch":
		err = fleetWatch(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "axle fleet: unknown subcommand %q\n\n%s", sub, fleetUsage)
		return 2
	}
	return exitStatus("axle fleet "+sub, err, stderr)
}

// fleetFlags is a flag set with the connection flags.
func fleetFlags(name, synopsis string, stderr io.Writer) (*flag.FlagSet, *fleetConn) {
	fs := flag.NewFlagSet("axle fleet "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fc := &fleetConn{}
	fc.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: axle fleet %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs, fc
}

// parseFleet parses flags anywhere among the arguments and loads --config.
func parseFleet(fs *flag.FlagSet, fc *fleetConn, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, modelUsageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return pos, fc.load(set)
}

func fleetDevices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, fc := fleetFlags("devices", "devices [--group G]", stderr)
	group := fs.String("group", "", "only the devices of this group")
	timeout := fs.Duration("timeout", 3*time.Second, "how long group members may take to answer the membership ping")
	pos, err := parseFleet(fs, fc, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return modelUsageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	c, err := fc.dial(ctx, *group != "", false)
	if err != nil {
		return err
	}
	defer c.Close()
	members, err := c.Members(ctx, *group, *timeout)
	if err != nil {
		return err
	}
	st := c.Statuses()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tSTATE\tLAST SEEN\tAGENT\tMODELS\tBACKLOG")
	for _, id := range members {
		s, ok := st[id]
		if !ok {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\n", id)
			continue
		}
		var models []string
		for _, m := range s.Models {
			x := m.Name + " " + m.Version
			if m.State != "" {
				x += " (" + m.State + ")"
			}
			if sh := m.Shadow; sh != nil {
				x += fmt.Sprintf(" [shadow %s: %d windows, agreement %.3f]", sh.Version, sh.Windows, sh.Agreement)
			}
			models = append(models, x)
		}
		backlog := "-"
		if s.Backlog != nil {
			backlog = fmt.Sprint(*s.Backlog)
		}
		state := s.State
		if s.Storage != "" {
			state += " (storage: " + s.Storage + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", id, state, s.TS.Local().Format(time.DateTime), dash(s.Agent), dash(strings.Join(models, ", ")), backlog)
	}
	return tw.Flush()
}

func fleetCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, fc := fleetFlags("cmd", "cmd (DEVICE... | --group G | --all) VERB [ARGS-JSON]", stderr)
	group := fs.String("group", "", "send to this group's topic")
	all := fs.Bool("all", false, "send to every device")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the results")
	pos, err := parseFleet(fs, fc, args)
	if err != nil {
		return err
	}
	// The last argument is the args when it is a JSON object; the one
	// before it the verb; the rest devices.
	var raw json.RawMessage
	if n := len(pos); n > 0 && strings.HasPrefix(strings.TrimSpace(pos[n-1]), "{") {
		raw = json.RawMessage(pos[n-1])
		if !json.Valid(raw) {
			return modelUsageError{fmt.Sprintf("ARGS-JSON %q is not valid JSON", pos[n-1])}
		}
		pos = pos[:n-1]
	}
	if len(pos) == 0 {
		return modelUsageError{"VERB is missing"}
	}
	verb, devices := pos[len(pos)-1], pos[:len(pos)-1]
	t := operator.Target{Devices: devices, Group: *group, All: *all}
	c, err := fc.dial(ctx, true, false)
	if err != nil {
		return err
	}
	defer c.Close()
	out, err := c.Command(ctx, t, verb, raw, *timeout)
	if err != nil {
		return err
	}
	failed := 0
	for _, id := range slices.Sorted(maps.Keys(out.Results)) {
		r := out.Results[id]
		line := id + "\t" + r.Status
		if r.Error != "" {
			line += "\t" + r.Error
		}
		if len(r.Result) > 0 {
			b, _ := json.Marshal(r.Result)
			line += "\t" + string(b)
		}
		fmt.Fprintln(stdout, line)
		if r.Status != fleet.ResultDone {
			failed++
		}
	}
	if len(out.Missing) > 0 {
		fmt.Fprintf(stdout, "no answer within %v: %s\n", *timeout, strings.Join(out.Missing, " "))
	}
	if failed > 0 || len(out.Missing) > 0 {
		return fmt.Errorf("command %s: %d of %d devices failed, %d did not answer", out.Command.ID, failed, len(out.Expected), len(out.Missing))
	}
	if len(out.Results) == 0 {
		return fmt.Errorf("command %s: no device answered within %v", out.Command.ID, *timeout)
	}
	return nil
}

// rolloutFlags are the policy flags of deploy.
type rolloutFlags struct {
	waves, maxFailed                     *string
	soak, resultTimeout, lostAfter, tick *time.Duration
}

func fleetDeploy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, fc := fleetFlags("deploy", "deploy BUNDLE (--group G | --all) [--waves 5%,25%,100%] [--soak 10m] [--max-failed 2%] [--shadow 30m ...]", stderr)
	group := fs.String("group", "", "roll out to this group")
	all := fs.Bool("all", false, "roll out to every device with a status that is not offline")
	id := fs.String("id", "", "rollout id (default <model>-<version>-<UTC time>)")
	rf := rolloutFlags{
		waves:         fs.String("waves", "5%,25%,100%", "cumulative wave sizes"),
		maxFailed:     fs.String("max-failed", "2%", "share of a wave that may fail or not answer before the rollout aborts"),
		soak:          fs.Duration("soak", 10*time.Minute, "how long each wave is watched before the next"),
		resultTimeout: fs.Duration("result-timeout", 10*time.Minute, "how long a wave's devices may take to fetch, verify and swap"),
		lostAfter:     fs.Duration("lost-after", 0, "count a changed device lost after this long without a message (0: only an offline status counts)"),
		tick:          fs.Duration("tick", time.Second, "how often deadlines and silence are checked"),
	}
	shadow := fs.Duration("shadow", 0, "run each wave's candidate in shadow beside the champion for this long, then promote the devices that meet the criteria (0: no shadow phase)")
	minAgreement := fs.Float64("min-agreement", 0.95, "with --shadow: least share of windows where candidate and champion agree on the alert state")
	maxP95 := fs.String("max-p95-diff", "", "with --shadow: largest p95 absolute score difference, and no non-finite candidate score (default: not checked)")
	minWindows := fs.Int64("min-windows", 100, "with --shadow: least windows compared on a device")
	timeout := fs.Duration("timeout", 3*time.Second, "how long group members may take to answer the membership ping")
	pos, err := parseFleet(fs, fc, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return modelUsageError{"give exactly one BUNDLE"}
	}
	var sp *rollout.ShadowPolicy
	if *shadow > 0 {
		sp = &rollout.ShadowPolicy{Duration: rollout.Duration(*shadow), MinWindows: *minWindows, MinAgreement: *minAgreement}
		if *maxP95 != "" {
			v, err := strconv.ParseFloat(*maxP95, 64)
			if err != nil || !(v >= 0) || math.IsInf(v, 0) {
				return modelUsageError{fmt.Sprintf("--max-p95-diff %q: want a finite number >= 0", *maxP95)}
			}
			sp.MaxP95Diff = &v
		}
		if *minWindows < 1 {
			return modelUsageError{fmt.Sprintf("--min-windows %d: want at least 1", *minWindows)}
		}
		if !(*minAgreement >= 0 && *minAgreement <= 1) {
			return modelUsageError{fmt.Sprintf("--min-agreement %g: want 0 to 1", *minAgreement)}
		}
	} else if *shadow < 0 {
		return modelUsageError{"--shadow must not be negative"}
	}
	if (*group == "") == !*all {
		return modelUsageError{"give --group G or --all"}
	}
	waves, err := rollout.ParseWaves(*rf.waves)
	if err != nil {
		return modelUsageError{err.Error()}
	}
	maxFailed, err := rollout.ParsePercent(*rf.maxFailed)
	if err != nil {
		return modelUsageError{"--max-failed: " + err.Error()}
	}
	b, f, err := openBundle(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	if b.Signature == nil {
		return fmt.Errorf("%s is not signed; agents refuse it: sign it with axle model sign", pos[0])
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, st.Size())); err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	bd := rollout.Bundle{Model: b.Manifest.Name, Version: b.Manifest.Version, SHA256: sum, Size: st.Size()}
	if *id == "" {
		*id = sanitizeID(fmt.Sprintf("%s-%s-%s", bd.Model, bd.Version, time.Now().UTC().Format("20060102T150405Z")))
	}
	c, err := fc.dial(ctx, true, false)
	if err != nil {
		return err
	}
	defer c.Close()
	members, err := c.Members(ctx, *group, *timeout)
	if err != nil {
		return err
	}
	statuses := c.Statuses()
	var devices []string
	for _, d := range members {
		if s, ok := statuses[d]; ok && s.State == fleet.StateOffline {
			fmt.Fprintf(stdout, "skipping %s: offline since %s\n", d, s.TS.Local().Format(time.DateTime))
			continue
		}
		devices = append(devices, d)
	}
	if len(devices) == 0 {
		return errors.New("no device to roll out to")
	}
	meta, published, err := c.EnsureArtifact(ctx, sum, f, st.Size(), artifact.PublishOptions{Name: bd.Model, Kind: "model", Version: bd.Version})
	if err != nil {
		return err
	}
	if published {
		fmt.Fprintf(stdout, "published %s %s to the broker: %d bytes in %d chunks, sha256 %s\n", bd.Model, bd.Version, meta.Size, meta.Chunks, sum)
	} else {
		fmt.Fprintf(stdout, "the broker holds %s %s already (sha256 %s)\n", bd.Model, bd.Version, sum)
	}
	fmt.Fprintf(stdout, "rollout %s: %s %s to %d devices in waves %s (resume with: axle fleet rollout resume %s)\n", *id, bd.Model, bd.Version, len(devices), *rf.waves, *id)
	p := rollout.Policy{MaxFailed: maxFailed / 100, Soak: rollout.Duration(*rf.soak), ResultTimeout: rollout.Duration(*rf.resultTimeout),
		LostAfter: rollout.Duration(*rf.lostAfter), Shadow: sp}
	if sp != nil {
		fmt.Fprintf(stdout, "each wave scores in shadow for %v first; promoted when %s\n", *shadow, criteriaText(sp))
	}
	s, err := c.Deploy(ctx, *id, bd, devices, waves, p, progressTo(stdout, *rf.tick))
	return rolloutEnd(stdout, s, err)
}

func sanitizeID(s string) string {
	return strings.Map(func(r rune) rune {
		if fleet.ValidID(string(r)) != nil {
			return '_'
		}
		return r
	}, s)
}

func progressTo(w io.Writer, tick time.Duration) operator.RolloutOptions {
	return operator.RolloutOptions{Tick: tick, Progress: func(line string) {
		fmt.Fprintf(w, "%s %s\n", time.Now().Format(time.TimeOnly), line)
	}}
}

// rolloutEnd names the devices left behind and turns the end of a
// rollout into the command's error: aborted is an error, completed is not,
// even with failures the policy allowed.
func rolloutEnd(w io.Writer, s *rollout.State, err error) error {
	if err != nil {
		return err
	}
	printDeviceErrors(w, s)
	if s.Phase == rollout.PhaseAborted {
		return fmt.Errorf("rollout %s aborted: %s", s.ID, s.Reason)
	}
	return nil
}

func fleetRollout(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) error {
	fs, fc := fleetFlags("rollout "+verb, "rollout status|resume|abort ID", stderr)
	reason := fs.String("reason", "aborted by the operator", "why (abort)")
	tick := fs.Duration("tick", time.Second, "how often deadlines and silence are checked")
	pos, err := parseFleet(fs, fc, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return modelUsageError{"give exactly one rollout ID"}
	}
	id := pos[0]
	switch verb {
	case "status", "resume", "abort":
	default:
		return modelUsageError{fmt.Sprintf("unknown rollout subcommand %q: use status, resume or abort", verb)}
	}
	c, err := fc.dial(ctx, verb != "status", false)
	if err != nil {
		return err
	}
	defer c.Close()
	switch verb {
	case "status":
		s, err := c.LoadRollout(ctx, id)
		if err != nil {
			return err
		}
		printRollout(stdout, s)
		return nil
	case "resume":
		s, err := c.Resume(ctx, id, progressTo(stdout, *tick))
		return rolloutEnd(stdout, s, err)
	default:
		s, err := c.Abort(ctx, id, *reason, progressTo(stdout, *tick))
		if err != nil {
			return err
		}
		printRollout(stdout, s)
		var stuck []string
		for _, d := range slices.Sorted(maps.Keys(s.Devices)) {
			if st := s.Devices[d].State; st == rollout.DeviceRollbackFailed || st == rollout.DeviceDiscardFailed {
				stuck = append(stuck, d)
			}
		}
		if len(stuck) > 0 {
			return fmt.Errorf("rollout %s aborted, but %d devices may still run or shadow %s: %s", id, len(stuck), s.Bundle.Version, listFew(stuck))
		}
		return nil
	}
}

// printDeviceErrors lists the devices with an error, one per line.
func printDeviceErrors(w io.Writer, s *rollout.State) {
	for _, id := range slices.Sorted(maps.Keys(s.Devices)) {
		if d := s.Devices[id]; d.Error != "" {
			fmt.Fprintf(w, "  %s (wave %d) %s: %s\n", id, d.Wave+1, d.State, d.Error)
		}
	}
}

// listFew joins up to 20 names.
func listFew(names []string) string {
	if len(names) <= 20 {
		return strings.Join(names, " ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:20], " "), len(names)-20)
}

// criteriaText says when a shadow candidate is promoted.
func criteriaText(sp *rollout.ShadowPolicy) string {
	t := fmt.Sprintf("at least %d windows compared with agreement >= %g", sp.MinWindows, sp.MinAgreement)
	if sp.MaxP95Diff != nil {
		t += fmt.Sprintf(", p95 |score difference| <= %g and no non-finite score", *sp.MaxP95Diff)
	}
	return t
}

func printRollout(w io.Writer, s *rollout.State) {
	fmt.Fprintf(w, "rollout %s: %s %s (sha256 %s, %d bytes)\n", s.ID, s.Bundle.Model, s.Bundle.Version, s.Bundle.SHA256, s.Bundle.Size)
	if sp := s.Policy.Shadow; sp != nil {
		fmt.Fprintf(w, "shadow %v per wave, promoted when %s\n", time.Duration(sp.Duration), criteriaText(sp))
	}
	fmt.Fprintf(w, "phase %s, started %s, updated %s\n", s.Phase, s.StartedAt.Local().Format(time.DateTime), s.UpdatedAt.Local().Format(time.DateTime))
	if s.Reason != "" {
		fmt.Fprintf(w, "reason: %s\n", s.Reason)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WAVE\tSIZE\tDEVICES\tPHASE\tSTATES")
	for i, wv := range s.Waves {
		var parts []string
		counts := s.Counts(i)
		for _, st := range slices.Sorted(maps.Keys(counts)) {
			parts = append(parts, fmt.Sprintf("%s %d", st, counts[st]))
		}
		fmt.Fprintf(tw, "%d\t%g%%\t%d\t%s\t%s\n", i+1, wv.Percent, len(wv.Devices), wv.Phase, strings.Join(parts, ", "))
	}
	tw.Flush()
	printDeviceErrors(w, s)
	if s.Policy.Shadow == nil {
		return
	}
	// The figures of the current wave's devices (and of every device that
	// failed the criteria, listed above).
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := false
	for _, id := range slices.Sorted(maps.Keys(s.Devices)) {
		d := s.Devices[id]
		if d.Shadow == nil || (d.Wave != s.Wave && d.Shadow.Verdict != "fail") {
			continue
		}
		if !header {
			fmt.Fprintln(tw, "DEVICE\tWAVE\tWINDOWS\tAGREEMENT\tMEAN |DIFF|\tP95 |DIFF|\tNON-FINITE\tVERDICT\tREPORTED")
			header = true
		}
		f := d.Shadow
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.4f\t%.4g\t%.4g\t%d\t%s\t%s\n", id, d.Wave+1, f.Windows, f.Agreement, f.MeanDiff, f.P95Diff,
			f.NonFinite, dash(f.Verdict), f.At.Local().Format(time.TimeOnly))
	}
	tw.Flush()
}

func fleetWatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, fc := fleetFlags("watch", "watch [--group G]", stderr)
	group := fs.String("group", "", "only the devices of this group")
	timeout := fs.Duration("timeout", 3*time.Second, "how long group members may take to answer the membership ping")
	pos, err := parseFleet(fs, fc, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return modelUsageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	c, err := fc.dial(ctx, *group != "", true)
	if err != nil {
		return err
	}
	defer c.Close()
	var only map[string]bool
	if *group != "" {
		members, err := c.Members(ctx, *group, *timeout)
		if err != nil {
			return err
		}
		only = map[string]bool{}
		for _, m := range members {
			only[m] = true
		}
	}
	lines := make(chan string, 1024)
	stop := c.Listen(func(m operator.Msg) {
		if m.Retained || (only != nil && !only[m.Device]) {
			return
		}
		if l := watchLine(m); l != "" {
			select {
			case lines <- l:
			default: // a terminal slower than the fleet: drop, never block the reader
			}
		}
	})
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case l := <-lines:
			fmt.Fprintln(stdout, l)
		}
	}
}

// watchLine formats one live message, or "" for what watch does not show.
func watchLine(m operator.Msg) string {
	ts := m.At.Local().Format(time.TimeOnly)
	switch m.Kind {
	case "scores", "shadow":
		var s fleet.Score
		if json.Unmarshal(m.Payload, &s) != nil {
			return ""
		}
		val := s.Label
		if s.Score != nil {
			val = fmt.Sprintf("%.4g", *s.Score)
		}
		mark := ""
		if s.Alert != "" && s.Alert != fleet.AlertOK {
			mark = "  ALERT " + strings.ToUpper(s.Alert)
		}
		if m.Kind == "shadow" {
			// A candidate in shadow raises no alert: say what it would do.
			return fmt.Sprintf("%s %s shadow %s %s %s%s", ts, m.Device, s.Model, s.Version, val, strings.Replace(mark, "ALERT", "would alert", 1))
		}
		return fmt.Sprintf("%s %s score %s %s %s%s", ts, m.Device, s.Model, s.Version, val, mark)
	case "events":
		var e fleet.Event
		if json.Unmarshal(m.Payload, &e) != nil {
			return ""
		}
		return fmt.Sprintf("%s %s event %s %s: %s", ts, m.Device, e.Kind, e.Severity, e.Message)
	case "status":
		var s fleet.Status
		if json.Unmarshal(m.Payload, &s) != nil {
			return ""
		}
		return fmt.Sprintf("%s %s status %s %s", ts, m.Device, s.State, s.Reason)
	}
	return ""
}
