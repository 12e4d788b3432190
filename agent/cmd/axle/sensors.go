package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/drivers"
	"github.com/axle-edge/axle/sensors/iio"
)

func sensorsCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, "Usage:\n  axle sensors list                        drivers in this binary and buses on this machine\n  axle sensors read NAME --config FILE [--count N]   print live samples of one configured sensor\n")
		return 2
	}
	switch args[0] {
	case "list":
		return sensorsList(stdout)
	case "read":
		return sensorsRead(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "axle sensors: unknown subcommand %q (list, read)\n", args[0])
	return 2
}

func sensorsList(stdout io.Writer) int {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DRIVER\tBUS\tCHANNELS\tDESCRIPTION")
	for _, d := range drivers.Describe() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Name, d.Bus, d.Channels, d.Description)
	}
	tw.Flush()
	fmt.Fprintln(stdout)
	printBusReport(stdout)
	printIIODevices(stdout)
	return 0
}

// needsBuses reports whether any configured sensor's driver uses a periph
// bus (I2C, SPI, 1-Wire, GPIO); the simulator, replay and IIO do not.
func needsBuses(cfg *config.Config) bool {
	kinds := map[string]string{}
	for _, d := range drivers.Describe() {
		kinds[d.Name] = d.Bus
	}
	for _, s := range cfg.Sensors {
		switch kinds[s.Driver] {
		case drivers.BusNone, drivers.BusFile, drivers.BusSysfs:
		default:
			return true
		}
	}
	return false
}

// printIIODevices lists the Linux IIO devices the iio driver can open.
func printIIODevices(w io.Writer) {
	devs, err := iio.Devices("")
	if err != nil {
		fmt.Fprintf(w, "iio devices: %v\n", err)
		return
	}
	if len(devs) == 0 {
		fmt.Fprintf(w, "iio devices: none in %s\n", iio.DefaultSysRoot)
		return
	}
	fmt.Fprintln(w, "iio devices:")
	for _, d := range devs {
		mode := "polled"
		if d.Buffered {
			mode = "polled or buffered"
		}
		fmt.Fprintf(w, "  %s (%s): %s; %s\n", d.Node, d.Name, strings.Join(d.Channels, " "), mode)
	}
}

func sensorsRead(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("axle sensors read", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "/etc/axle/axle.yaml", "configuration file naming the sensor")
	count := fs.Int("count", 0, "stop after this many samples (0: until Ctrl-C)")
	every := fs.Int("every", 0, "print every Nth sample (0: about 10 lines per second)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: axle sensors read NAME [--config FILE] [--count N] [--every N]\n\n")
		fs.PrintDefaults()
	}
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	}
	if name == "" {
		fs.Usage()
		return 2
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	var sc *config.Sensor
	for i := range cfg.Sensors {
		if cfg.Sensors[i].Name == name {
			sc = &cfg.Sensors[i]
		}
	}
	if sc == nil {
		fmt.Fprintf(stderr, "axle sensors read: no sensor %q in %s\n", name, *cfgPath)
		return 1
	}
	open, ok := drivers.All()[sc.Driver]
	if !ok {
		fmt.Fprintf(stderr, "axle sensors read: driver %q is not in this binary\n", sc.Driver)
		return 1
	}
	buses, closeBuses, err := openBuses(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "axle sensors read:", err)
		return 1
	}
	defer closeBuses()
	ctx, stop := signalContext()
	defer stop()
	s, err := open(ctx, sc.Spec(), buses)
	if err != nil {
		fmt.Fprintf(stderr, "axle sensors read: open %s: %v\n", name, err)
		return 1
	}
	defer s.Close()
	chans := s.Channels()
	header := []string{"time"}
	for _, c := range chans {
		header = append(header, fmt.Sprintf("%s[%s]", c.Name, c.Unit))
	}
	fmt.Fprintln(stdout, strings.Join(header, "\t"))
	step := *every
	if step <= 0 {
		step = max(1, int(sc.Rate/10))
	}
	n := 0
	line := func(t time.Time, vals []float64, valid bool) bool {
		n++
		if n%step == 0 || !valid {
			parts := []string{t.Format("15:04:05.000000")}
			for _, v := range vals {
				parts = append(parts, fmt.Sprintf("%.6g", v))
			}
			if !valid {
				parts = append(parts, "INVALID")
			}
			fmt.Fprintln(stdout, strings.Join(parts, "\t"))
		}
		return *count > 0 && n >= *count
	}
	errDone := fmt.Errorf("done")
	if st, ok := s.(sensors.Streamer); ok {
		err = st.Stream(ctx, func(b *sensors.Batch) error {
			for i := range b.Len() {
				if line(time.Unix(0, b.Times[i]), b.Values[i*b.Stride:(i+1)*b.Stride], b.Valid == nil || b.Valid[i]) {
					return errDone
				}
			}
			return nil
		})
	} else {
		smp := sensors.Sample{Values: make([]float64, len(chans))}
		for err == nil {
			if err = s.Read(ctx, &smp); err == nil && line(smp.Time, smp.Values, smp.Valid) {
				err = errDone
			}
		}
	}
	if err != nil && err != errDone && ctx.Err() == nil {
		fmt.Fprintf(stderr, "axle sensors read: %s: %v\n", name, err)
		return 1
	}
	return 0
}
