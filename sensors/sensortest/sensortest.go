// Package sensortest provides scripted sensors, strict YAML options and bus
// sets for tests of code that consumes the sensors contract (the agent's
// sensor loops, the quality checker) and of drivers that need sensors.Buses.
package sensortest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/onewire"
	"periph.io/x/conn/v3/spi"

	"github.com/axle-edge/axle/sensors"
)

// ErrClosed is returned by a scripted sensor used after Close.
var ErrClosed = errors.New("sensortest: sensor closed")

// Options returns sensor options that decode the YAML text strictly, the way
// the agent decodes a sensor's options block: unknown keys and wrong types
// are errors. Empty text decodes to nothing and leaves v unchanged.
func Options(text string) sensors.Options { return yamlOptions(text) }

type yamlOptions string

func (o yamlOptions) Decode(v any) error {
	dec := yaml.NewDecoder(bytes.NewReader([]byte(o)))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("options: %w", err)
	}
	return nil
}

// Buses is a sensors.Buses over named test doubles (i2ctest.Playback,
// spitest.Playback, onewiretest.Playback, gpiotest.Pin). A missing name
// yields an error wrapping sensors.ErrNoBus.
type Buses struct {
	I2CBuses     map[string]i2c.Bus
	SPIPorts     map[string]spi.Port
	OneWireBuses map[string]onewire.Bus
	Pins         map[string]gpio.PinIO
}

// I2C returns the named I²C bus.
func (b *Buses) I2C(name string) (i2c.Bus, error) { return lookup(b.I2CBuses, "i2c", name) }

// SPI returns the named SPI port.
func (b *Buses) SPI(name string) (spi.Port, error) { return lookup(b.SPIPorts, "spi", name) }

// OneWire returns the named 1-Wire bus.
func (b *Buses) OneWire(name string) (onewire.Bus, error) {
	return lookup(b.OneWireBuses, "onewire", name)
}

// GPIO returns the named pin.
func (b *Buses) GPIO(name string) (gpio.PinIO, error) { return lookup(b.Pins, "gpio", name) }

func lookup[T any](m map[string]T, kind, name string) (T, error) {
	v, ok := m[name]
	if !ok {
		var zero T
		return zero, fmt.Errorf("sensortest: %s %q: %w", kind, name, sensors.ErrNoBus)
	}
	return v, nil
}

// Step is one scripted Read: a sample, or an error when Err is set.
type Step struct {
	Sample sensors.Sample
	Err    error
}

// Sensor replays a script of steps through Read, one step per call. After
// the script it returns Then, or blocks until ctx is done when Then is nil.
// It is safe to Close from another goroutine.
type Sensor struct {
	Chans []sensors.Channel
	Steps []Step
	Then  error

	mu     sync.Mutex
	next   int
	reads  int
	closed bool
}

// NewSensor returns a sensor that yields samples in order and then blocks.
func NewSensor(chans []sensors.Channel, samples ...sensors.Sample) *Sensor {
	s := &Sensor{Chans: chans}
	for _, smp := range samples {
		s.Steps = append(s.Steps, Step{Sample: smp})
	}
	return s
}

// Channels returns the scripted channels.
func (s *Sensor) Channels() []sensors.Channel { return s.Chans }

// Read copies the next scripted sample into smp or returns its error.
func (s *Sensor) Read(ctx context.Context, smp *sensors.Sample) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.reads++
	if s.next >= len(s.Steps) {
		then := s.Then
		s.mu.Unlock()
		if then != nil {
			return then
		}
		<-ctx.Done()
		return ctx.Err()
	}
	st := s.Steps[s.next]
	s.next++
	s.mu.Unlock()
	if st.Err != nil {
		return st.Err
	}
	smp.Time = st.Sample.Time
	smp.Values = append(smp.Values[:0], st.Sample.Values...)
	smp.Valid = st.Sample.Valid
	smp.Fault = st.Sample.Fault
	return nil
}

// Reads is the number of Read calls so far.
func (s *Sensor) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// Close marks the sensor closed.
func (s *Sensor) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// Closed reports whether Close was called.
func (s *Sensor) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Streamer replays scripted batches through Stream (and their samples one by
// one through Read). After the last batch Stream returns Then, or waits for
// ctx and returns nil when Then is nil.
type Streamer struct {
	Sensor
	Batches []sensors.Batch
}

// NewStreamer returns a streamer over the given batches.
func NewStreamer(chans []sensors.Channel, batches ...sensors.Batch) *Streamer {
	st := &Streamer{Sensor: Sensor{Chans: chans}, Batches: batches}
	for _, b := range batches {
		for i := range b.Len() {
			st.Steps = append(st.Steps, Step{Sample: sensors.Sample{
				Time:   time.Unix(0, b.Times[i]),
				Values: b.Values[i*b.Stride : (i+1)*b.Stride],
				Valid:  b.Valid == nil || b.Valid[i],
			}})
		}
	}
	return st
}

// Stream hands each batch to fn, on a copy so that fn cannot corrupt the
// script, and stops early when ctx is done.
func (s *Streamer) Stream(ctx context.Context, fn func(*sensors.Batch) error) error {
	var cp sensors.Batch
	for _, b := range s.Batches {
		if ctx.Err() != nil {
			return nil
		}
		if s.Closed() {
			return ErrClosed
		}
		cp.Stride = b.Stride
		cp.Times = append(cp.Times[:0], b.Times...)
		cp.Values = append(cp.Values[:0], b.Values...)
		cp.Valid = cp.Valid[:0]
		for i := range b.Len() {
			cp.Valid = append(cp.Valid, b.Valid == nil || b.Valid[i])
		}
		if err := fn(&cp); err != nil {
			return err
		}
	}
	if s.Then != nil {
		return s.Then
	}
	<-ctx.Done()
	return nil
}
