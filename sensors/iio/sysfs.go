package iio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Default locations of the IIO sysfs tree and the buffer character devices.
const (
	DefaultSysRoot = "/sys/bus/iio/devices"
	DefaultDevRoot = "/dev"
)

// maxAttr bounds a sysfs attribute read; real ones are a few bytes.
const maxAttr = 4096

// unitOf gives, per IIO channel type, the SI unit and the factor from the
// unit of the IIO ABI (Documentation/ABI/testing/sysfs-bus-iio) after
// scale and offset.
var unitOf = map[string]struct {
	unit   string
	factor float64
}{
	"accel":            {"m/s^2", 1},
	"anglvel":          {"rad/s", 1},
	"magn":             {"T", 1e-4}, // gauss
	"voltage":          {"V", 1e-3}, // millivolts
	"current":          {"A", 1e-3}, // milliamps
	"power":            {"W", 1e-3}, // milliwatts
	"temp":             {"degC", 1e-3},
	"pressure":         {"Pa", 1e3}, // kilopascal
	"humidityrelative": {"%", 1e-3},
	"illuminance":      {"lx", 1},
	"resistance":       {"ohm", 1},
}

// chanType is the type part of a channel name: "accel" of "accel_x",
// "voltage" of "voltage0" or "voltage0-voltage1".
func chanType(name string) string {
	i := strings.IndexFunc(name, func(r rune) bool { return r == '_' || r == '-' || (r >= '0' && r <= '9') })
	if i < 0 {
		return name
	}
	return name[:i]
}

// readAttr reads a small sysfs attribute, trimmed.
func readAttr(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := make([]byte, maxAttr+1)
	n, err := f.ReadAt(buf, 0)
	if n > maxAttr {
		return "", fmt.Errorf("%s: longer than %d bytes", path, maxAttr)
	}
	if err != nil && n == 0 && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimSpace(string(buf[:n])), nil
}

func readFloat(path string) (float64, error) {
	s, err := readAttr(path)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a number", path, s)
	}
	return v, nil
}

func writeAttr(path, v string) error {
	if err := os.WriteFile(path, []byte(v), 0); err != nil {
		return err
	}
	return nil
}

// findDevice resolves "iio:device0" or a device's name attribute to its
// sysfs directory and its iio:deviceN name.
func findDevice(root, device string) (dir, node string, err error) {
	if strings.HasPrefix(device, "iio:device") {
		dir = filepath.Join(root, device)
		if _, err := os.Stat(filepath.Join(dir, "name")); err != nil {
			return "", "", fmt.Errorf("option device: %q: %w", device, err)
		}
		return dir, device, nil
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return "", "", fmt.Errorf("option device: list %s: %w", root, err)
	}
	var names []string
	var match []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "iio:device") {
			continue
		}
		n, err := readAttr(filepath.Join(root, e.Name(), "name"))
		if err != nil {
			continue
		}
		names = append(names, e.Name()+"="+n)
		if n == device {
			match = append(match, e.Name())
		}
	}
	switch len(match) {
	case 1:
		return filepath.Join(root, match[0]), match[0], nil
	case 0:
		return "", "", fmt.Errorf("option device: no IIO device named %q in %s (found: %s)", device, root, strings.Join(names, ", "))
	default:
		return "", "", fmt.Errorf("option device: %d IIO devices are named %q (%s): use iio:deviceN", len(match), device, strings.Join(match, ", "))
	}
}

// rawChannels lists the channels a device offers through in_*_raw or
// in_*_input files, sorted.
func rawChannels(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, "in_") {
			continue
		}
		for _, suf := range []string{"_raw", "_input"} {
			if strings.HasSuffix(n, suf) {
				seen[strings.TrimSuffix(strings.TrimPrefix(n, "in_"), suf)] = true
			}
		}
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// scaleOffset reads in_<name>_scale / _offset, falling back to the shared
// in_<type>_scale / _offset; absent means 1 and 0.
func scaleOffset(dir, name string) (scale, offset float64, err error) {
	typ := chanType(name)
	scale, offset = 1, 0
	for _, n := range []string{typ, name} { // the channel's own wins
		if v, err := readFloat(filepath.Join(dir, "in_"+n+"_scale")); err == nil {
			scale = v
		} else if !errors.Is(err, fs.ErrNotExist) {
			return 0, 0, err
		}
		if v, err := readFloat(filepath.Join(dir, "in_"+n+"_offset")); err == nil {
			offset = v
		} else if !errors.Is(err, fs.ErrNotExist) {
			return 0, 0, err
		}
	}
	return scale, offset, nil
}

// Device is one IIO device found in sysfs, for listing.
type Device struct {
	Node     string   // iio:deviceN
	Name     string   // the device's name attribute, e.g. "adxl345"
	Channels []string // channels with in_*_raw or in_*_input files
	Buffered bool     // has a buffer (scan elements), so it can stream
}

// Devices lists the IIO devices under sysRoot (DefaultSysRoot when empty).
// A missing directory means no IIO devices, not an error.
func Devices(sysRoot string) ([]Device, error) {
	if sysRoot == "" {
		sysRoot = DefaultSysRoot
	}
	entries, err := os.ReadDir(sysRoot)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("iio: list %s: %w", sysRoot, err)
	}
	var out []Device
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "iio:device") {
			continue
		}
		dir := filepath.Join(sysRoot, e.Name())
		name, err := readAttr(filepath.Join(dir, "name"))
		if err != nil {
			continue // not a readable device: nothing to offer
		}
		chans, err := rawChannels(dir)
		if err != nil {
			return nil, fmt.Errorf("iio: channels of %s: %w", e.Name(), err)
		}
		out = append(out, Device{Node: e.Name(), Name: name, Channels: chans,
			Buffered: exists(filepath.Join(dir, "scan_elements")) || exists(filepath.Join(dir, "buffer0"))})
	}
	return out, nil
}
