// Package sensors is the contract between the agent and every source of
// samples: periph.io device drivers, Linux IIO, the machine simulator and
// file replay. It holds no hardware code.
//
// A driver registers an Opener in sensors/drivers.All(); the agent opens each
// configured sensor from its Spec and owns the goroutine that reads it.
// Low-rate sensors implement Read; high-rate sources (accelerometer FIFOs,
// IIO buffers, replay faster than real time) also implement Streamer and
// deliver bursts with a timestamp per sample.
package sensors

import (
	"context"
	"errors"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/onewire"
	"periph.io/x/conn/v3/spi"
)

// ErrEnd marks the end of a finite source's data.
var ErrEnd = errors.New("sensors: end of data")

// Channel is one measured quantity of a sensor.
type Channel struct {
	Name string // e.g. "vib_x", "bearing_temp"
	Unit string // SI unit symbol, e.g. "m/s^2", "degC", "Pa", "A", "Hz"
	// Min and Max are the physical range of the channel; values outside it
	// are marked invalid. Both zero means no range is known.
	Min, Max float64
}

// Sample is one reading of all channels of a sensor at one instant. The
// caller owns it and reuses it between reads.
type Sample struct {
	Time   time.Time
	Values []float64 // one per channel, in Channels() order
	// Valid is false when the reading must not reach a model (out of range,
	// NaN, stuck, dropout); Fault then says why.
	Valid bool
	Fault string
}

// Sensor is an opened source of samples. It is used by one goroutine.
//
// A finite source (a replay that does not loop) returns an error wrapping
// ErrEnd from Read or Stream after its last sample: the end of the data,
// not a fault. Any other error, io.EOF from a device file included, is a
// fault that the agent retries.
type Sensor interface {
	Channels() []Channel
	// Read blocks until the next sample is due and fills s (s.Values is
	// resized by the caller to len(Channels())).
	Read(ctx context.Context, s *Sample) error
	Close() error
}

// Batch is a burst of samples from a Streamer, interleaved by channel:
// Values[i*Stride+c] is channel c of sample i, taken at Times[i] (Unix ns).
// A Batch is valid only during the callback that receives it.
type Batch struct {
	Stride int
	Times  []int64
	Values []float64
	// Valid[i] reports whether sample i passed the driver's own checks.
	Valid []bool
}

// Len is the number of samples in the batch.
func (b *Batch) Len() int { return len(b.Times) }

// Streamer is implemented by high-rate sources. Stream delivers every sample
// in order, without gaps, until ctx is done (then it returns nil) or the
// source fails.
type Streamer interface {
	Sensor
	Stream(ctx context.Context, fn func(*Batch) error) error
}

// Options decodes a sensor's driver-specific options strictly: unknown keys
// and wrong types are errors that name the key and its place in the config.
type Options interface {
	Decode(v any) error
}

// Spec is one configured sensor.
type Spec struct {
	Name    string        // instance name, unique in a config
	Driver  string        // key in drivers.All()
	Rate    float64       // samples per second; 0 means the driver's default
	Timeout time.Duration // a read that takes longer is a fault; 0: driver default
	Options Options       // never nil when opened by the agent
}

// Buses gives drivers the hardware buses of the gateway. Only periphbus
// talks to periph's host drivers; tests hand in i2ctest/spitest doubles.
type Buses interface {
	I2C(name string) (i2c.Bus, error)
	SPI(name string) (spi.Port, error)
	OneWire(name string) (onewire.Bus, error)
	GPIO(name string) (gpio.PinIO, error)
}

// Opener opens a sensor from its spec.
type Opener func(ctx context.Context, spec Spec, buses Buses) (Sensor, error)

// Validator checks a spec's options as its Opener would, without touching
// hardware, buses or device files (`axle agent --check-config`).
type Validator func(spec Spec) error

// ErrNoBus is returned by Buses when the named bus does not exist here.
var ErrNoBus = errors.New("sensors: no such bus")
