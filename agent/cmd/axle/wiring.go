package main

import (
	"fmt"
	"log/slog"

	"github.com/axle-edge/axle/agent"
	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/models/runtimes"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/sensors/drivers"
)

// This file is the one place that names the concrete model runtime, the
// sensor drivers and the builtin models the daemon runs with.

// agentOptions are the agent's options for cfg with this binary's parts.
func agentOptions(cfg *config.Config, log *slog.Logger) agent.Options {
	return agent.Options{
		Config: cfg, Logger: log, Drivers: drivers.All(), Runtime: tflite.Runtime{}, Runtimes: runtimes.Builtin(),
		BuiltinModels: map[string][]byte{"demo": demomodel.TFLite()}, Version: version,
	}
}

// checkSensors validates every sensor's driver and options without touching
// hardware. Errors name the config file, line and key.
func checkSensors(cfg *config.Config) error {
	for i := range cfg.Sensors {
		sc := &cfg.Sensors[i]
		if err := drivers.Validate(sc.Spec()); err != nil {
			key := fmt.Sprintf("sensors[%d].options", i)
			if _, ok := drivers.All()[sc.Driver]; !ok {
				key = fmt.Sprintf("sensors[%d].driver", i)
			}
			return cfg.ErrorAt(key, err)
		}
	}
	return nil
}

// checkConfig is `axle agent --check-config`: sensors as checkSensors, and
// every model loaded with the runtime the daemon uses and checked against
// its configured channels and features.
func checkConfig(cfg *config.Config) error {
	if err := checkSensors(cfg); err != nil {
		return err
	}
	return agent.CheckModels(agentOptions(cfg, slog.New(slog.DiscardHandler)))
}
