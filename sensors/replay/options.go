package replay

import (
	"fmt"
	"math"
	"time"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/pace"
)

// Formats of a recording.
const (
	FormatCSV   = "csv"   // delimited, optional header, quoted fields
	FormatASCII = "ascii" // whitespace-separated numbers, no header, '#' comments
)

// Column maps one column of the file to a channel:
// value = raw × scale + offset, in unit.
type Column struct {
	Name string `yaml:"name"` // channel name
	// Column is a header name (csv with header) or a 0-based field index.
	Column string   `yaml:"column"`
	Unit   string   `yaml:"unit"`
	Scale  *float64 `yaml:"scale"` // default 1
	Offset float64  `yaml:"offset"`
	// Min and Max are the channel's valid range after scaling; absent
	// means no range.
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
}

// Options is the replay sensor's options block:
//
//	driver: replay
//	rate: 20480                # recorded rate; not with time_column
//	options:
//	  file: /data/ims/2003.10.22.12.06.24
//	  format: ascii
//	  columns:
//	    - {name: b1_x, column: 0, unit: m/s^2, scale: 9.80665}
//	  speed: 1
//	  loop: true
type Options struct {
	File       string        `yaml:"file"`
	Format     string        `yaml:"format"`    // csv (default) or ascii
	Delimiter  string        `yaml:"delimiter"` // csv: one character, default ","
	Header     *bool         `yaml:"header"`    // csv: first line names the columns; default true
	Columns    []Column      `yaml:"columns"`   // default: every numeric column
	TimeColumn string        `yaml:"time_column"`
	TimeFormat string        `yaml:"time_format"` // unix, unix_ms, rfc3339 (default) or a Go layout
	Speed      float64       `yaml:"speed"`       // playback speed multiplier, default 1
	Realtime   *bool         `yaml:"realtime"`    // false: as fast as taken; default true
	Loop       bool          `yaml:"loop"`        // restart at the end instead of ending
	Burst      time.Duration `yaml:"burst"`       // data time per Stream batch, default 20ms
}

// Config is a replay in Go terms; Options decode into it.
type Config struct {
	File       string
	Format     string
	Delimiter  byte
	Header     bool
	Columns    []Column
	TimeColumn string
	TimeFormat string
	Rate       float64 // samples per second of the recording; 0 with TimeColumn
	Speed      float64
	Realtime   bool
	Loop       bool
	Burst      time.Duration
	Clock      pace.Clock // nil = pace.Wall{}
	Start      time.Time  // time of the first sample; zero = Clock.Now() at the first read
}

// DefaultBurst is the data time per Stream batch.
const DefaultBurst = 20 * time.Millisecond

// ConfigFromSpec decodes a spec's options strictly.
func ConfigFromSpec(spec sensors.Spec) (Config, error) {
	var o Options
	if spec.Options != nil {
		if err := spec.Options.Decode(&o); err != nil {
			return Config{}, fmt.Errorf("replay: %w", err)
		}
	}
	cfg := Config{
		File: o.File, Format: o.Format, Header: true, Columns: o.Columns,
		TimeColumn: o.TimeColumn, TimeFormat: o.TimeFormat, Rate: spec.Rate,
		Speed: o.Speed, Realtime: true, Loop: o.Loop, Burst: o.Burst,
	}
	if cfg.Format == "" {
		cfg.Format = FormatCSV
	}
	if cfg.Format == FormatASCII {
		cfg.Header = false
	}
	if o.Header != nil {
		cfg.Header = *o.Header
	}
	if o.Realtime != nil {
		cfg.Realtime = *o.Realtime
	}
	if cfg.Speed == 0 {
		cfg.Speed = 1
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	switch len(o.Delimiter) {
	case 0:
		cfg.Delimiter = ','
	case 1:
		cfg.Delimiter = o.Delimiter[0]
	default:
		if o.Delimiter == `\t` {
			cfg.Delimiter = '\t'
			break
		}
		return cfg, fmt.Errorf("replay: option delimiter: %q is not one character", o.Delimiter)
	}
	if err := cfg.validate(); err != nil {
		return cfg, fmt.Errorf("replay: %w", err)
	}
	return cfg, nil
}

func (c *Config) validate() error {
	switch {
	case c.File == "":
		return fmt.Errorf("option file: missing")
	case c.Format != FormatCSV && c.Format != FormatASCII:
		return fmt.Errorf("option format: %q is not csv or ascii", c.Format)
	case c.Format == FormatASCII && c.Header:
		return fmt.Errorf("option header: ascii files have no header")
	case c.Delimiter == '"' || c.Delimiter == '\n' || c.Delimiter == '\r':
		return fmt.Errorf("option delimiter: %q cannot separate fields", c.Delimiter)
	case !(c.Speed > 0 && c.Speed <= 1e6):
		return fmt.Errorf("option speed: %v is outside (0, 1e6]", c.Speed)
	case c.Burst < time.Millisecond || c.Burst > time.Minute:
		return fmt.Errorf("option burst: %v is outside [1ms, 1m]", c.Burst)
	case c.TimeColumn == "" && c.TimeFormat != "":
		return fmt.Errorf("option time_format: set without time_column")
	case c.TimeColumn == "" && !(c.Rate > 0 && c.Rate <= 1e7):
		return fmt.Errorf("rate: %v must be in (0, 1e7] Hz when there is no time_column", c.Rate)
	case c.TimeColumn != "" && c.Rate != 0:
		return fmt.Errorf("rate: %v conflicts with time_column %q, which gives the times", c.Rate, c.TimeColumn)
	}
	seen := map[string]bool{}
	for i, col := range c.Columns {
		switch {
		case col.Name == "":
			return fmt.Errorf("option columns[%d].name: missing", i)
		case seen[col.Name]:
			return fmt.Errorf("option columns[%d].name: %q used twice", i, col.Name)
		case col.Column == "":
			return fmt.Errorf("option columns[%d].column: missing", i)
		case col.Scale != nil && (*col.Scale == 0 || math.IsNaN(*col.Scale) || math.IsInf(*col.Scale, 0)):
			return fmt.Errorf("option columns[%d].scale: %v must be a finite non-zero number", i, *col.Scale)
		case col.Min != nil && col.Max != nil && !(*col.Min < *col.Max):
			return fmt.Errorf("option columns[%d]: min %v is not below max %v", i, *col.Min, *col.Max)
		}
		seen[col.Name] = true
	}
	return nil
}

// Validate is the sensors.Validator of the "replay" driver: ConfigFromSpec
// already checks every option and touches nothing else.
func Validate(spec sensors.Spec) error {
	_, err := ConfigFromSpec(spec)
	return err
}
