package main

// Retraining without Python: axle model train-baseline and axle model evaluate.

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/axle-edge/axle/agent/capture"
	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/internal/atomicfile"
	"github.com/axle-edge/axle/models/bundle"
	"github.com/axle-edge/axle/models/train"
	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/replay"
	"github.com/axle-edge/axle/sensors/sim"
)

// isTrainCommand says whether `axle model <name>` is a retraining tool.
func isTrainCommand(name string) bool {
	return name == "train-baseline" || name == "evaluate"
}

const trainSourceHelp = `Data (one source):
  --from-captures DIR      capture files of an agent (STATE_DIR/captures); their
                           raw windows are turned into features
  --sensor-config CFG.yaml --sensor NAME [--from-replay FILE] [--after DUR] [--until DUR]
                           a sim or replay sensor of an agent config, read as fast
                           as it computes; --from-replay replaces a replay
                           sensor's file; --after/--until bound the data time
                           since the first sample
`

// trainCommand runs `axle model train-baseline|evaluate`; it returns the
// exit status: 0 success, 1 failure, 2 usage error.
func trainCommand(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signalContext()
	defer stop()
	var err error
	switch args[0] {
	case "train-baseline":
		err = trainBaseline(ctx, args[1:], stdout, stderr)
	case "evaluate":
		err = trainEvaluate(ctx, args[1:], stdout, stderr)
	}
	return exitStatus("axle model "+args[0], err, stderr)
}

// source is where windows come from.
type source struct {
	captures   string
	config     string
	sensor     string
	replayFile string
	after      time.Duration
	until      time.Duration
	maxWindows int
}

func (s *source) flags(fs *flag.FlagSet) {
	fs.StringVar(&s.captures, "from-captures", "", "capture `directory` (STATE_DIR/captures)")
	fs.StringVar(&s.config, "sensor-config", "", "agent config `file` naming the sensor")
	fs.StringVar(&s.sensor, "sensor", "", "sensor `name` in --sensor-config (default: its only sensor)")
	fs.StringVar(&s.replayFile, "from-replay", "", "recording `file` replacing the replay sensor's options.file")
	fs.DurationVar(&s.after, "after", 0, "skip windows that start before this data time since the first sample")
	fs.DurationVar(&s.until, "until", 0, "stop at windows that end after this data time since the first sample (0: to the end)")
	fs.IntVar(&s.maxWindows, "max-windows", 0, "stop after this many windows (0: no limit)")
}

func (s *source) check() error {
	switch {
	case s.captures != "" && s.config != "":
		return modelUsageError{"give --from-captures or --sensor-config, not both"}
	case s.captures == "" && s.config == "":
		return modelUsageError{"no data: give --from-captures DIR or --sensor-config CFG.yaml"}
	case s.captures != "" && (s.sensor != "" || s.replayFile != ""):
		return modelUsageError{"--sensor and --from-replay go with --sensor-config"}
	case s.after < 0 || s.until < 0 || s.maxWindows < 0:
		return modelUsageError{"--after, --until and --max-windows must not be negative"}
	case s.until != 0 && s.until <= s.after:
		return modelUsageError{fmt.Sprintf("--until %s is not after --after %s", s.until, s.after)}
	}
	return nil
}

// item is one window with the labels of the capture it came from, or
// (from a sensor) its start in data time since the first sample.
type item struct {
	train.Window
	labels []string
	offset time.Duration
}

// read returns the windows of in (its Channels filled in from the source
// when empty) whose capture passes keep (captures only), and the SHA-256
// of the data they came from: the capture files used, in ID order; the
// replay file; or, for the simulator, the features themselves.
func (s *source) read(ctx context.Context, in *bundle.Input, keep func(labels []string) bool, stderr io.Writer) ([]item, string, error) {
	if s.captures != "" {
		return s.readCaptures(in, keep, stderr)
	}
	return s.readSensor(ctx, in)
}

func (s *source) readSensor(ctx context.Context, in *bundle.Input) ([]item, string, error) {
	cfg, err := config.Load(s.config)
	if err != nil {
		return nil, "", err
	}
	var sc *config.Sensor
	for i := range cfg.Sensors {
		if cfg.Sensors[i].Name == s.sensor || (s.sensor == "" && len(cfg.Sensors) == 1) {
			sc = &cfg.Sensors[i]
		}
	}
	if sc == nil {
		if s.sensor == "" {
			return nil, "", modelUsageError{fmt.Sprintf("%s has %d sensors: name one with --sensor", s.config, len(cfg.Sensors))}
		}
		return nil, "", fmt.Errorf("%s: no sensor named %q", s.config, s.sensor)
	}
	spec := sc.Spec()
	var (
		r        train.Reader
		rate     float64
		dataFile string
	)
	switch spec.Driver {
	case "sim":
		if s.replayFile != "" {
			return nil, "", modelUsageError{fmt.Sprintf("--from-replay: sensor %q is a simulator, not a replay", spec.Name)}
		}
		c, err := sim.ConfigFromSpec(spec)
		if err != nil {
			return nil, "", fmt.Errorf("sensor %q: %w", spec.Name, err)
		}
		if s.until == 0 && s.maxWindows == 0 {
			return nil, "", modelUsageError{"the simulator never ends: give --until or --max-windows"}
		}
		c.Realtime, c.Start = false, time.Unix(0, 0).UTC()
		m, err := sim.New(c)
		if err != nil {
			return nil, "", fmt.Errorf("sensor %q: %w", spec.Name, err)
		}
		defer m.Close()
		r, rate = m, c.Rate
	case "replay":
		c, err := replay.ConfigFromSpec(spec)
		if err != nil {
			return nil, "", fmt.Errorf("sensor %q: %w", spec.Name, err)
		}
		if s.replayFile != "" {
			c.File = s.replayFile
		}
		if c.Rate <= 0 {
			return nil, "", fmt.Errorf("sensor %q: training needs a fixed sample rate (the sensor's rate), not a time column", spec.Name)
		}
		c.Realtime, c.Loop = false, false
		if c.Start.IsZero() {
			c.Start = time.Unix(0, 0).UTC()
		}
		p, err := replay.New(c)
		if err != nil {
			return nil, "", fmt.Errorf("sensor %q: %w", spec.Name, err)
		}
		defer p.Close()
		r, rate, dataFile = p, c.Rate, c.File
	default:
		return nil, "", fmt.Errorf("sensor %q: driver %q: training reads only the sim and replay drivers (record other sensors with captures)", spec.Name, spec.Driver)
	}
	if len(in.Channels) == 0 {
		for _, c := range r.Channels() {
			in.Channels = append(in.Channels, c.Name)
		}
	}
	names := make([]string, 0, len(r.Channels()))
	for _, c := range r.Channels() {
		names = append(names, c.Name)
	}
	e, err := train.NewExtractor(*in, names, rate)
	if err != nil {
		return nil, "", err
	}
	var out []item
	smp := sensors.Sample{Values: make([]float64, len(names))}
	var first time.Time
	for s.maxWindows == 0 || len(out) < s.maxWindows {
		if err := r.Read(ctx, &smp); err != nil {
			if errors.Is(err, sensors.ErrEnd) {
				break
			}
			return nil, "", fmt.Errorf("sensor %q: %w", spec.Name, err)
		}
		if first.IsZero() {
			first = smp.Time
		}
		w, err := e.Push(&smp)
		if err != nil {
			return nil, "", err
		}
		if w == nil {
			continue
		}
		if s.until != 0 && w.End.Sub(first) > s.until {
			break
		}
		if off := w.Start.Sub(first); off >= s.after {
			out = append(out, item{Window: *w, offset: off})
		}
	}
	h := sha256.New()
	if dataFile != "" {
		f, err := os.Open(dataFile)
		if err != nil {
			return nil, "", err
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			return nil, "", fmt.Errorf("hash %s: %w", dataFile, err)
		}
	} else {
		for _, it := range out {
			hashFloats(h, it.Features)
		}
	}
	return out, hex.EncodeToString(h.Sum(nil)), nil
}

func hashFloats(h hash.Hash, x []float64) {
	var b [8]byte
	for _, v := range x {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		h.Write(b[:])
	}
}

// readCaptures reads the capture files of s.captures directly (read-only,
// so it is safe beside a running agent), oldest first. A corrupt file is
// reported and skipped; a capture without a raw window is skipped.
func (s *source) readCaptures(in *bundle.Input, keep func(labels []string) bool, stderr io.Writer) ([]item, string, error) {
	ents, err := os.ReadDir(s.captures)
	if err != nil {
		return nil, "", err
	}
	h := sha256.New()
	var out []item
	var noRaw int
	for _, ent := range ents {
		if !ent.Type().IsRegular() || !strings.HasSuffix(ent.Name(), ".cap") {
			continue
		}
		path := filepath.Join(s.captures, ent.Name())
		data, err := readLimited(path, capture.MaxFileSize)
		if err != nil {
			return nil, "", err
		}
		c, err := capture.Decode(data)
		if err != nil {
			fmt.Fprintf(stderr, "skipping %s: %v\n", path, err)
			continue
		}
		if !keep(c.Labels) {
			continue
		}
		if len(c.Window) == 0 {
			noRaw++
			continue
		}
		if len(in.Channels) == 0 {
			in.Channels = slices.Clone(c.Channels)
		}
		e, err := train.NewExtractor(*in, c.Channels, c.SampleRate)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		smp := sensors.Sample{Values: make([]float64, len(c.Channels))}
		before := len(out)
		for i := range c.Samples {
			smp.Time = c.Start.Add(time.Duration(float64(i) / c.SampleRate * float64(time.Second)))
			smp.Valid = true
			for ch := range c.Window {
				v := float64(c.Window[ch][i])
				smp.Values[ch] = v
				if math.IsNaN(v) {
					smp.Valid = false
				}
			}
			w, err := e.Push(&smp)
			if err != nil {
				return nil, "", fmt.Errorf("%s: %w", path, err)
			}
			if w != nil {
				out = append(out, item{Window: *w, labels: c.Labels})
			}
		}
		if len(out) > before {
			h.Write(data)
		}
	}
	if noRaw > 0 {
		fmt.Fprintf(stderr, "skipped %d captures without a raw window\n", noRaw)
	}
	return out, hex.EncodeToString(h.Sum(nil)), nil
}

func trainBaseline(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := modelFlags("train-baseline", "train-baseline (--from-captures DIR [--label healthy] | --sensor-config CFG.yaml [--sensor NAME] [--from-replay FILE]) --name NAME --version V [--parent V] [--far 0.001] -o OUT.axb", stderr)
	var src source
	src.flags(fs)
	label := fs.String("label", "healthy", "with --from-captures: train on captures carrying this label")
	name := fs.String("name", "", "model name (required)")
	ver := fs.String("version", "", "model version (required)")
	parent := fs.String("parent", "", "version this one replaces (lineage)")
	commit := fs.String("code-commit", "", "code commit of this training run (lineage)")
	run := fs.String("training-run", "", "training run id (lineage)")
	desc := fs.String("description", "", "model description")
	channels := fs.String("channels", "", "comma-separated channels (default: all of the source)")
	features := fs.String("features", "rms,peak,kurtosis", "comma-separated features per channel (see models/preprocess)")
	window := fs.Duration("window", time.Second, "window length")
	hop := fs.Duration("hop", 0, "hop between windows (default: the window)")
	components := fs.Int("components", train.DefaultComponents, "principal components")
	far := fs.Float64("far", train.DefaultFAR, "target false-alarm rate per window of the alarm threshold")
	warnFAR := fs.Float64("warn-far", 0, "false-alarm rate of the warn threshold (default: 10 × far, at most 0.5)")
	bins := fs.Int("bins", train.DefaultBins, "bins of the baseline histograms")
	out := fs.String("o", "", "bundle file to write (required)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: axle model train-baseline SOURCE --name NAME --version V -o OUT.axb [flags]\n\n"+
			"Fits the baseline anomaly model (PCA reconstruction error of window features, the\n"+
			"demo model's method) on healthy windows and writes an unsigned bundle with\n"+
			"thresholds from --far, baselines, test vectors and lineage; sign it with\n"+
			"`axle model sign`.\n\n%s\nflags:\n", trainSourceHelp)
		fs.PrintDefaults()
	}
	pos, err := modelParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return modelUsageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	if *name == "" || *ver == "" || *out == "" {
		return modelUsageError{"want --name, --version and -o"}
	}
	if err := src.check(); err != nil {
		return err
	}
	if *hop == 0 {
		*hop = *window
	}
	in := bundle.Input{Channels: splitList(*channels), Features: splitList(*features),
		Window: bundle.Duration(*window), Hop: bundle.Duration(*hop)}
	items, sum, err := src.read(ctx, &in, func(labels []string) bool { return slices.Contains(labels, *label) }, stderr)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return fmt.Errorf("no windows to train on: no data labelled %q, or every recording is shorter than the %s window", *label, *window)
	}
	rows := make([][]float64, len(items))
	for i, it := range items {
		rows[i] = it.Features
	}
	res, err := train.Fit(ctx, train.Config{
		Name: *name, Version: *ver, Description: *desc, Input: in,
		Components: *components, FAR: *far, WarnFAR: *warnFAR, Bins: *bins,
		Lineage: bundle.Lineage{Parent: *parent, DatasetSHA256: sum, CodeCommit: *commit, TrainingRun: *run},
	}, rows)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*out, 0o644, "", res.Pack); err != nil {
		return err
	}
	th := res.Manifest.Output.Thresholds
	fmt.Fprintf(stdout, "wrote %s: %s %s, %d healthy windows (%d held out), warn %.4g, alarm %.4g, dataset sha256 %s\n",
		*out, *name, *ver, len(rows), int(res.Manifest.Lineage.Metrics["holdout_windows"]), th.Warn, th.Alarm, sum)
	return nil
}

// timeRanges is a repeatable flag of data-time ranges "FROM-TO" or "FROM-".
type timeRanges [][2]time.Duration

func (r *timeRanges) String() string { return fmt.Sprint(*r) }

func (r *timeRanges) Set(v string) error {
	from, to, ok := strings.Cut(v, "-")
	if !ok {
		return fmt.Errorf("%q: want FROM-TO or FROM- as durations, e.g. 0s-10m", v)
	}
	f, err := time.ParseDuration(from)
	if err != nil {
		return fmt.Errorf("%q: from: %w", v, err)
	}
	t := time.Duration(math.MaxInt64)
	if to != "" {
		if t, err = time.ParseDuration(to); err != nil {
			return fmt.Errorf("%q: to: %w", v, err)
		}
	}
	if f < 0 || t <= f {
		return fmt.Errorf("%q: want 0 <= FROM < TO", v)
	}
	*r = append(*r, [2]time.Duration{f, t})
	return nil
}

func (r timeRanges) contains(start, end time.Duration) bool {
	for _, x := range r {
		if start >= x[0] && end <= x[1] {
			return true
		}
	}
	return false
}

func trainEvaluate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := modelFlags("evaluate", "evaluate BUNDLE [CAPTURES_DIR] [flags]", stderr)
	var src source
	src.flags(fs)
	healthyLabel := fs.String("healthy-label", "healthy", "with captures: the label of negative (healthy) windows; captures with any other label are positive, unlabelled ones are skipped")
	var healthy, faulty timeRanges
	fs.Var(&healthy, "healthy", "with --sensor-config: data-time `range` FROM-TO (or FROM-) of healthy windows; repeatable")
	fs.Var(&faulty, "faulty", "with --sensor-config: data-time `range` of faulty windows; repeatable")
	threshold := fs.Float64("threshold", 0, "score threshold (default: the bundle's alarm threshold)")
	asJSON := fs.Bool("json", false, "print the metrics as JSON")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: axle model evaluate BUNDLE CAPTURES_DIR [--healthy-label healthy]\n"+
			"       axle model evaluate BUNDLE --sensor-config CFG.yaml [--sensor NAME] [--from-replay FILE] --healthy 0s-10m --faulty 20m-\n\n"+
			"Scores labelled windows with the bundle's model (pure-Go runtime) and prints\n"+
			"precision, recall and F1 at the alarm threshold and ROC AUC. Windows are\n"+
			"positive when faulty. A window belongs to a range when it lies inside it.\n\nflags:\n")
		fs.PrintDefaults()
	}
	pos, err := modelParse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 2 && src.captures == "":
		src.captures = pos[1]
	case len(pos) != 1:
		return modelUsageError{"want BUNDLE and either CAPTURES_DIR or --sensor-config"}
	}
	if err := src.check(); err != nil {
		return err
	}
	if src.config != "" && (len(healthy) == 0 || len(faulty) == 0) {
		return modelUsageError{"with --sensor-config give --healthy and --faulty ranges"}
	}
	b, f, err := openBundle(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	m := b.Manifest
	if m.Output.Kind != bundle.OutputScore || m.Output.Index != 0 {
		return fmt.Errorf("%s: output kind %q index %d: evaluate reads score models (output 0)", pos[0], m.Output.Kind, m.Output.Index)
	}
	if *threshold == 0 {
		if m.Output.Thresholds == nil || m.Output.Thresholds.Alarm == 0 {
			return modelUsageError{fmt.Sprintf("%s has no alarm threshold: give --threshold", pos[0])}
		}
		*threshold = m.Output.Thresholds.Alarm
	}
	model, err := b.ReadMember(m.Model)
	if err != nil {
		return err
	}
	in := m.Input
	items, _, err := src.read(ctx, &in, func(labels []string) bool { return len(labels) > 0 }, stderr)
	if err != nil {
		return err
	}
	var rows [][]float64
	var positive []bool
	for _, it := range items {
		if src.captures != "" {
			rows, positive = append(rows, it.Features), append(positive, slices.ContainsFunc(it.labels, func(l string) bool { return l != *healthyLabel }))
			continue
		}
		start, end := it.offset, it.offset+it.End.Sub(it.Start)
		switch {
		case faulty.contains(start, end):
			rows, positive = append(rows, it.Features), append(positive, true)
		case healthy.contains(start, end):
			rows, positive = append(rows, it.Features), append(positive, false)
		}
	}
	scores, err := train.Score(ctx, model, rows)
	if err != nil {
		return err
	}
	ev, err := train.Evaluate(scores, positive, *threshold)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{
			"model": m.Name, "version": m.Version, "windows": len(rows), "positive": ev.TP + ev.FN, "negative": ev.TN + ev.FP,
			"threshold": ev.Threshold, "tp": ev.TP, "fp": ev.FP, "tn": ev.TN, "fn": ev.FN,
			"precision": ev.Precision, "recall": ev.Recall, "f1": ev.F1, "roc_auc": ev.AUC,
		})
	}
	fmt.Fprintf(stdout, "model      %s %s\nwindows    %d (%d faulty, %d healthy)\nthreshold  %.6g\n"+
		"precision  %.4f\nrecall     %.4f\nf1         %.4f\nroc_auc    %.4f\ntp %d  fp %d  tn %d  fn %d\n",
		m.Name, m.Version, len(rows), ev.TP+ev.FN, ev.TN+ev.FP, ev.Threshold,
		ev.Precision, ev.Recall, ev.F1, ev.AUC, ev.TP, ev.FP, ev.TN, ev.FN)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
