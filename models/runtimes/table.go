package runtimes

import (
	"errors"
	"fmt"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite"
)

// Table holds the runtimes of a binary.
type Table struct {
	Go models.Runtime // the pure-Go interpreter; always set
	C  models.Runtime // the TFLite C library; nil in a build without -tags tflite
}

// Builtin is this binary's table: the pure-Go interpreter, and the TFLite
// C runtime when built with -tags tflite.
func Builtin() Table {
	return Table{Go: tflite.Runtime{}, C: cRuntime()}
}

// HasC reports whether the table has the TFLite C runtime.
func (t Table) HasC() bool { return t.C != nil }

// delegated is a model that knows the delegate it runs with (tflitecgo's
// Model: "auto" resolves to the delegate actually applied).
type delegated interface{ Delegate() string }

// Load loads data with the runtime and delegate c asks for, or with the
// pure-Go interpreter when those are unavailable; Used says what the model
// runs on and, when it is not what c asked for, why. An invalid c, or a
// model no runtime can load, is an error.
func (t Table) Load(data []byte, c models.Choice, opts models.Options) (models.Model, models.Used, error) {
	c, err := models.ParseChoice(c.Runtime, c.Delegate)
	if err != nil {
		return nil, models.Used{}, fmt.Errorf("runtimes: %w", err)
	}
	if t.Go == nil {
		return nil, models.Used{}, errors.New("runtimes: the table has no pure-Go runtime")
	}
	explicit := c.Runtime == models.RuntimeTFLite || (c.Delegate != models.DelegateAuto && c.Delegate != models.DelegateNone)
	if c.Runtime == models.RuntimeGo {
		return t.loadGo(data, opts, "")
	}
	if t.C == nil {
		why := ""
		if explicit {
			why = fmt.Sprintf("runtime %s with delegate %s asked for, but this binary is built without the TFLite C runtime (build with -tags tflite, see docs/delegates.md)", c.Runtime, c.Delegate)
		}
		return t.loadGo(data, opts, why)
	}
	copts := opts
	copts.Delegate = c.Delegate
	m, err := t.C.Load(data, copts)
	if err == nil {
		used := models.Used{Runtime: t.C.Name(), Delegate: c.Delegate}
		if d, ok := m.(delegated); ok {
			used.Delegate = d.Delegate()
		}
		return m, used, nil
	}
	if errors.Is(err, models.ErrUnavailable) && !explicit {
		return t.loadGo(data, opts, "") // auto without the library: as without the tag
	}
	unavailable := errors.Is(err, models.ErrDelegate) || errors.Is(err, models.ErrUnavailable)
	if !unavailable && c.Runtime == models.RuntimeTFLite {
		return nil, models.Used{}, fmt.Errorf("runtimes: %w", err)
	}
	// A library that is missing, a delegate that fails to start, or
	// (runtime auto) a model the C library refuses: the pure-Go
	// interpreter takes over.
	return t.loadGo(data, opts, fmt.Sprintf("runtime %s with delegate %s failed: %v", c.Runtime, c.Delegate, err))
}

func (t Table) loadGo(data []byte, opts models.Options, why string) (models.Model, models.Used, error) {
	opts.Delegate = ""
	m, err := t.Go.Load(data, opts)
	if err != nil {
		if why != "" {
			return nil, models.Used{}, fmt.Errorf("runtimes: falling back to the pure-Go runtime (%s): %w", why, err)
		}
		return nil, models.Used{}, err
	}
	return m, models.Used{Runtime: t.Go.Name(), Delegate: models.DelegateNone, Fallback: why}, nil
}
