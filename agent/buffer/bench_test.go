package buffer

import (
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"
)

const benchTopic = "axle/pump-0042/scores/vib"

// benchOpts never reaches the byte bound, so only appending is measured.
var benchOpts = Options{MaxBytes: 1 << 40}

func benchRecords(n int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{Class: ClassScore, Topic: benchTopic, Payload: make([]byte, 200)}
	}
	return recs
}

func reportRate(b *testing.B, records int, path string) {
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	if path != "" && records > 0 {
		b.ReportMetric(float64(fileSize(path))/float64(records), "disk-B/record")
	}
}

// Raw bbolt on the same machine: 1000 puts of 200-byte values per fsynced
// transaction, sequential 8-byte keys. The outbox budget is 1/3 of this.
func BenchmarkRawBbolt(b *testing.B) {
	path := filepath.Join(b.TempDir(), "raw.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	val := make([]byte, 200)
	var seq uint64
	b.SetBytes(200)
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(1000, b.N-done)
		err := db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			for range n {
				seq++
				var k [8]byte
				binary.BigEndian.PutUint64(k[:], seq)
				if err := bk.Put(k[:], val); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		done += n
	}
	b.StopTimer()
	reportRate(b, b.N, path)
}

// Durable appends from one caller at batch sizes 1, 64 and 1024.
func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1, 64, 1024} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "outbox.db")
			o, err := Open(path, benchOpts)
			if err != nil {
				b.Fatal(err)
			}
			defer o.Close()
			recs := benchRecords(batch)
			ctx := context.Background()
			b.SetBytes(200)
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; {
				n := min(batch, b.N-done)
				if err := o.Append(ctx, recs[:n]); err != nil {
					b.Fatal(err)
				}
				done += n
			}
			b.StopTimer()
			reportRate(b, b.N, path)
			b.ReportMetric(float64(b.N)/float64(o.Stats().Commits), "records/commit")
		})
	}
}

// Many callers appending one record each: group commit shares the fsyncs.
func BenchmarkAppendConcurrent(b *testing.B) {
	for _, callers := range []int{16, 128} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "outbox.db")
			o, err := Open(path, benchOpts)
			if err != nil {
				b.Fatal(err)
			}
			defer o.Close()
			ctx := context.Background()
			var failed atomic.Value
			b.SetBytes(200)
			b.SetParallelism((callers + 1) / 2) // GOMAXPROCS is 2 here
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				recs := benchRecords(1)
				for pb.Next() {
					if err := o.Append(ctx, recs); err != nil {
						failed.Store(err)
						return
					}
				}
			})
			b.StopTimer()
			if err := failed.Load(); err != nil {
				b.Fatal(err)
			}
			reportRate(b, b.N, path)
			b.ReportMetric(float64(b.N)/float64(o.Stats().Commits), "records/commit")
		})
	}
}

// The sender's loop on a backlog: Peek 1000 with a reused dst, Ack them.
func BenchmarkDrain(b *testing.B) {
	path := filepath.Join(b.TempDir(), "outbox.db")
	o, err := Open(path, benchOpts)
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	ctx := context.Background()
	recs := benchRecords(1024)
	for stored := 0; stored < b.N; stored += len(recs) {
		if err := o.Append(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
	var dst []Record
	seqs := make([]uint64, 0, 1000)
	b.SetBytes(200)
	b.ReportAllocs()
	b.ResetTimer()
	var after uint64
	for done := 0; done < b.N; {
		if dst, err = o.Peek(ClassScore, after, min(1000, b.N-done), dst); err != nil {
			b.Fatal(err)
		}
		seqs = seqs[:0]
		for _, r := range dst {
			seqs = append(seqs, r.Seq)
		}
		if err := o.Ack(seqs...); err != nil {
			b.Fatal(err)
		}
		after = dst[len(dst)-1].Seq
		done += len(dst)
	}
	b.StopTimer()
	reportRate(b, b.N, "")
}

// Peek alone: 1000 records into a reused dst.
func BenchmarkPeek(b *testing.B) {
	o, err := Open(filepath.Join(b.TempDir(), "outbox.db"), Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	if err := o.Append(context.Background(), benchRecords(1000)); err != nil {
		b.Fatal(err)
	}
	var dst []Record
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if dst, err = o.Peek(ClassScore, 0, 1000, dst); err != nil || len(dst) != 1000 {
			b.Fatal(len(dst), err)
		}
	}
	b.StopTimer()
	reportRate(b, b.N*1000, "")
}

// Open reads back and checks every record: the cost of a restart with a
// 100,000-record backlog.
func BenchmarkOpen100k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "outbox.db")
	o, err := Open(path, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	for range 100 {
		if err := o.Append(context.Background(), benchRecords(1000)); err != nil {
			b.Fatal(err)
		}
	}
	if err := o.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		o, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := o.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
