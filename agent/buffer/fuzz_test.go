package buffer

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Stored values are read back from a file that may be damaged: decoding
// must never panic, and whatever it accepts must re-encode to the same
// bytes.
func FuzzDecodeValue(f *testing.F) {
	key := make([]byte, 8)
	binary.BigEndian.PutUint64(key, 42)
	r := Record{Topic: "axle/d/scores/m", Time: time.Unix(1700000000, 5), Payload: []byte(`{"v":1}`)}
	f.Add(uint8(ClassScore), key, appendValue(nil, ClassScore, key, &r))
	f.Add(uint8(ClassEvent), key, appendValue(nil, ClassEvent, key, &Record{Topic: "t"}))
	f.Add(uint8(ClassScore), key, []byte{})
	f.Add(uint8(ClassScore), []byte{0, 0, 0, 0, 0, 0, 0, 0}, make([]byte, recHeader))
	f.Add(uint8(7), []byte{1}, []byte("garbage value of some length"))
	f.Fuzz(func(t *testing.T, class uint8, k, v []byte) {
		if _, err := keySeq(k); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("keySeq error %v is not ErrCorrupt", err)
			}
			return
		}
		ns, topic, payload, err := decodeValue(Class(class), k, v)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decode error %v is not ErrCorrupt", err)
			}
			return
		}
		r := Record{Time: time.Unix(0, ns), Topic: string(topic), Payload: payload}
		if again := appendValue(nil, Class(class), k, &r); !bytes.Equal(again, v) {
			t.Fatalf("accepted value does not round-trip:\n got %x\nwant %x", again, v)
		}
		if _, err := appendRecord(nil, Class(class), k, v); err != nil {
			t.Fatalf("appendRecord rejected what decodeValue accepted: %v", err)
		}
	})
}

func FuzzDecodeState(f *testing.F) {
	var buf [stateLen]byte
	s := state{lastSeq: 99, count: [2]int64{1, 2}, bytes: [2]int64{3, 4}, drops: Drops{Scores: 5, Bytes: 6, OldestDropped: 7, NewestDropped: 8}}
	f.Add(append([]byte(nil), s.encode(&buf)...))
	f.Add([]byte{})
	f.Add(make([]byte, stateLen))
	f.Fuzz(func(t *testing.T, v []byte) {
		st, err := decodeState(v)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		var b [stateLen]byte
		if !bytes.Equal(st.encode(&b), v) {
			t.Fatal("accepted state does not round-trip")
		}
	})
}

// Open on arbitrary file contents: never a panic or a crash; either an
// error that leaves the file alone or a working outbox, with a damaged file
// moved aside intact. Inputs are whole database files and each run opens
// one, so minimising a new input takes long; run with a short
// -fuzzminimizetime (e.g. 2s).
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	valid := filepath.Join(dir, "seed.db")
	makeDB(f, valid, 40, time.Now)
	good, err := os.ReadFile(valid)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(good[:4096])
	f.Add([]byte("not a database"))
	flipped := bytes.Clone(good)
	flipped[len(flipped)/3] ^= 0xff
	f.Add(flipped)
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "outbox.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		o, err := Open(path, Options{NoSync: true, LockTimeout: time.Second, ReserveBytes: -1})
		if err != nil {
			if errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open returned a corruption error instead of recovering: %v", err)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
				t.Fatalf("Open failed (%v) but changed the file", err)
			}
			return
		}
		defer o.Close()
		if moved, _ := o.Recovered(); moved != "" {
			if got, _ := os.ReadFile(moved); !bytes.Equal(got, data) {
				t.Fatal("moved-aside file differs from the original")
			}
		}
		r := []Record{rec(ClassEvent, "e", "x")}
		if err := o.Append(context.Background(), r); err != nil {
			t.Fatalf("Append on the opened outbox: %v", err)
		}
		if _, err := o.Peek(ClassEvent, 0, 10, nil); err != nil {
			t.Fatalf("Peek on the opened outbox: %v", err)
		}
	})
}
