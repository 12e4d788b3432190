package agent

import (
	"errors"
	"fmt"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/models/preprocess"
)

// CheckModels loads every configured model with opts.Runtime (builtin:NAME
// from opts.BuiltinModels) and sets up its window exactly as the agent
// would, taking the configured channels as the sensor's, so that a model
// file that is missing or does not load, or an input size that does not
// match the channels and features, is found before the gateway runs it.
// Sensors are not opened. Errors name the config file, line and key
// (config.IsConfigError).
func CheckModels(opts Options) error {
	cfg := opts.Config
	if cfg == nil || opts.Runtime == nil {
		return errors.New("agent: CheckModels needs Config and Runtime")
	}
	a := &Agent{opts: opts, cfg: cfg}
	rates := map[string]float64{}
	for _, s := range cfg.Sensors {
		rates[s.Name] = s.Rate
	}
	for i, mc := range cfg.Models {
		key := fmt.Sprintf("models[%d]", i)
		r, err := a.newRunner(mc, mc.Channels, rates[mc.Sensor])
		if err != nil {
			return cfg.ErrorAt(key, err)
		}
		lm, err := a.loadModel(mc, r.win.Len())
		if err != nil {
			if errors.Is(err, preprocess.ErrInputMismatch) {
				return cfg.ErrorAt(key+inputKey(mc), err)
			}
			return cfg.ErrorAt(key+".file", err)
		}
		lm.model.Close()
	}
	return nil
}

// inputKey is the key an input size mismatch is reported at: what the
// operator most likely has to change.
func inputKey(mc config.Model) string {
	if len(mc.Features) > 0 {
		return ".features"
	}
	return ".window"
}
