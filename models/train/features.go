package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/axle-edge/axle/models/bundle"
	"github.com/axle-edge/axle/models/preprocess"
	"github.com/axle-edge/axle/sensors"
)

// Window is one window's feature vector and its time span.
type Window struct {
	Start, End time.Time
	Features   []float64
}

// Reader is what Features reads: a sensor's channels and samples
// (sensors.Sensor satisfies it).
type Reader interface {
	Channels() []sensors.Channel
	Read(ctx context.Context, s *sensors.Sample) error
}

// Extractor turns samples into the feature vectors of a bundle input,
// exactly as the agent's pipeline does.
type Extractor struct {
	w   *preprocess.Windower
	vec []float32
}

// NewExtractor prepares the windowing of in for a source with the named
// channels at rate samples per second.
func NewExtractor(in bundle.Input, channels []string, rate float64) (*Extractor, error) {
	if _, err := featureNames(in); err != nil {
		return nil, err
	}
	if !(rate > 0) || math.IsInf(rate, 0) {
		return nil, fmt.Errorf("train: sample rate %g: want a positive rate", rate)
	}
	idx, err := preprocess.ChannelIndex(channels, in.Channels)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	win := int(math.Round(time.Duration(in.Window).Seconds() * rate))
	hop := int(math.Round(time.Duration(in.Hop).Seconds() * rate))
	w, err := preprocess.New(preprocess.Spec{Channels: idx, Window: win, Hop: hop, Features: in.Features, Rate: rate})
	if err != nil {
		return nil, fmt.Errorf("train: input window %s, hop %s at %g Hz: %w",
			time.Duration(in.Window), time.Duration(in.Hop), rate, err)
	}
	return &Extractor{w: w, vec: make([]float32, w.Len())}, nil
}

// Push adds one sample; when a window is due it returns it.
func (e *Extractor) Push(s *sensors.Sample) (*Window, error) {
	ready, err := e.w.Push(s.Time.UnixNano(), s.Values, s.Valid)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if !ready {
		return nil, nil
	}
	if err := e.w.Compute(e.vec); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	start, end := e.w.Span()
	win := &Window{Start: time.Unix(0, start).UTC(), End: time.Unix(0, end).UTC(), Features: make([]float64, len(e.vec))}
	for i, v := range e.vec {
		win.Features[i] = float64(v)
	}
	return win, nil
}

// Features reads r (rate samples per second) until it ends (sensors.ErrEnd)
// or max windows are made (max <= 0: no limit) and returns the windows of in.
func Features(ctx context.Context, r Reader, rate float64, in bundle.Input, max int) ([]Window, error) {
	chans := r.Channels()
	if len(chans) == 0 {
		return nil, errors.New("train: source has no channels")
	}
	names := make([]string, len(chans))
	for i, c := range chans {
		names[i] = c.Name
	}
	e, err := NewExtractor(in, names, rate)
	if err != nil {
		return nil, err
	}
	var out []Window
	s := sensors.Sample{Values: make([]float64, len(chans))}
	for max <= 0 || len(out) < max {
		if err := r.Read(ctx, &s); err != nil {
			if errors.Is(err, sensors.ErrEnd) {
				break
			}
			return nil, fmt.Errorf("train: read: %w", err)
		}
		w, err := e.Push(&s)
		if err != nil {
			return nil, err
		}
		if w != nil {
			out = append(out, *w)
		}
	}
	return out, nil
}
