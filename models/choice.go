package models

import (
	"errors"
	"fmt"
	"strings"
)

// Runtime names a model may ask for (config key runtime, bundle manifest
// runtime.name). RuntimeGo is the pure-Go interpreter every binary has;
// RuntimeTFLite is the TensorFlow Lite C library, present only in binaries
// built with -tags tflite; RuntimeAuto takes the C library when the binary
// has it and the pure-Go interpreter otherwise.
const (
	RuntimeGo     = "go"
	RuntimeTFLite = "tflite"
	RuntimeAuto   = "auto"
)

// Delegate names (config key delegate, bundle manifest runtime.delegate).
// DelegateExternal is a prefix: "external:/path/to/libdelegate.so", with
// options as ";key=value" pairs after the path.
const (
	DelegateNone     = "none"
	DelegateXNNPack  = "xnnpack"
	DelegateEdgeTPU  = "edgetpu"
	DelegateGPU      = "gpu"
	DelegateAuto     = "auto"
	DelegateExternal = "external:"
)

// ErrDelegate marks a load that failed only because the delegate could not
// be created or applied (library missing, no device, graph refused): the
// model itself may still run elsewhere. Runtimes wrap it.
var ErrDelegate = errors.New("delegate unavailable")

// ErrUnavailable marks a load that failed because the runtime itself
// cannot run here (its library is missing): the pure-Go runtime takes
// over. Runtimes wrap it.
var ErrUnavailable = errors.New("runtime unavailable")

// Choice is the runtime and delegate a model asks for. The zero value is
// the pure-Go interpreter.
type Choice struct {
	Runtime  string // RuntimeGo, RuntimeTFLite, RuntimeAuto; "" is RuntimeGo
	Delegate string // a Delegate name, external:PATH[;k=v...]; "" is auto
}

// Used is the runtime and delegate a loaded model actually runs on.
type Used struct {
	Runtime  string // Name of the Runtime in use: "tflite-go" (pure Go) or "tflite-c"
	Delegate string // DelegateNone or the delegate in use
	// Fallback says why the requested runtime or delegate is not the one
	// in use; empty when the model runs on what it asked for.
	Fallback string
}

// ParseChoice validates a runtime and a delegate name as written in a
// config file or manifest and returns them with defaults filled in.
func ParseChoice(runtime, delegate string) (Choice, error) {
	c := Choice{Runtime: runtime, Delegate: delegate}
	if c.Runtime == "" {
		c.Runtime = RuntimeGo
	}
	if c.Delegate == "" {
		c.Delegate = DelegateAuto
	}
	switch c.Runtime {
	case RuntimeGo, RuntimeTFLite, RuntimeAuto:
	default:
		return Choice{}, fmt.Errorf("runtime %q: want go, tflite or auto", runtime)
	}
	if err := checkDelegate(c.Delegate); err != nil {
		return Choice{}, err
	}
	if c.Runtime == RuntimeGo && c.Delegate != DelegateAuto && c.Delegate != DelegateNone {
		return Choice{}, fmt.Errorf("delegate %q needs runtime tflite or auto: the pure-Go runtime has no delegates", delegate)
	}
	return c, nil
}

func checkDelegate(d string) error {
	switch d {
	case DelegateNone, DelegateXNNPack, DelegateEdgeTPU, DelegateGPU, DelegateAuto:
		return nil
	}
	if strings.HasPrefix(d, DelegateExternal) {
		_, _, err := ParseExternal(d)
		return err
	}
	return fmt.Errorf("delegate %q: want none, xnnpack, edgetpu, gpu, auto or external:PATH", d)
}

// maxExternalOptions bounds the key=value pairs of an external delegate
// (TFLite's own external delegate takes at most 256).
const maxExternalOptions = 64

// ParseExternal splits "external:/lib/x.so;key=value;key2=value2" into the
// library path and its options, in order.
func ParseExternal(d string) (path string, opts [][2]string, err error) {
	rest, ok := strings.CutPrefix(d, DelegateExternal)
	if !ok {
		return "", nil, fmt.Errorf("delegate %q: not external:PATH", d)
	}
	parts := strings.Split(rest, ";")
	path = parts[0]
	if !strings.HasPrefix(path, "/") {
		return "", nil, fmt.Errorf("delegate %q: the external delegate library must be an absolute path", d)
	}
	if len(parts)-1 > maxExternalOptions {
		return "", nil, fmt.Errorf("delegate %q: %d options, limit %d", d, len(parts)-1, maxExternalOptions)
	}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return "", nil, fmt.Errorf("delegate %q: option %q: want key=value", d, p)
		}
		opts = append(opts, [2]string{k, v})
	}
	return path, opts, nil
}
