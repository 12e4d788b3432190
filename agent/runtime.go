package agent

import (
	"strings"
	"sync"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/models"
)

// RuntimeTable loads a model with the runtime and delegate it asks for,
// falling back to the pure-Go runtime (models/runtimes.Table).
type RuntimeTable interface {
	Load(data []byte, c models.Choice, opts models.Options) (models.Model, models.Used, error)
}

// fallbackLog remembers the fallbacks already logged, so that a model
// retried or reloaded with the same outcome is logged once.
type fallbackLog struct {
	mu   sync.Mutex
	seen map[[2]string]bool
}

// maxFallbacksRemembered bounds the memory of fallbackLog: past it the
// log starts afresh (a reason then shows once more).
const maxFallbacksRemembered = 256

// first reports whether (model, why) is new, and remembers it.
func (f *fallbackLog) first(model, why string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := [2]string{model, why}
	if f.seen[k] {
		return false
	}
	if f.seen == nil || len(f.seen) >= maxFallbacksRemembered {
		f.seen = map[[2]string]bool{}
	}
	f.seen[k] = true
	return true
}

// runtimeAsked names the runtime mc is loaded with, for errors.
func (a *Agent) runtimeAsked(mc config.Model) string {
	if a.opts.Runtimes == nil {
		return a.opts.Runtime.Name()
	}
	if mc.Runtime == "" {
		return models.RuntimeGo
	}
	return mc.Runtime
}

// loadRuntime loads data for mc with the runtime and delegate mc asks for
// (Options.Runtimes), or with Options.Runtime when no table is set. A
// fallback is logged once per model and reason.
func (a *Agent) loadRuntime(mc config.Model, data []byte) (models.Model, models.Used, error) {
	opts := models.Options{Threads: mc.Threads}
	if a.opts.Runtimes == nil {
		m, err := a.opts.Runtime.Load(data, opts)
		return m, models.Used{Runtime: a.opts.Runtime.Name(), Delegate: models.DelegateNone}, err
	}
	m, used, err := a.opts.Runtimes.Load(data, models.Choice{Runtime: mc.Runtime, Delegate: mc.Delegate}, opts)
	if err == nil && used.Fallback != "" && a.fallbacks.first(mc.Name, used.Fallback) {
		a.log.Warn("model runs on a fallback runtime", "model", mc.Name, "version", mc.Version,
			"runtime", used.Runtime, "delegate", used.Delegate, "reason", used.Fallback)
	}
	return m, used, err
}

// runtimeUsed is the runtime and delegate the slot's model runs on; zero
// before a model is in.
func (r *runner) runtimeUsed() models.Used {
	if lm := r.obs.pub.Load(); lm != nil {
		return lm.used
	}
	return models.Used{}
}

// runtimeMetrics adds, for the metrics topic and /metrics, which runtime
// and delegate the model uses (a 1 under
// model_<name>_runtime_<runtime>_delegate_<delegate>) and whether that is
// a fallback.
func (r *runner) runtimeMetrics(v map[string]float64, pre string) {
	u := r.runtimeUsed()
	if u.Runtime == "" {
		return
	}
	del := u.Delegate
	if strings.HasPrefix(del, models.DelegateExternal) {
		del = "external" // the path and options are in the status
	}
	v[pre+"runtime_"+u.Runtime+"_delegate_"+del] = 1
	v[pre+"runtime_fallback"] = 0
	if u.Fallback != "" {
		v[pre+"runtime_fallback"] = 1
	}
}
