package main

import (
	"fmt"
	"io"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/periphbus"
)

// openBuses initialises periph's host drivers only when a configured sensor
// needs a hardware bus, so the simulator and replay run anywhere. The
// returned closer releases the buses.
func openBuses(cfg *config.Config) (sensors.Buses, func(), error) {
	if !needsBuses(cfg) {
		return nil, func() {}, nil
	}
	b, err := periphbus.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("hardware buses: %w", err)
	}
	return b, func() { b.Close() }, nil
}

func printBusReport(w io.Writer) {
	r, err := periphbus.Report()
	if err != nil {
		fmt.Fprintf(w, "buses: periph host drivers could not be initialised: %v\n", err)
		return
	}
	fmt.Fprint(w, r.String())
}
