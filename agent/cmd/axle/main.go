// Command axle is the edge inference agent: one static binary with
// subcommands for the daemon, the demo, model tools and sensor tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/axle-edge/axle/agent"
	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/demo"
)

// version is stamped by the Makefile (-X main.version=...).
var version = "dev"

// exitConfig is the exit status for a configuration error (EX_CONFIG from
// sysexits.h). The systemd unit lists it in RestartPreventExitStatus, so a
// broken config stops the service instead of restart-looping it.
const exitConfig = 78

const usage = `axle — edge inference agent for industrial gateways

Usage:
  axle agent --config FILE        run the daemon (systemd runs this)
  axle agent --check-config FILE  validate a config file, load its models, exit (78 = invalid)
  axle demo [flags]               embedded broker + simulated pump + demo model
  axle model describe MODEL       inputs, outputs and ops of a .tflite file as JSON
  axle model run MODEL --in in0.bin ... --out-dir DIR
  axle model bench MODEL          time Invoke
  axle model pack|sign|verify|inspect ...   model bundles (.axb): build, sign, check, show
  axle model publish BUNDLE --broker URL   retained MQTT chunks for model.deploy
  axle model install BUNDLE       hand a bundle to the running agent (offline install)
  axle model history              the model store's audit log
  axle model train-baseline ... -o OUT.axb   fit the baseline anomaly model on healthy windows
  axle model evaluate BUNDLE DATA precision, recall, F1 and ROC AUC on labelled windows
  axle keygen [-W] -p KEY.pub -s KEY.key   minisign-compatible signing key pair
  axle cmd sign --key KEY.key CMD.json     sign a fleet command
  axle fleet devices|cmd|deploy|rollout|watch ...   operate a fleet over its MQTT broker
  axle sensors list               drivers in this binary and buses on this machine
  axle sensors read NAME --config FILE   print live samples of one configured sensor
  axle version                    print the version
  axle help                       this text

Run 'axle <command> -h' for the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "agent":
		return agentCommand(args[1:], stderr)
	case "demo":
		return demoCommand(args[1:], stdout, stderr)
	case "model":
		if len(args) > 1 && isOTACommand(args[1]) {
			return otaCommand(args[1:], stdout, stderr)
		}
		if len(args) > 1 && isTrainCommand(args[1]) {
			return trainCommand(args[1:], stdout, stderr)
		}
		if len(args) > 1 && isBundleCommand(args[1]) {
			return bundleCommand(args[1:], stdout, stderr)
		}
		return modelCommand(args[1:], stdout, stderr)
	case "cmd":
		return cmdCommand(args[1:], stdout, stderr)
	case "keygen":
		return keygenCommand(args[1:], stdout, stderr)
	case "sensors":
		return sensorsCommand(args[1:], stdout, stderr)
	case "fleet":
		return fleetCommand(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "axle %s %s/%s %s\n", version, runtime.GOOS, runtime.GOARCH, runtime.Version())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "axle: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// signalContext is cancelled by SIGINT or SIGTERM (systemd stop, Ctrl-C).
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func agentCommand(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("axle agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "/etc/axle/axle.yaml", "configuration file (YAML)")
	check := fs.String("check-config", "", "validate this configuration file, load every model and check every driver's options, then exit (0 = valid, 78 = configuration error)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: axle agent [--config FILE] | --check-config FILE\n\nRuns the daemon: sensors, models, durable outbox and MQTT uplink, until SIGTERM.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "axle agent: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *check != "" {
		cfg, err := config.Load(*check)
		if err == nil {
			err = checkConfig(cfg)
		}
		if err != nil {
			fmt.Fprintln(stderr, "axle agent: configuration error:", err)
			return exitConfig
		}
		fmt.Fprintf(stderr, "%s: valid (%d sensors, %d models loaded)\n", *check, len(cfg.Sensors), len(cfg.Models))
		return 0
	}
	cfg, err := config.Load(*cfgPath)
	if err == nil {
		err = checkSensors(cfg)
	}
	if err != nil {
		fmt.Fprintln(stderr, "axle agent: configuration error:", err)
		if code, ok := rollbackOnConfigError(*cfgPath, "", err, stderr); ok { // update.go
			return code
		}
		return exitConfig
	}
	log := newLogger(stderr, cfg.Log.Level, cfg.Log.Format)
	ctx, stop := signalContext()
	defer stop()
	opts := agentOptions(cfg, log)
	opts.OnReady = agent.NotifyReady
	upd, code, exit := bootUpdate(cfg, log) // update.go: before the agent starts
	if exit {
		return code
	}
	opts.Update = upd
	buses, closeBuses, err := openBuses(cfg)
	if err != nil {
		log.Error("hardware buses unavailable", "err", err)
		return 1
	}
	defer closeBuses()
	opts.Buses = buses
	if err := agent.Run(ctx, opts); err != nil {
		if code, ok := updateExit(err); ok {
			log.Info("exiting for the agent update", "reason", err, "exit_status", code)
			return code
		}
		log.Error("agent failed", "err", err)
		if config.IsConfigError(err) {
			return exitConfig
		}
		return 1
	}
	return 0
}

func demoCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("axle demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stateDir := fs.String("state-dir", "", "keep the outbox here (default: a temporary directory removed at exit)")
	listen := fs.String("listen", "127.0.0.1:0", "embedded MQTT broker address (port 0 picks a free port)")
	faultAfter := fs.Duration("fault-after", 0, "machine time before the bearing fault starts (default 20s)")
	seed := fs.Uint64("seed", 1, "simulator seed")
	verbose := fs.Bool("v", false, "show the agent's info-level log on stderr")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: axle demo [flags]\n\nRuns axle end to end on an embedded MQTT broker with a simulated pump that\ndevelops a bearing fault, printing one line per scored window. Ctrl-C stops.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	level := "warn"
	if *verbose {
		level = "info"
	}
	ctx, stop := signalContext()
	defer stop()
	err := demo.Run(ctx, demo.Options{
		StateDir: *stateDir, Listen: *listen, FaultAfter: *faultAfter, Seed: *seed,
		Stdout: stdout, Logger: newLogger(stderr, level, "text"), Version: version,
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "axle demo:", err)
		return 1
	}
	return 0
}
