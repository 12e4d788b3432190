package capture

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"strconv"
	"time"
)

// Limits of the file format. They are checked before anything is
// allocated, so a damaged length field cannot make a reader allocate more.
const (
	// MaxFileSize bounds one capture file.
	MaxFileSize = 64 << 20
	// MaxHeaderBytes bounds the JSON header of one capture.
	MaxHeaderBytes = 256 << 10
	// MaxChannels bounds the channels of a raw window.
	MaxChannels = 1024
	// MaxString bounds each name, label and metadata key or value.
	MaxString = 256
	// MaxLabels bounds the labels of one capture.
	MaxLabels = 64
	// MaxMeta bounds the metadata entries of one capture.
	MaxMeta = 64
)

const (
	magic      = "AXCP"
	version    = 1
	prefixLen  = 20
	trailerLen = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt marks a capture file that fails its checksum or structure.
var ErrCorrupt = errors.New("capture: corrupt file")

// Trigger is why a capture was taken.
type Trigger string

// The triggers a Store knows.
const (
	TriggerAlert     Trigger = "alert"     // an alert event
	TriggerDrift     Trigger = "drift"     // a drift event
	TriggerUncertain Trigger = "uncertain" // score inside an UncertaintyBand
	TriggerSample    Trigger = "sample"    // random sample (Sampler)
	TriggerCommand   Trigger = "command"   // the capture command
)

// Triggers lists every Trigger in a fixed order (a new slice each call).
func Triggers() []Trigger {
	return []Trigger{TriggerAlert, TriggerDrift, TriggerUncertain, TriggerSample, TriggerCommand}
}

// Valid reports whether t is one of Triggers.
func (t Trigger) Valid() bool { return slices.Contains(Triggers(), t) }

// Info is the metadata of a capture: everything but the sample data.
type Info struct {
	// ID is assigned by Store.Add; it orders captures by age.
	ID           string
	Trigger      Trigger
	Start, End   time.Time // time range of the window
	Sensor       string
	Model        string
	ModelVersion string
	// Score is the model's score; NaN when there is none (a command
	// capture before any model ran).
	Score  float64
	Labels []string
	Meta   map[string]string
	// Channels names the rows of Capture.Window; SampleRate is in Hz.
	Channels   []string
	SampleRate float64
	// Samples per channel and length of the features vector; Add derives
	// both from Capture.Window and Capture.Features.
	Samples     int
	NumFeatures int
	// Size is the file size in bytes (set by the Store).
	Size int64
}

// Capture is one piece of evidence: its Info, the raw window (one row per
// channel, each of Info.Samples values) and/or the features vector.
type Capture struct {
	Info
	Window   [][]float32
	Features []float32
}

// header is Info on disk.
type header struct {
	ID           string            `json:"id"`
	Trigger      Trigger           `json:"trigger"`
	Start        time.Time         `json:"start"`
	End          time.Time         `json:"end"`
	Sensor       string            `json:"sensor,omitempty"`
	Model        string            `json:"model,omitempty"`
	ModelVersion string            `json:"model_version,omitempty"`
	Score        *float64          `json:"score,omitempty"`
	Labels       []string          `json:"labels,omitempty"`
	Meta         map[string]string `json:"meta,omitempty"`
	Channels     []string          `json:"channels,omitempty"`
	SampleRate   float64           `json:"sample_rate,omitempty"`
	Samples      int64             `json:"samples,omitempty"`
	Features     int64             `json:"features,omitempty"`
}

// validate checks c as Add receives it (ID not yet assigned).
func (c *Capture) validate() error {
	if !c.Trigger.Valid() {
		return fmt.Errorf("capture: field \"trigger\": %q is not one of %v", clip(string(c.Trigger)), Triggers())
	}
	return c.check()
}

// check validates everything except the trigger; it is shared by the
// encoder and the decoder so both accept exactly the same captures.
func (c *Capture) check() error {
	field := func(name, format string, args ...any) error {
		return fmt.Errorf("capture: field %q: %s", name, fmt.Sprintf(format, args...))
	}
	if c.End.Before(c.Start) {
		return field("end", "%s is before start %s", c.End.Format(time.RFC3339Nano), c.Start.Format(time.RFC3339Nano))
	}
	if math.IsInf(c.Score, 0) {
		return field("score", "must be finite or NaN")
	}
	for name, s := range map[string]string{"sensor": c.Sensor, "model": c.Model, "model_version": c.ModelVersion} {
		if len(s) > MaxString {
			return field(name, "%d bytes, limit %d", len(s), MaxString)
		}
	}
	if len(c.Labels) > MaxLabels {
		return field("labels", "%d labels, limit %d", len(c.Labels), MaxLabels)
	}
	for i, l := range c.Labels {
		if l == "" || len(l) > MaxString {
			return field("labels", "[%d] must be 1 to %d bytes", i, MaxString)
		}
	}
	if len(c.Meta) > MaxMeta {
		return field("meta", "%d entries, limit %d", len(c.Meta), MaxMeta)
	}
	for k, v := range c.Meta {
		if k == "" || len(k) > MaxString || len(v) > MaxString {
			return field("meta", "key %q: keys must be 1 to %d bytes, values at most %d", clip(k), MaxString, MaxString)
		}
	}
	if len(c.Channels) > MaxChannels {
		return field("channels", "%d channels, limit %d", len(c.Channels), MaxChannels)
	}
	if len(c.Window) != len(c.Channels) {
		return field("channels", "%d names for %d window rows", len(c.Channels), len(c.Window))
	}
	for i, ch := range c.Channels {
		if ch == "" || len(ch) > MaxString {
			return field("channels", "[%d] must be 1 to %d bytes", i, MaxString)
		}
		if len(c.Window[i]) != c.Samples {
			return field("samples", "channel %q has %d samples, want %d", ch, len(c.Window[i]), c.Samples)
		}
	}
	if len(c.Channels) > 0 && (c.Samples <= 0 || !(c.SampleRate > 0) || math.IsInf(c.SampleRate, 0)) {
		return field("sample_rate", "a window needs samples > 0 and a finite sample rate > 0, got %d samples at %v Hz", c.Samples, c.SampleRate)
	}
	if len(c.Channels) == 0 && (c.Samples != 0 || c.SampleRate != 0) {
		return field("samples", "%d samples at %v Hz but no channels", c.Samples, c.SampleRate)
	}
	if len(c.Features) != c.NumFeatures {
		return field("features", "%d values, Info.NumFeatures says %d", len(c.Features), c.NumFeatures)
	}
	if len(c.Channels) == 0 && len(c.Features) == 0 {
		return errors.New("capture: a capture needs a raw window or a features vector")
	}
	if n := dataLen(int64(len(c.Channels)), int64(c.Samples), int64(len(c.Features))); n < 0 || n > MaxFileSize {
		return field("samples", "%d channels × %d samples and %d features exceed the file limit of %d bytes", len(c.Channels), c.Samples, len(c.Features), MaxFileSize)
	}
	return nil
}

// dataLen is the data section length, or -1 when it would exceed
// MaxFileSize (computed without overflow on 32-bit and 64-bit).
func dataLen(channels, samples, features int64) int64 {
	const maxVals = MaxFileSize / 4
	if channels < 0 || samples < 0 || features < 0 || features > maxVals {
		return -1
	}
	if channels > 0 && samples > (maxVals-features)/channels {
		return -1
	}
	return (channels*samples + features) * 4
}

// encode renders c (with its ID set) as a capture file.
func encode(c *Capture) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	h := header{ID: c.ID, Trigger: c.Trigger, Start: c.Start, End: c.End, Sensor: c.Sensor,
		Model: c.Model, ModelVersion: c.ModelVersion, Labels: c.Labels, Meta: c.Meta,
		Channels: c.Channels, SampleRate: c.SampleRate, Samples: int64(c.Samples), Features: int64(len(c.Features))}
	if !math.IsNaN(c.Score) {
		s := c.Score
		h.Score = &s
	}
	js, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("capture: header: %w", err)
	}
	if len(js) > MaxHeaderBytes {
		return nil, fmt.Errorf("capture: header is %d bytes, limit %d", len(js), MaxHeaderBytes)
	}
	dl := dataLen(int64(len(c.Channels)), int64(c.Samples), int64(len(c.Features)))
	total := prefixLen + int64(len(js)) + dl + trailerLen
	if total > MaxFileSize {
		return nil, fmt.Errorf("capture: file would be %d bytes, limit %d", total, MaxFileSize)
	}
	b := make([]byte, 0, total)
	b = append(b, magic...)
	b = append(b, version, 0, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(js)))
	b = binary.LittleEndian.AppendUint64(b, uint64(dl))
	b = append(b, js...)
	for _, row := range c.Window {
		for _, v := range row {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	}
	for _, v := range c.Features {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return b, nil
}

// Decode parses and verifies a capture file. Errors wrap ErrCorrupt and say
// which part is wrong.
func Decode(b []byte) (*Capture, error) {
	h, dataOff, err := decodeHeader(b)
	if err != nil {
		return nil, err
	}
	c := &Capture{Info: h}
	c.Size = int64(len(b))
	data := b[dataOff : len(b)-trailerLen]
	next := func() float32 {
		v := math.Float32frombits(binary.LittleEndian.Uint32(data))
		data = data[4:]
		return v
	}
	if len(h.Channels) > 0 {
		c.Window = make([][]float32, len(h.Channels))
		for i := range c.Window {
			row := make([]float32, h.Samples)
			for j := range row {
				row[j] = next()
			}
			c.Window[i] = row
		}
	}
	if h.NumFeatures > 0 {
		c.Features = make([]float32, h.NumFeatures)
		for i := range c.Features {
			c.Features[i] = next()
		}
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return c, nil
}

// decodeHeader verifies the checksum and structure of b and returns its
// Info (Size unset) and the offset of the data section.
func decodeHeader(b []byte) (Info, int, error) {
	bad := func(format string, args ...any) (Info, int, error) {
		return Info{}, 0, fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	if len(b) < prefixLen+trailerLen {
		return bad("%d bytes, shorter than the fixed %d-byte prefix and trailer", len(b), prefixLen+trailerLen)
	}
	if len(b) > MaxFileSize {
		return bad("%d bytes, limit %d", len(b), MaxFileSize)
	}
	if string(b[:4]) != magic {
		return bad("magic %q, want %q", b[:4], magic)
	}
	if b[4] != version {
		return bad("format version %d is not supported, want %d", b[4], version)
	}
	if b[5] != 0 || b[6] != 0 || b[7] != 0 {
		return bad("reserved bytes are not zero")
	}
	hl := int64(binary.LittleEndian.Uint32(b[8:]))
	dl := binary.LittleEndian.Uint64(b[12:])
	if hl > MaxHeaderBytes {
		return bad("header length %d, limit %d", hl, MaxHeaderBytes)
	}
	if dl > MaxFileSize {
		return bad("data length %d, limit %d", dl, MaxFileSize)
	}
	if want := prefixLen + hl + int64(dl) + trailerLen; int64(len(b)) != want {
		return bad("file is %d bytes, its lengths say %d (truncated or extended)", len(b), want)
	}
	body := b[:len(b)-trailerLen]
	if got, want := crc32.Checksum(body, castagnoli), binary.LittleEndian.Uint32(b[len(body):]); got != want {
		return bad("checksum %08x, file says %08x", got, want)
	}
	var h header
	d := json.NewDecoder(bytes.NewReader(b[prefixLen : prefixLen+hl]))
	d.DisallowUnknownFields()
	if err := d.Decode(&h); err != nil {
		return bad("header: %v", err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return bad("header: trailing data after the JSON object")
	}
	if !h.Trigger.Valid() {
		return bad("header: field \"trigger\": %q is not one of %v", clip(string(h.Trigger)), Triggers())
	}
	if _, err := parseID(h.ID); err != nil {
		return bad("header: %v", err)
	}
	if len(h.Channels) > MaxChannels {
		return bad("header: field \"channels\": %d channels, limit %d", len(h.Channels), MaxChannels)
	}
	if h.Samples > MaxFileSize/4 {
		return bad("header: field \"samples\": %d, limit %d", h.Samples, MaxFileSize/4)
	}
	if n := dataLen(int64(len(h.Channels)), h.Samples, h.Features); n != int64(dl) {
		return bad("header: %d channels × %d samples and %d features make %d data bytes, prefix says %d", len(h.Channels), h.Samples, h.Features, n, dl)
	}
	info := Info{ID: h.ID, Trigger: h.Trigger, Start: h.Start, End: h.End, Sensor: h.Sensor,
		Model: h.Model, ModelVersion: h.ModelVersion, Score: math.NaN(), Labels: h.Labels, Meta: h.Meta,
		Channels: h.Channels, SampleRate: h.SampleRate, Samples: int(h.Samples), NumFeatures: int(h.Features)}
	if h.Score != nil {
		info.Score = *h.Score
	}
	return info, prefixLen + int(hl), nil
}

// formatID and parseID map a sequence number to the capture ID (and file
// name). IDs are decimal so they sort by age and cannot hold a path.
func formatID(seq uint64) string { return fmt.Sprintf("%012d", seq) }

func parseID(id string) (uint64, error) {
	seq, err := strconv.ParseUint(id, 10, 64)
	if err != nil || formatID(seq) != id || seq == 0 {
		return 0, fmt.Errorf("capture: id %q is not a capture id (12 or more decimal digits)", clip(id))
	}
	return seq, nil
}

// clip shortens untrusted strings quoted in errors.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
