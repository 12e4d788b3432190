package delivery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/axle-edge/axle/agent/buffer"
	"github.com/axle-edge/axle/agent/uplink"
)

// Publisher is what the engine needs from the MQTT connection;
// *uplink.Client satisfies it.
type Publisher interface {
	Publish(ctx context.Context, topic string, qos byte, retained bool, payload []byte) (uplink.Token, error)
	// WaitConnected returns nil once a connection is up, uplink.ErrClosed
	// when the client is closed, or the context's error.
	WaitConnected(ctx context.Context) error
	// Connection changes whenever a new connection is established.
	Connection() uint64
}

// errReconnected ends a connection's run when the link was renewed under
// it, so the new connection starts with live-first like any other.
var errReconnected = errors.New("delivery: link renewed")

// Options tune the engine. Zero values take the defaults listed.
type Options struct {
	// InFlight bounds MQTT messages awaiting PUBACK; default 100. Keep it at
	// or below the uplink's InFlight.
	InFlight int
	// DrainRate bounds the backlog in records per second; 0 = unlimited.
	// Live records are never held back by it.
	DrainRate float64
	// LiveWindow: a record older than this when it is sent is historical;
	// default 30s.
	LiveWindow time.Duration
	// LiveFirst is how many of the newest pending records per class are
	// sent, not historical, right after a connection comes up, ahead of the
	// backlog; only those younger than LiveWindow qualify. Default 64;
	// negative disables.
	LiveFirst int
	// Batch > 1 packs up to Batch consecutive records of one topic into one
	// MQTT message whose payload is a JSON array of the stamped v1 payloads.
	// Default 1: one record per message.
	Batch int
	// Now is the clock for record ages; default time.Now.
	Now func() time.Time
}

const (
	defaultInFlight   = 100
	defaultLiveWindow = 30 * time.Second
	defaultLiveFirst  = 64
	readBatch         = 256       // records per Peek
	maxBatchBytes     = 256 << 10 // payload bound of one batched message
	ackBatch          = 1024      // acks gathered before an Ack even if more could be gathered
	rateWindow        = 10 * time.Second
)

// Engine moves records from the outbox to the broker: publish, wait for the
// PUBACK, then Ack. See the package documentation for order and memory.
type Engine struct {
	out    *buffer.Outbox
	up     Publisher
	opts   Options
	notify chan struct{}

	running atomic.Bool
	floor   uint64 // boundary of the previous connection; Run's goroutine only
	// drainRate, when set, replaces opts.DrainRate (SetDrainRate).
	drainRate atomic.Pointer[float64]

	mu   sync.Mutex // guards the progress fields below
	prog progress
}

// New returns an engine reading out and publishing through up.
func New(out *buffer.Outbox, up Publisher, opts Options) *Engine {
	if opts.InFlight <= 0 {
		opts.InFlight = defaultInFlight
	}
	if opts.LiveWindow <= 0 {
		opts.LiveWindow = defaultLiveWindow
	}
	if opts.LiveFirst == 0 {
		opts.LiveFirst = defaultLiveFirst
	}
	if opts.Batch <= 0 {
		opts.Batch = 1
	}
	if opts.DrainRate < 0 {
		opts.DrainRate = 0
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Engine{out: out, up: up, opts: opts, notify: make(chan struct{}, 1)}
}

// Notify tells the engine that records were appended. It never blocks; the
// agent calls it after every successful Append.
func (e *Engine) Notify() {
	select {
	case e.notify <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done (returning nil) or the uplink is closed
// (nil too). It returns an error only when the outbox is closed under it
// (buffer.ErrClosed in the chain). Every other failure is retried inside:
// a failed Ack (a full disk) is retried with backoff by the acker while
// publishing waits for it, and a failed read ends the connection's run,
// which starts again after a backoff; Progress counts both. Call it once.
func (e *Engine) Run(ctx context.Context) error {
	if !e.running.CompareAndSwap(false, true) {
		return errors.New("delivery: Run called twice")
	}
	defer e.running.Store(false)
	a := newAcker(e)
	var wg sync.WaitGroup
	wg.Go(func() { a.run(ctx) })
	defer func() {
		close(a.reqs)
		wg.Wait()
	}()
	s := &session{e: e, ack: a}
	backoff := minBackoff
	for {
		if err := e.up.WaitConnected(ctx); err != nil {
			if ctx.Err() != nil || errors.Is(err, uplink.ErrClosed) {
				return nil
			}
			return fmt.Errorf("delivery: wait for connection: %w", err)
		}
		err := s.run(ctx)
		e.setDraining(false)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			// The link failed; everything unacknowledged is still in the
			// outbox.
			backoff = minBackoff
			continue
		}
		if s.n > 0 {
			// Ended by an error, not through finish: settle what is in
			// flight so the next run does not resend what was acked.
			if ferr := s.finish(ctx); errors.Is(ferr, buffer.ErrClosed) {
				err = ferr
			}
		}
		if errors.Is(err, buffer.ErrClosed) {
			return err
		}
		e.stalled(err)
		if !sleep(ctx, backoff) {
			return nil
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// Backoff between attempts after an outbox error (a run that failed, an
// Ack that failed): long enough not to spin on a full disk, short enough
// to notice space coming back.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// sleep waits d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// acker deletes acknowledged records from the outbox in the background, so
// that an Ack's fsync never holds up publishing. Consecutive requests are
// merged into one Ack (one commit).
type acker struct {
	e    *Engine
	reqs chan ackReq
	free chan []uint64 // emptied seq slices returned to the engine
	err  chan error    // the outbox was closed: Run ends
}

type ackReq struct {
	seqs  []uint64
	flush chan struct{} // closed once everything sent before it is acked
}

func newAcker(e *Engine) *acker {
	return &acker{e: e, reqs: make(chan ackReq, 16), free: make(chan []uint64, 17), err: make(chan error, 1)}
}

// run merges and applies acks until reqs is closed. A failed Ack is
// retried with backoff, holding the requests behind it; the session's
// handOff then blocks once reqs is full, so publishing pauses instead of
// racing ahead of a full disk. Once ctx is done each Ack is tried once:
// what fails stays in the outbox and is sent again later.
func (a *acker) run(ctx context.Context) {
	var seqs []uint64
	var flushes []chan struct{}
	take := func(r ackReq) {
		seqs = append(seqs, r.seqs...)
		if r.flush != nil {
			flushes = append(flushes, r.flush)
		}
		if r.seqs != nil {
			select {
			case a.free <- r.seqs[:0]:
			default:
			}
		}
	}
	for r := range a.reqs {
		take(r)
	more:
		for {
			select {
			case r, ok := <-a.reqs:
				if !ok {
					break more
				}
				take(r)
			default:
				break more
			}
		}
		if len(seqs) > 0 {
			a.ack(ctx, seqs)
		}
		for _, f := range flushes {
			close(f)
		}
		seqs, flushes = seqs[:0], flushes[:0]
	}
}

func (a *acker) ack(ctx context.Context, seqs []uint64) {
	backoff := minBackoff
	for {
		err := a.e.out.Ack(seqs...)
		if err == nil {
			a.e.acked(len(seqs))
			return
		}
		if errors.Is(err, buffer.ErrClosed) {
			select {
			case a.err <- fmt.Errorf("delivery: ack %d records: %w", len(seqs), err):
			default:
			}
			return
		}
		a.e.ackFailed(err)
		if !sleep(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// slice returns an empty seq slice, recycled when possible.
func (a *acker) slice() []uint64 {
	select {
	case b := <-a.free:
		return b
	default:
		return nil
	}
}

// entry is one published MQTT message awaiting its PUBACK.
type entry struct {
	tok  uplink.Token
	seqs []uint64 // reused across uses of the ring slot
	hist bool
}

// queue is a window of Peeked records; recs is reused between Peeks.
type queue struct {
	recs []buffer.Record
	i    int
}

func (q *queue) empty() bool               { return q.i >= len(q.recs) }
func (q *queue) head() *buffer.Record      { return &q.recs[q.i] }
func (q *queue) reset()                    { q.recs, q.i = q.recs[:0], 0 }
func (q *queue) fill(recs []buffer.Record) { q.recs, q.i = recs, 0 }

var classes = [2]buffer.Class{buffer.ClassEvent, buffer.ClassScore}

// session is the state of one connection. Its buffers are kept between
// connections; run resets the rest.
type session struct {
	e        *Engine
	conn     uint64 // Publisher.Connection() this run is for
	boundary uint64 // LastSeq when the connection came up

	first     [2]queue    // live-first records, per class
	live      [2]queue    // Seq > boundary
	back      [2]queue    // Seq ≤ boundary: the backlog, historical
	liveAfter [2]uint64   // cursor of the live stream
	backAfter [2]uint64   // cursor of the backlog stream
	backDone  [2]bool     // backlog of the class exhausted
	dirty     [2]bool     // live stream may have new records
	skip      [2][]uint64 // live-first seqs, ascending, for the backlog to pass over

	ring      []entry // in-flight messages, FIFO
	head, n   int
	ack       *acker
	acks      []uint64 // acknowledged, not yet handed to the acker
	failed    error    // first publish failure: end the connection's run
	limit     limiter
	rateTimer *time.Timer
	rateWait  bool
}

func (s *session) run(ctx context.Context) error {
	e := s.e
	if s.ring == nil {
		s.ring = make([]entry, e.opts.InFlight)
		s.rateTimer = time.NewTimer(time.Hour)
		s.rateTimer.Stop()
	}
	s.head, s.n, s.failed, s.acks = 0, 0, nil, s.acks[:0]
	s.limit = newLimiter(e.drain(), e.opts.Batch)
	s.conn = e.up.Connection()
	s.boundary = e.out.Stats().LastSeq
	floor := e.floor
	e.floor = s.boundary
	for c := range classes {
		s.liveAfter[c], s.backAfter[c] = s.boundary, 0
		s.backDone[c], s.dirty[c] = false, true
		s.first[c].reset()
		s.live[c].reset()
		s.back[c].reset()
		s.skip[c] = s.skip[c][:0]
		if err := s.loadFirst(c, floor); err != nil {
			return err
		}
	}
	e.setDraining(true)

	for {
		s.reap()
		if len(s.acks) > 0 && (s.n == 0 || !s.headDone() || len(s.acks) >= ackBatch) {
			s.handOff()
		}
		select {
		case err := <-s.ack.err:
			return err
		default:
		}
		if s.failed != nil || ctx.Err() != nil {
			return s.finish(ctx)
		}
		if s.backDone[0] && s.backDone[1] && s.back[0].empty() && s.back[1].empty() {
			e.setDraining(false)
		}

		for s.n < len(s.ring) && s.failed == nil {
			ok, err := s.sendNext(ctx)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
		}
		if s.failed != nil {
			continue
		}
		var headDone <-chan struct{}
		if s.n > 0 {
			headDone = s.ring[s.head].tok.Done()
		}
		var rate <-chan time.Time
		if s.rateWait {
			rate = s.rateTimer.C
		}
		select {
		case <-headDone:
		case <-e.notify:
			s.dirty = [2]bool{true, true}
		case <-rate:
			s.rateWait = false
		case <-ctx.Done():
		}
	}
}

// loadFirst selects the live-first records of class c: the newest pending
// ones above the previous connection's boundary and younger than
// LiveWindow. Records of an earlier backlog never jump the queue, so the
// non-historical stream stays in ascending order (see doc.go).
func (s *session) loadFirst(c int, floor uint64) error {
	e := s.e
	if e.opts.LiveFirst < 0 {
		return nil
	}
	recs, err := e.out.PeekNewest(classes[c], e.opts.LiveFirst, s.first[c].recs[:0])
	if err != nil {
		return fmt.Errorf("delivery: read newest %s records: %w", classes[c], err)
	}
	now := e.opts.Now()
	n := 0
	for j := range recs {
		r := &recs[j]
		if r.Seq > floor && r.Seq <= s.boundary && now.Sub(r.Time) <= e.opts.LiveWindow {
			s.skip[c] = append(s.skip[c], r.Seq)
			keepAt(recs, n, j)
			n++
		}
	}
	s.first[c].fill(recs[:n])
	return nil
}

// sendNext publishes one message from the highest-priority source that has
// something: live-first, live, backlog (rate-limited); events before scores
// at each level. ok is false when nothing can be sent now.
func (s *session) sendNext(ctx context.Context) (ok bool, err error) {
	for c := range classes {
		if !s.first[c].empty() {
			return true, s.send(ctx, &s.first[c], false)
		}
	}
	for c := range classes {
		if s.live[c].empty() && s.dirty[c] {
			if err := s.refillLive(c); err != nil {
				return false, err
			}
		}
		if !s.live[c].empty() {
			return true, s.send(ctx, &s.live[c], false)
		}
	}
	if s.rateWait {
		return false, nil
	}
	for c := range classes {
		if s.back[c].empty() && !s.backDone[c] {
			if err := s.refillBack(c); err != nil {
				return false, err
			}
		}
		if s.back[c].empty() {
			continue
		}
		if d := s.limit.wait(s.batchLen(&s.back[c]), time.Now()); d > 0 {
			s.rateTimer.Reset(d)
			s.rateWait = true
			return false, nil
		}
		return true, s.send(ctx, &s.back[c], true)
	}
	return false, nil
}

func (s *session) refillLive(c int) error {
	s.dirty[c] = false
	recs, err := s.e.out.Peek(classes[c], s.liveAfter[c], readBatch, s.live[c].recs[:0])
	if err != nil {
		return fmt.Errorf("delivery: read %s records after seq %d: %w", classes[c], s.liveAfter[c], err)
	}
	s.live[c].fill(recs)
	if len(recs) > 0 {
		s.liveAfter[c] = recs[len(recs)-1].Seq
	}
	if len(recs) == readBatch {
		s.dirty[c] = true // there may be more
	}
	return nil
}

func (s *session) refillBack(c int) error {
	recs, err := s.e.out.Peek(classes[c], s.backAfter[c], readBatch, s.back[c].recs[:0])
	if err != nil {
		return fmt.Errorf("delivery: read %s backlog after seq %d: %w", classes[c], s.backAfter[c], err)
	}
	if len(recs) < readBatch {
		s.backDone[c] = true
	}
	n := 0
	skip := s.skip[c]
	for j := range recs {
		seq := recs[j].Seq
		if seq > s.boundary {
			s.backDone[c] = true
			break
		}
		s.backAfter[c] = seq
		for len(skip) > 0 && skip[0] < seq {
			skip = skip[1:]
		}
		if len(skip) > 0 && skip[0] == seq {
			continue // already sent live-first
		}
		keepAt(recs, n, j)
		n++
	}
	s.skip[c] = skip
	s.back[c].fill(recs[:n])
	return nil
}

// keepAt moves recs[j] to recs[i] (i ≤ j) by swapping, so that every slot
// keeps its own Payload array for Peek to reuse: copying would leave two
// slots sharing one array, and the next Peek would overwrite one record
// with another.
func keepAt(recs []buffer.Record, i, j int) {
	if i != j {
		recs[i], recs[j] = recs[j], recs[i]
	}
}

// batchLen is how many records of q the next message takes.
func (s *session) batchLen(q *queue) int {
	if s.e.opts.Batch == 1 {
		return 1
	}
	first := q.head()
	n, size := 1, len(first.Payload)
	for j := q.i + 1; j < len(q.recs) && n < s.e.opts.Batch; j++ {
		r := &q.recs[j]
		size += len(r.Payload)
		if r.Topic != first.Topic || size > maxBatchBytes {
			break
		}
		n++
	}
	return n
}

// send publishes the next message of q and records it in the ring. A
// publish error is kept in s.failed: it ends the connection's run, not Run.
func (s *session) send(ctx context.Context, q *queue, backlog bool) error {
	e := s.e
	if e.up.Connection() != s.conn {
		s.failed = errReconnected
		return nil
	}
	n := s.batchLen(q)
	recs := q.recs[q.i : q.i+n]
	q.i += n
	hist := backlog
	if !hist {
		// A live record that waited past the window is history too.
		hist = e.opts.Now().Sub(recs[0].Time) > e.opts.LiveWindow
	}
	var payload []byte
	if n == 1 {
		payload = Stamp(make([]byte, 0, stampedLen(recs[0].Payload)), recs[0].Payload, recs[0].Seq, hist)
	} else {
		size := 2
		for i := range recs {
			size += stampedLen(recs[i].Payload) + 1
		}
		payload = append(make([]byte, 0, size), '[')
		for i := range recs {
			if i > 0 {
				payload = append(payload, ',')
			}
			payload = Stamp(payload, recs[i].Payload, recs[i].Seq, hist)
		}
		payload = append(payload, ']')
	}
	tok, err := e.up.Publish(ctx, recs[0].Topic, 1, false, payload)
	if err != nil {
		s.failed = err
		return nil
	}
	slot := &s.ring[(s.head+s.n)%len(s.ring)]
	slot.tok, slot.hist = tok, hist
	slot.seqs = slot.seqs[:0]
	for i := range recs {
		slot.seqs = append(slot.seqs, recs[i].Seq)
	}
	s.n++
	e.sent(n, hist)
	return nil
}

func (s *session) headDone() bool {
	select {
	case <-s.ring[s.head].tok.Done():
		return true
	default:
		return false
	}
}

// reap takes completed messages off the head of the ring.
func (s *session) reap() {
	for s.n > 0 && s.headDone() {
		s.pop()
	}
}

func (s *session) pop() {
	en := &s.ring[s.head]
	if err := en.tok.Err(); err != nil {
		if s.failed == nil {
			s.failed = err
		}
	} else {
		s.acks = append(s.acks, en.seqs...)
	}
	en.tok = uplink.Token{}
	s.head = (s.head + 1) % len(s.ring)
	s.n--
}

// handOff passes the gathered acks to the acker.
func (s *session) handOff() {
	s.ack.reqs <- ackReq{seqs: s.acks}
	s.acks = s.ack.slice()
}

// flush waits until the acker has deleted every record handed to it, so a
// new connection does not resend what the broker already acknowledged.
func (s *session) flush() error {
	if len(s.acks) > 0 {
		s.handOff()
	}
	done := make(chan struct{})
	s.ack.reqs <- ackReq{flush: done}
	<-done
	select {
	case err := <-s.ack.err:
		return err
	default:
		return nil
	}
}

// finish ends a connection's run: after a failure it waits for the
// messages still in flight (they complete quickly once the link is gone)
// so that those the broker did acknowledge are not sent twice; on
// cancellation it acks what is already complete and leaves the rest.
func (s *session) finish(ctx context.Context) error {
	if ctx.Err() == nil {
		for s.n > 0 {
			select {
			case <-s.ring[s.head].tok.Done():
				s.pop()
			case <-ctx.Done():
				s.reap()
				s.n = 0
			}
		}
	} else {
		s.reap()
	}
	for i := range s.ring {
		s.ring[i].tok = uplink.Token{}
	}
	s.head, s.n = 0, 0
	s.rateTimer.Stop()
	s.rateWait = false
	return s.flush()
}

// limiter is a token bucket over records, refilled at rate per second up
// to a burst of a tenth of a second's worth (at least one message).
type limiter struct {
	rate, burst, tokens float64
	last                time.Time
}

func newLimiter(rate float64, batch int) limiter {
	burst := max(rate/10, float64(batch))
	return limiter{rate: rate, burst: burst, tokens: burst}
}

// wait returns 0 and takes n tokens, or returns how long until n are there.
func (l *limiter) wait(n int, now time.Time) time.Duration {
	if l.rate <= 0 {
		return 0
	}
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	l.last = now
	need := float64(n)
	if l.tokens >= need || l.tokens >= l.burst {
		l.tokens -= need
		return 0
	}
	return max(time.Duration((need-l.tokens)/l.rate*float64(time.Second)), time.Millisecond)
}
