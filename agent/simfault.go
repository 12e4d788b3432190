package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
)

// faultInjector is what a simulated sensor offers for the sim.fault verb
// (sensors/sim's Machine has it); declared here so that the daemon does not
// depend on the simulator.
type faultInjector interface {
	InjectFault(kind string, severity float64, ramp, duration time.Duration, channel string) error
}

// simFaultArgs are the arguments of sim.fault:
//
//	{"sensor":"pump","kind":"bearing_inner","severity":1,"ramp":"5s","duration":"2m","channel":""}
//
// Durations are Go duration strings; ramp, duration and channel may be left
// out.
type simFaultArgs struct {
	Sensor   string  `json:"sensor"`
	Kind     string  `json:"kind"`
	Severity float64 `json:"severity"`
	Ramp     string  `json:"ramp"`
	Duration string  `json:"duration"`
	Channel  string  `json:"channel"`
}

// errBadArgs marks arguments that do not decode: the command is rejected
// rather than failed.
var errBadArgs = errors.New("bad arguments")

// simFault injects a fault into a simulated sensor now, so that a demo or a
// test of the fleet's alerting can be driven from the backend.
func (a *Agent) simFault(raw json.RawMessage) (map[string]any, error) {
	var args simFaultArgs
	if len(raw) == 0 {
		return nil, fmt.Errorf("sim.fault: %w: args are missing", errBadArgs)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&args); err != nil {
		return nil, fmt.Errorf("sim.fault: %w: args: %v", errBadArgs, err)
	}
	var ramp, duration time.Duration
	for _, dur := range []struct {
		name, text string
		dst        *time.Duration
	}{{"ramp", args.Ramp, &ramp}, {"duration", args.Duration, &duration}} {
		if dur.text == "" {
			continue
		}
		v, err := time.ParseDuration(dur.text)
		if err != nil {
			return nil, fmt.Errorf("sim.fault: %w: args.%s: %v", errBadArgs, dur.name, err)
		}
		*dur.dst = v
	}
	var names []string
	for _, p := range a.pipes {
		names = append(names, p.spec.Name)
		if p.spec.Name != args.Sensor {
			continue
		}
		inj, ok := p.currentSensor().(faultInjector)
		if !ok {
			return nil, fmt.Errorf("sim.fault: sensor %q (driver %s) is not a simulator", args.Sensor, p.spec.Driver)
		}
		if err := inj.InjectFault(args.Kind, args.Severity, ramp, duration, args.Channel); err != nil {
			return nil, err
		}
		return map[string]any{"sensor": args.Sensor, "kind": args.Kind, "severity": args.Severity}, nil
	}
	if args.Sensor == "" {
		return nil, errors.New("sim.fault: args.sensor is missing")
	}
	return nil, fmt.Errorf("sim.fault: no sensor %q (sensors: %v)", args.Sensor, names)
}

// handleSimFault answers one sim.fault command with its final result.
func (a *Agent) handleSimFault(cmd fleet.Command) fleet.Result {
	res, err := a.simFault(cmd.Args)
	if err != nil {
		a.log.Warn("sim.fault failed", "id", cmd.ID, "err", err)
		status := fleet.ResultFailed
		if errors.Is(err, errBadArgs) {
			status = fleet.ResultRejected
		}
		return fleet.Result{ID: cmd.ID, Status: status, Error: err.Error()}
	}
	a.log.Info("simulated fault injected", "id", cmd.ID, "sensor", res["sensor"], "kind", res["kind"])
	return fleet.Result{ID: cmd.ID, Status: fleet.ResultDone, Result: res}
}
