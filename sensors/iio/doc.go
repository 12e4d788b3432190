// Package iio reads any Linux Industrial I/O device: accelerometers, ADCs,
// thermometers, pressure and humidity sensors that have a kernel driver.
//
//	/sys/bus/iio/devices/iio:deviceN/
//	  name                         matched by option device (or use iio:deviceN)
//	  in_<chan>_raw                Polled: value = (raw + offset) × scale, per the
//	  in_<chan>|<type>_scale       IIO ABI (the channel's own attribute wins over
//	  in_<chan>|<type>_offset      the shared per-type one); in_<chan>_input is
//	  sampling_frequency           already processed
//	  scan_elements/ (buffer0/)    Buffered: in_<chan>_en, _index, _type
//	  buffer/ (buffer0/)           enable, length
//	  trigger/current_trigger
//	/dev/iio:deviceN               Buffered: packed scans, read as they come
//
// IIO units become SI: voltage mV → V, current mA → A, power mW → W,
// temperature m°C → °C, pressure kPa → Pa, relative humidity m% → %,
// magnetic field gauss → T; acceleration (m/s²) and angular velocity
// (rad/s) are already SI.
//
// Buffered mode enables the selected scan elements and the timestamp
// element when there is one, attaches the trigger, sets the buffer length
// and sampling frequency, enables the buffer and reads the character
// device. A scan is laid out as the kernel does it: elements in scan-index
// order, each aligned to its own size, the scan padded to its largest
// element; each element is "[be|le]:[s|u]bits/storage>>shift". Types are
// validated before they size anything, and the decoder is fuzzed. Scan
// times come from the timestamp element, else from the host clock and the
// sampling frequency. Reads wait in 100 ms slices (the device is pollable)
// so that ctx ends a stream promptly.
//
// The roots are injectable (Config.SysRoot, DevRoot) so the tests run
// against a fake tree in t.TempDir() with a FIFO standing in for the
// character device.
package iio
