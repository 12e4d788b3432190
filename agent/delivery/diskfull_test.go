package delivery_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/axle-edge/axle/agent/buffer"
	"github.com/axle-edge/axle/agent/buffer/buffertest"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

// TestFullDiskDuringOutage: the network is cut, records pile up until the
// outbox's filesystem (a real 4 MiB tmpfs) is full, then the network comes
// back. Every record Append committed arrives, acks commit on the full disk,
// appends succeed again, and the engine's Run never returns. Without a
// reserve the first acks may fail: the engine retries them until space is
// freed, still without a restart.
func TestFullDiskDuringOutage(t *testing.T) {
	for _, tc := range []struct {
		name    string
		reserve int64
	}{{"reserve", 256 << 10}, {"no reserve", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := buffertest.Tmpfs(t, 4<<20)
			filler := filepath.Join(dir, "filler")
			buffertest.Fill(t, filler, 1<<20)
			r := newRig(t, rigOptions{dir: dir, outbox: buffer.Options{ReserveBytes: tc.reserve}})
			r.waitConnected()
			r.proxy.Cut()

			var err error
			for i := 0; err == nil; i++ {
				if i > 5000 {
					t.Fatal("no disk-full error after 5000 appends on 4 MiB")
				}
				class := buffer.ClassScore
				if i%10 == 0 {
					class = buffer.ClassEvent
				}
				_, err = r.add(class, 32, now)
			}
			if !errors.Is(err, buffer.ErrDiskFull) {
				t.Fatalf("append on the full filesystem: %v, want ErrDiskFull", err)
			}
			if s := r.out.Stats(); !s.DiskFull || s.DiskFullEpisodes != 1 {
				t.Fatalf("stats after ENOSPC: full %v, episodes %d", s.DiskFull, s.DiskFullEpisodes)
			}
			t.Logf("%d records committed before: %v", len(r.allAppended()), err)

			r.proxy.Restore()
			if tc.reserve < 0 {
				// Let the engine meet the full disk before space returns.
				uplinktest.WaitFor(t, wait, "an ack attempt", func() bool {
					p := r.eng.Progress()
					return p.AckFailures > 0 || p.Acked > 0
				})
				if err := os.Remove(filler); err != nil {
					t.Fatal(err)
				}
			}
			r.waitDelivered()

			// Storage works again: new records are stored and delivered.
			r.appendRecs(buffer.ClassEvent, 1, now)
			r.appendRecs(buffer.ClassScore, 32, now)
			r.waitDelivered()
			p := r.eng.Progress()
			if tc.reserve > 0 && p.AckFailures != 0 {
				t.Fatalf("%d acks failed with a reserve: %v", p.AckFailures, p.LastError)
			}
			if p.Stalls != 0 {
				t.Fatalf("the engine stalled %d times: %v", p.Stalls, p.LastError)
			}
			t.Logf("progress %+v, outbox %+v", p, r.out.Stats())
		})
	}
}
