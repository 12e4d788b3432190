package artifact

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/axle-edge/axle/agent/uplink"
)

// session is one uplink client subscribed to a fixed set of topics. The
// broker sends the retained message of every topic right after the SUBACK,
// and again after every reconnection (uplink subscribes anew), so a new
// session is how chunks are requested again.
type session struct {
	cl     *uplink.Client
	cancel context.CancelFunc
	done   chan struct{}
}

func startSession(ctx context.Context, tmpl uplink.Config, topics []string, buffer int) (*session, error) {
	cfg := tmpl
	cfg.Subscribe = topics
	cfg.MessageBuffer = buffer
	cfg.CleanSession = true // a new session must not receive chunks queued for an earlier one
	cl, err := uplink.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("artifact: mqtt: %w", err)
	}
	rctx, cancel := context.WithCancel(ctx)
	s := &session{cl: cl, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		_ = cl.Run(rctx) // returns only when rctx ends
	}()
	return s, nil
}

func (s *session) stop() {
	s.cancel()
	<-s.done
	s.cl.Close()
}

func defaultPrefix(p string) string {
	if p == "" {
		return "axle"
	}
	return p
}

func fetchMQTT(ctx context.Context, src Source, want Want, o Options) (string, error) {
	prefix := defaultPrefix(src.Prefix)
	m, err := fetchMeta(ctx, src.MQTT, prefix, want.SHA256, o.MetaTimeout)
	if err != nil {
		return "", err
	}
	if m.SHA256 != want.SHA256 {
		return "", fmt.Errorf("artifact: meta: sha256 %s, the command says %s", m.SHA256, want.SHA256)
	}
	if m.Size != want.Size {
		return "", fmt.Errorf("artifact: meta: size %d, the command says %d", m.Size, want.Size)
	}
	p, err := openPart(o.Dir, m)
	if err != nil {
		return "", err
	}
	defer p.close()
	pr := Progress{Total: m.Size, Chunks: m.Chunks}
	report := func() {
		if o.Progress != nil {
			pr.Done, pr.ChunksDone = p.bytes, p.ndone
			o.Progress(pr)
		}
	}
	report()
	empty := 0 // requests in a row that brought nothing
	for missing := p.missing(); len(missing) > 0; missing = p.missing() {
		batch := missing[:min(len(missing), o.Window)]
		got, err := requestChunks(ctx, src.MQTT, prefix, p, batch, o.ChunkTimeout, &pr, report)
		if err != nil {
			return "", err
		}
		if got > 0 {
			empty = 0
			continue
		}
		if empty++; empty >= o.Requests {
			return "", fmt.Errorf("artifact: chunk %d: not received after %d requests of %v each", batch[0], o.Requests, o.ChunkTimeout)
		}
	}
	return p.finish()
}

// fetchMeta waits for the retained meta of sha.
func fetchMeta(ctx context.Context, tmpl uplink.Config, prefix, sha string, timeout time.Duration) (Meta, error) {
	topic := metaTopic(prefix, sha)
	s, err := startSession(ctx, tmpl, []string{topic}, 4)
	if err != nil {
		return Meta{}, err
	}
	defer s.stop()
	if err := s.cl.WaitConnected(ctx); err != nil {
		return Meta{}, fmt.Errorf("artifact: meta: %w", err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return Meta{}, fmt.Errorf("artifact: meta: %w", ctx.Err())
		case <-t.C:
			if !s.cl.Connected() {
				t.Reset(timeout) // the wait counts only while subscribed
				continue
			}
			return Meta{}, fmt.Errorf("artifact: meta: nothing retained on %s after %v", topic, timeout)
		case msg := <-s.cl.Messages():
			if msg.Topic != topic || len(msg.Payload) == 0 {
				continue // an empty payload is a deletion seen live
			}
			return DecodeMeta(msg.Payload)
		}
	}
}

// requestChunks subscribes to the chunks in want and stores those that
// arrive until all are in or none came for timeout while connected. It
// returns how many new chunks were verified.
func requestChunks(ctx context.Context, tmpl uplink.Config, prefix string, p *part, want []int, timeout time.Duration, pr *Progress, report func()) (int, error) {
	topics := make([]string, len(want))
	wanted := make(map[int]bool, len(want))
	for i, n := range want {
		topics[i] = chunkTopic(prefix, p.sha, n)
		wanted[n] = true
	}
	// Room for every requested chunk plus a few duplicates, so nothing is
	// dropped unless a reconnection replays many at once.
	s, err := startSession(ctx, tmpl, topics, len(want)+4)
	if err != nil {
		return 0, err
	}
	defer s.stop()
	base := prefix + "/artifacts/" + p.sha + "/"
	got := 0
	t := time.NewTimer(timeout)
	defer t.Stop()
	conn := s.cl.Connection()
	for got < len(want) {
		select {
		case <-ctx.Done():
			return got, fmt.Errorf("artifact: chunk %d: %w", firstMissing(p, want), ctx.Err())
		case <-t.C:
			if c := s.cl.Connection(); !s.cl.Connected() || c != conn {
				conn = c // not subscribed, or subscribed anew: wait afresh
				t.Reset(timeout)
				continue
			}
			return got, nil
		case msg := <-s.cl.Messages():
			pr.Received++
			n, err := strconv.Atoi(strings.TrimPrefix(msg.Topic, base))
			if err != nil || !strings.HasPrefix(msg.Topic, base) || !wanted[n] || p.done[n] {
				continue // a duplicate after a reconnection
			}
			if err := p.put(n, msg.Payload); err != nil {
				return got, err
			}
			got++
			report()
			t.Reset(timeout) // Go ≥1.23 timers: no stale fire to drain
		}
	}
	return got, nil
}

func firstMissing(p *part, want []int) int {
	for _, n := range want {
		if !p.done[n] {
			return n
		}
	}
	return want[0]
}
