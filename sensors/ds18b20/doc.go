// Package ds18b20 reads Maxim DS18B20 (and DS1822) 1-Wire thermometers.
//
// periph.io/x/devices/v3/ds18b20 waits for conversions with time.Sleep and
// no context; here the wait is on a pace.Clock and honours ctx, and the
// scratchpad is checked beyond its CRC. 1-Wire framing (reset, Match ROM,
// strong pull-up) is periph's onewire.Dev.
//
// Datasheet facts it relies on (DS18B20, Maxim 19-7487):
//
//   - Family codes: 0x28 DS18B20, 0x22 DS1822 (same scratchpad). The 64-bit
//     ROM code is family, 48-bit serial, CRC8 (x^8+x^5+x^4+1).
//   - Convert T (0x44) needs a strong pull-up within 10 µs when the device is
//     parasite-powered; conversion takes at most 93.75 / 187.5 / 375 / 750 ms
//     at 9 / 10 / 11 / 12 bits.
//   - Read Scratchpad (0xBE): 9 bytes — temperature LSB, MSB (two's
//     complement, 1/16 °C; undefined low bits below 12-bit resolution), TH,
//     TL, configuration (0 R1 R0 1 1 1 1 1), 0xFF, reserved, 0x10, CRC8.
//   - Write Scratchpad (0x4E) takes TH, TL, configuration; the resolution
//     then holds until power-off (Copy Scratchpad to EEPROM is not used).
//   - The temperature register powers up at +85 °C (0x0550).
//   - Range −55 … +125 °C.
//
// A bus that nobody answers reads all 0xFF; a short reads zeros, which fails
// the configuration-register check even though its CRC is 0.
package ds18b20
