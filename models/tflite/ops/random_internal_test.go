package ops

import "testing"

// TestPhiloxKnownAnswers checks the generator against the Philox4x32-10
// known-answer vectors published with the Random123 library.
func TestPhiloxKnownAnswers(t *testing.T) {
	for _, c := range []struct {
		counter [4]uint32
		key     [2]uint32
		want    [4]uint32
	}{
		{[4]uint32{0, 0, 0, 0}, [2]uint32{0, 0}, [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{[4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, [2]uint32{0xffffffff, 0xffffffff}, [4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0}, [4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	} {
		p := philox{counter: c.counter, key: c.key}
		if got := p.next(); got != c.want {
			t.Errorf("counter %08x key %08x: got %08x, want %08x", c.counter, c.key, got, c.want)
		}
	}
	// The counter carries across words: all ones + 1 wraps to zero.
	p := philox{counter: [4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0}}
	p.next()
	if p.counter != [4]uint32{0, 0, 0, 1} {
		t.Errorf("counter after carry: %08x", p.counter)
	}
	p.skip(1<<32 + 5)
	if p.counter != [4]uint32{5, 1, 0, 1} {
		t.Errorf("counter after skip: %08x", p.counter)
	}
}
