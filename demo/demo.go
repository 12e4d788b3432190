package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/axle-edge/axle/agent"
	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/sensors/drivers"
)

// Options configure `axle demo`.
type Options struct {
	StateDir   string        // "" = a temporary directory, removed at exit
	Listen     string        // embedded broker address; default 127.0.0.1:0 (a free port)
	FaultAfter time.Duration // bearing fault starts after this much machine time; default 20s
	Seed       uint64
	Stdout     io.Writer
	Logger     *slog.Logger
	Version    string
}

// demoConfig is the demo's agent configuration: the same YAML an operator
// writes, so it goes through the same validation.
const demoConfig = `device: demo-pump
state_dir: %q
log: {level: info}
mqtt:
  broker: tcp://%s
  drain_rate: 0
metrics:
  interval: 10s
sensors:
  - name: pump
    driver: sim
    rate: %g
    options:
      seed: %d
      realtime: true
      faults:
        - {kind: bearing_outer, start: %s, ramp: 10s, severity: 1.0}
models:
  - name: %s
    version: "%s"
    file: builtin:demo
    sensor: pump
    window: %s
    channels: [%s]
    features: [%s]
    thresholds: {warn: %g, alarm: %g, raise: 2, clear: 3}
`

// Run runs the whole path on an embedded broker and a simulated pump that
// develops a bearing fault, printing one line per window, until ctx is
// cancelled.
func Run(ctx context.Context, o Options) error {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.FaultAfter == 0 {
		o.FaultAfter = 20 * time.Second
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.StateDir == "" {
		dir, err := os.MkdirTemp("", "axle-demo-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer os.RemoveAll(dir)
		o.StateDir = dir
	}
	// The broker's own chatter is not what the demo is about.
	brokerLog := slog.New(slog.NewTextHandler(io.Discard, nil))
	broker, err := StartBroker(o.Listen, brokerLog)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer broker.Close()
	_, port, _ := net.SplitHostPort(broker.Addr())

	info := demomodel.Info()
	text := fmt.Sprintf(demoConfig, o.StateDir, broker.Addr(), info.Rate, o.Seed, o.FaultAfter,
		info.Name, info.Version, info.Window, strings.Join(info.Channels, ", "), strings.Join(info.Features, ", "),
		info.Warn, info.Alarm)
	cfg, err := config.Parse("demo", []byte(text))
	if err != nil {
		return fmt.Errorf("demo: internal config: %w", err)
	}

	out := &demoConsole{w: o.Stdout, warn: info.Warn, alarm: info.Alarm}
	fmt.Fprintf(o.Stdout, "axle demo: simulated pump, bearing fault from %s, model %s v%s (warn %.3g, alarm %.3g)\n",
		o.FaultAfter, info.Name, info.Version, info.Warn, info.Alarm)
	fmt.Fprintf(o.Stdout, "embedded MQTT broker on %s; watch with: mosquitto_sub -p %s -t 'axle/#' -v\n", broker.Addr(), port)
	fmt.Fprintf(o.Stdout, "state in %s; Ctrl-C stops\n\n", o.StateDir)
	fmt.Fprintf(o.Stdout, "%-12s %-10s %-8s %s\n", "time", "score", "health", "")
	err = agent.Run(ctx, agent.Options{
		Config: cfg, Logger: o.Logger, Drivers: drivers.All(), Runtime: tflite.Runtime{},
		BuiltinModels: map[string][]byte{"demo": demomodel.TFLite()},
		Version:       o.Version, OnScore: out.score, OnEvent: out.event,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(o.Stdout, "\naxle demo stopped cleanly: pipeline drained, outbox closed")
	return nil
}

// demoConsole prints the demo's terminal lines; pipelines call it.
type demoConsole struct {
	mu          sync.Mutex
	w           io.Writer
	warn, alarm float64
}

func (c *demoConsole) score(s fleet.Score) {
	c.mu.Lock()
	defer c.mu.Unlock()
	bar := strings.Repeat("#", min(40, int(*s.Score/c.alarm*20)))
	fmt.Fprintf(c.w, "%-12s %-10.3f %-8s %s\n", s.Window.End.Local().Format("15:04:05.000"), *s.Score, s.Alert, bar)
}

func (c *demoConsole) event(e fleet.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch e.Kind {
	case fleet.EventAlert:
		if e.Data["state"] == fleet.AlertAlarm {
			fmt.Fprintf(c.w, "\n*** ALERT: %s: bearing fault suspected (score above %.3g) ***\n\n", e.Source, c.alarm)
		} else {
			fmt.Fprintf(c.w, "--- warning: %s: score above %.3g ---\n", e.Source, c.warn)
		}
	case fleet.EventAlertClear:
		fmt.Fprintf(c.w, "--- %s back to normal ---\n", e.Source)
	default:
		fmt.Fprintf(c.w, "--- %s: %s ---\n", e.Kind, e.Message)
	}
}
