package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/axle-edge/axle/agent/uplink"
)

// PublishOptions tune Publish.
type PublishOptions struct {
	// ChunkSize defaults to MaxChunkSize.
	ChunkSize int64
	// Progress, when set, is called with bytes acknowledged by the broker.
	Progress func(done, total int64)
	// Name, Kind and Version are copied into the meta for people reading it.
	Name, Kind, Version string
}

// pipeline is how many chunk publishes may await their PUBACK at once.
const pipeline = 4

// Publish hashes the size bytes of r, publishes every chunk retained at
// QoS1 and then the meta, so a meta on the broker means all chunks are
// there. It waits for the connection and republishes after a loss (a
// retained publish is idempotent) until ctx ends.
func Publish(ctx context.Context, c *uplink.Client, prefix string, r io.ReaderAt, size int64, o PublishOptions) (Meta, error) {
	prefix = defaultPrefix(prefix)
	if o.ChunkSize == 0 {
		o.ChunkSize = MaxChunkSize
	}
	if o.ChunkSize < 0 || o.ChunkSize > MaxChunkSize {
		return Meta{}, fmt.Errorf("artifact: publish: chunk size %d must be between 1 and %d", o.ChunkSize, MaxChunkSize)
	}
	if size <= 0 {
		return Meta{}, fmt.Errorf("artifact: publish: size %d must be positive", size)
	}
	m := Meta{V: 1, Size: size, ChunkSize: o.ChunkSize, Chunks: int(chunkCount(size, o.ChunkSize)),
		Name: o.Name, Kind: o.Kind, Version: o.Version, Created: time.Now().UTC().Truncate(time.Second)}
	whole := sha256.New()
	buf := make([]byte, o.ChunkSize)
	for n := range m.Chunks {
		b := buf[:m.chunkLen(n)]
		if _, err := r.ReadAt(b, int64(n)*o.ChunkSize); err != nil {
			return Meta{}, fmt.Errorf("artifact: publish: read chunk %d: %w", n, err)
		}
		whole.Write(b)
		sum := sha256.Sum256(b)
		m.ChunkSHA256 = append(m.ChunkSHA256, hex.EncodeToString(sum[:]))
	}
	m.SHA256 = hex.EncodeToString(whole.Sum(nil))
	if err := m.Validate(); err != nil {
		return Meta{}, err
	}
	js, err := json.Marshal(m)
	if err != nil {
		return Meta{}, fmt.Errorf("artifact: publish: meta: %w", err)
	}
	if len(js) > MaxMetaBytes {
		return Meta{}, fmt.Errorf("artifact: publish: meta is %d bytes, limit %d; use larger chunks", len(js), MaxMetaBytes)
	}

	payload := func(n int) ([]byte, error) {
		b := make([]byte, m.chunkLen(n)) // fresh: uplink holds it until PUBACK
		if _, err := r.ReadAt(b, int64(n)*o.ChunkSize); err != nil {
			return nil, fmt.Errorf("artifact: publish: read chunk %d: %w", n, err)
		}
		return b, nil
	}
	var acked int64
	for next := 0; next < m.Chunks; {
		// Publish up to pipeline chunks, then wait for them in order; on a
		// lost connection start again from the first one not acknowledged.
		var toks []uplink.Token
		first := next
		for ; next < m.Chunks && next-first < pipeline; next++ {
			b, err := payload(next)
			if err != nil {
				return Meta{}, err
			}
			tok, err := publishOne(ctx, c, chunkTopic(prefix, m.SHA256, next), b)
			if err != nil {
				return Meta{}, fmt.Errorf("artifact: publish: chunk %d: %w", next, err)
			}
			toks = append(toks, tok)
		}
		for i, tok := range toks {
			if err := tok.Wait(ctx); err != nil {
				if ctx.Err() != nil || !retryable(err) {
					return Meta{}, fmt.Errorf("artifact: publish: chunk %d: %w", first+i, err)
				}
				next = first + i
				break
			}
			acked += m.chunkLen(first + i)
			if o.Progress != nil {
				o.Progress(acked, size)
			}
		}
	}
	for {
		tok, err := publishOne(ctx, c, metaTopic(prefix, m.SHA256), js)
		if err == nil {
			err = tok.Wait(ctx)
		}
		if err == nil {
			return m, nil
		}
		if ctx.Err() != nil || !retryable(err) {
			return Meta{}, fmt.Errorf("artifact: publish: meta: %w", err)
		}
	}
}

func retryable(err error) bool {
	return errors.Is(err, uplink.ErrConnectionLost) || errors.Is(err, uplink.ErrNotConnected)
}

// publishOne waits for a connection and publishes payload retained at QoS1.
func publishOne(ctx context.Context, c *uplink.Client, topic string, payload []byte) (uplink.Token, error) {
	for {
		if err := c.WaitConnected(ctx); err != nil {
			return uplink.Token{}, err
		}
		tok, err := c.Publish(ctx, topic, 1, true, payload)
		if err == nil || !retryable(err) {
			return tok, err
		}
	}
}

// Delete clears the retained meta and then every chunk of m, so no fetcher
// sees a meta whose chunks are gone.
func Delete(ctx context.Context, c *uplink.Client, prefix string, m Meta) error {
	prefix = defaultPrefix(prefix)
	if !isSHA256(m.SHA256) || m.Chunks < 0 {
		return fmt.Errorf("artifact: delete: meta sha256 %q / chunks %d are not valid", clip(m.SHA256), m.Chunks)
	}
	topics := []string{metaTopic(prefix, m.SHA256)}
	for n := range m.Chunks {
		topics = append(topics, chunkTopic(prefix, m.SHA256, n))
	}
	for _, t := range topics {
		for {
			tok, err := publishOne(ctx, c, t, nil)
			if err == nil {
				err = tok.Wait(ctx)
			}
			if err == nil {
				break
			}
			if ctx.Err() != nil || !retryable(err) {
				return fmt.Errorf("artifact: delete %s: %w", t, err)
			}
		}
	}
	return nil
}

// Exists reports whether a meta for sha is retained under prefix, and
// returns it. It connects with its own client from tmpl (ClientID must be
// dedicated) and tells "absent" from "slow" without a timeout: it also
// subscribes to a probe topic and publishes to it, and the broker sends
// retained messages at SUBACK, before it handles that publish.
func Exists(ctx context.Context, tmpl uplink.Config, prefix, sha string) (Meta, bool, error) {
	prefix = defaultPrefix(prefix)
	if !isSHA256(sha) {
		return Meta{}, false, fmt.Errorf("artifact: exists: sha256 %q is not 64 lowercase hex digits", clip(sha))
	}
	mt := metaTopic(prefix, sha)
	probe := prefix + "/artifacts/probe/" + tmpl.ClientID
	s, err := startSession(ctx, tmpl, []string{mt, probe}, 8)
	if err != nil {
		return Meta{}, false, err
	}
	defer s.stop()
	for {
		if err := s.cl.WaitConnected(ctx); err != nil {
			return Meta{}, false, fmt.Errorf("artifact: exists: %w", err)
		}
		tok, err := s.cl.Publish(ctx, probe, 1, false, []byte(sha))
		if err == nil {
			err = tok.Wait(ctx)
		}
		if err == nil {
			break
		}
		if ctx.Err() != nil || !retryable(err) {
			return Meta{}, false, fmt.Errorf("artifact: exists: probe: %w", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return Meta{}, false, fmt.Errorf("artifact: exists: %w", ctx.Err())
		case msg := <-s.cl.Messages():
			switch {
			case msg.Topic == mt && len(msg.Payload) > 0:
				m, err := DecodeMeta(msg.Payload)
				if err != nil {
					return Meta{}, false, err
				}
				return m, true, nil
			case msg.Topic == probe && string(msg.Payload) == sha:
				return Meta{}, false, nil
			}
		}
	}
}
