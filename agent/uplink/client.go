package uplink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Sentinel errors. Errors wrapping them carry the cause.
var (
	// ErrNotConnected: there is no connection right now; try again after
	// WaitConnected.
	ErrNotConnected = errors.New("uplink: not connected")
	// ErrConnectionLost: the connection ended before the PUBACK; the
	// message may or may not have reached the broker.
	ErrConnectionLost = errors.New("uplink: connection lost")
	// ErrClosed: Close was called or Run returned.
	ErrClosed = errors.New("uplink: client closed")
)

// ConnState is what happened to the connection.
type ConnState uint8

const (
	// StateConnected: CONNACK received, subscriptions made, online status sent.
	StateConnected ConnState = iota + 1
	// StateDisconnected: an established connection was lost.
	StateDisconnected
	// StateConnectFailed: an attempt to connect failed.
	StateConnectFailed
	// StateOfflineFailed: the Config.OfflinePayload publish on a clean stop
	// failed (Err says why); the broker may still show the online status.
	StateOfflineFailed
)

func (s ConnState) String() string {
	switch s {
	case StateConnected:
		return "connected"
	case StateDisconnected:
		return "disconnected"
	case StateConnectFailed:
		return "connect failed"
	case StateOfflineFailed:
		return "offline status failed"
	}
	return fmt.Sprintf("ConnState(%d)", uint8(s))
}

// ConnEvent reports a connection change to Config.OnConnEvent.
type ConnEvent struct {
	State ConnState
	Time  time.Time
	// Err is the reason for StateDisconnected and StateConnectFailed. For
	// StateConnected it is non-nil when the broker refused a subscription
	// (the link is up, but those commands will not arrive).
	Err error
	// Retry is the wait before the next attempt (not for StateConnected).
	Retry time.Duration
	// Attempt counts consecutive failed attempts (StateConnectFailed).
	Attempt int
	// SessionPresent is the broker's CONNACK flag (StateConnected).
	SessionPresent bool
}

// Message is a message received on a subscribed filter, copied out of paho.
type Message struct {
	Topic     string
	Payload   []byte
	QoS       byte
	Retained  bool
	Duplicate bool
}

// Stats are the client's counters since New.
type Stats struct {
	Publishes       uint64 // publishes handed to a connection
	Acked           uint64 // completed: PUBACK for QoS1, written for QoS0
	Failures        uint64 // completed with an error (connection lost, write timeout)
	Connects        uint64 // connections established
	Reconnects      uint64 // connections established after the first
	ConnectFailures uint64
	InFlight        int    // publishes awaiting completion now
	Received        uint64 // messages delivered to Messages()
	Dropped         uint64 // messages dropped because Messages() was full
	Connected       bool
}

// Client is one MQTT 3.1.1 connection to one broker, kept up by Run.
type Client struct {
	cfg  Config
	ep   endpoint
	tls  *tls.Config
	msgs chan Message

	cur atomic.Pointer[conn] // nil while not connected

	mu      sync.Mutex
	up      chan struct{} // closed while connected
	closed  chan struct{} // closed by Close
	cancel  context.CancelFunc
	runDone chan struct{} // non-nil once Run started; closed when it returns

	publishes, acked, failures     atomic.Uint64
	connects, reconnects, connFail atomic.Uint64
	received, dropped              atomic.Uint64

	subs subscriptions // see SetSubscriptions
}

// New validates cfg (errors name the field) and loads the TLS material. It
// does not connect; Run does.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ep, err := parseBroker(cfg.Broker)
	if err != nil {
		return nil, err
	}
	tc, err := loadTLS(cfg, ep)
	if err != nil {
		return nil, err
	}
	return &Client{
		cfg:    cfg,
		ep:     ep,
		tls:    tc,
		msgs:   make(chan Message, cfg.MessageBuffer),
		up:     make(chan struct{}),
		closed: make(chan struct{}),
	}, nil
}

// Messages returns the messages received on Config.Subscribe filters. The
// channel is never closed; stop reading when Run returns.
func (c *Client) Messages() <-chan Message { return c.msgs }

// Connected reports whether a connection is up now.
func (c *Client) Connected() bool { return c.cur.Load() != nil }

// WaitConnected returns nil as soon as a connection is up, ErrClosed after
// Close, or the context's error.
func (c *Client) WaitConnected(ctx context.Context) error {
	c.mu.Lock()
	up := c.up
	c.mu.Unlock()
	select {
	case <-up:
		return nil
	case <-c.closed:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Connection numbers connections: it grows by one each time a connection
// is established, so a caller can tell whether the link was renewed since
// it last looked, even when it never saw it down.
func (c *Client) Connection() uint64 { return c.connects.Load() }

// Stats returns the counters.
func (c *Client) Stats() Stats {
	s := Stats{
		Publishes:       c.publishes.Load(),
		Acked:           c.acked.Load(),
		Failures:        c.failures.Load(),
		Connects:        c.connects.Load(),
		Reconnects:      c.reconnects.Load(),
		ConnectFailures: c.connFail.Load(),
		Received:        c.received.Load(),
		Dropped:         c.dropped.Load(),
	}
	if cn := c.cur.Load(); cn != nil {
		s.Connected = true
		s.InFlight = len(cn.slots)
	}
	return s
}

// Run connects and keeps the connection up, reconnecting with jittered
// exponential backoff, until ctx is done or Close is called; then it
// disconnects cleanly (the will does not fire) and returns nil. It returns
// ErrClosed when called after Close, and an error while another Run runs;
// once Run returned it may be called again.
func (c *Client) Run(ctx context.Context) error {
	c.mu.Lock()
	select {
	case <-c.closed:
		c.mu.Unlock()
		return ErrClosed
	default:
	}
	if c.runDone != nil {
		select {
		case <-c.runDone: // the previous Run returned: a supervisor restarts it
		default:
			c.mu.Unlock()
			return errors.New("uplink: Run called while another Run is running")
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	c.cancel = cancel
	c.runDone = make(chan struct{})
	c.mu.Unlock()
	defer func() {
		cancel()
		close(c.runDone)
	}()

	attempt := 0  // backoff step
	failures := 0 // consecutive failed attempts, for ConnEvent.Attempt
	established := false
	for {
		var wait time.Duration
		cn, sessionPresent, err := c.connect(ctx)
		if err == nil {
			began := time.Now()
			lost := c.serve(ctx, cn, sessionPresent, established)
			established = true
			failures = 0
			if ctx.Err() != nil {
				return nil
			}
			// Only a connection that held for a while resets the backoff, so
			// a broker that accepts and then drops us (a duplicate client id,
			// an ACL) is not hammered.
			if time.Since(began) >= c.cfg.MaxBackoff {
				attempt = 0
			}
			wait = backoff(attempt, c.cfg.MinBackoff, c.cfg.MaxBackoff)
			attempt++
			c.emit(ConnEvent{State: StateDisconnected, Err: lost, Retry: wait})
		} else {
			if ctx.Err() != nil {
				return nil
			}
			c.connFail.Add(1)
			wait = backoff(attempt, c.cfg.MinBackoff, c.cfg.MaxBackoff)
			attempt++
			failures++
			c.emit(ConnEvent{State: StateConnectFailed, Err: err, Retry: wait, Attempt: failures})
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// Close stops Run (waiting for its clean disconnect) and makes later calls
// fail with ErrClosed. It publishes nothing itself: publish an offline
// status before Close if the broker should show one.
func (c *Client) Close() {
	c.mu.Lock()
	select {
	case <-c.closed:
	default:
		close(c.closed)
	}
	cancel, done := c.cancel, c.runDone
	c.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// Publish hands one message to the current connection and returns at once
// unless all InFlight slots are taken, in which case it waits for a slot
// (or ctx, or the loss of the connection). The returned Token completes on
// PUBACK (QoS1) or once written (QoS0). payload must not change until then.
// Without a connection it returns ErrNotConnected.
func (c *Client) Publish(ctx context.Context, topic string, qos byte, retained bool, payload []byte) (Token, error) {
	if qos > 1 {
		return Token{}, fmt.Errorf("uplink: publish to %q: QoS %d is not supported, use 0 or 1", topic, qos)
	}
	if err := checkTopic(topic); err != nil {
		return Token{}, fmt.Errorf("uplink: publish: %w", err)
	}
	cn := c.cur.Load()
	if cn == nil {
		return Token{}, ErrNotConnected
	}
	return c.publishOn(ctx, cn, topic, qos, retained, payload)
}

func (c *Client) publishOn(ctx context.Context, cn *conn, topic string, qos byte, retained bool, payload []byte) (Token, error) {
	select {
	case cn.slots <- struct{}{}:
	case <-cn.lost:
		return Token{}, cn.err
	case <-ctx.Done():
		return Token{}, ctx.Err()
	}
	p := &pending{done: make(chan struct{})}
	cn.pubMu.Lock()
	if cn.dead {
		cn.pubMu.Unlock()
		<-cn.slots
		return Token{}, cn.err
	}
	// Under pubMu so that pending holds tokens in the order paho sends them.
	p.pt = cn.cli.Publish(topic, qos, retained, payload)
	cn.pending <- p // never blocks: pending has as much room as slots
	cn.pubMu.Unlock()
	c.publishes.Add(1)
	return Token{p}, nil
}

func (c *Client) emit(ev ConnEvent) {
	if c.cfg.OnConnEvent != nil {
		ev.Time = time.Now()
		c.cfg.OnConnEvent(ev)
	}
}

// onMessage runs on paho's router goroutine: copy and never block.
func (c *Client) onMessage(_ paho.Client, m paho.Message) {
	msg := Message{
		Topic:     m.Topic(),
		Payload:   slices.Clone(m.Payload()),
		QoS:       m.Qos(),
		Retained:  m.Retained(),
		Duplicate: m.Duplicate(),
	}
	// Counted before the send, so whoever receives the message already sees
	// it in Stats; a message that finds no room is moved to dropped.
	c.received.Add(1)
	select {
	case c.msgs <- msg:
	default:
		c.received.Add(^uint64(0))
		c.dropped.Add(1)
	}
}

// conn is one paho client for one network connection. A fresh paho client
// (and store) per connection means nothing from a dead connection is ever
// re-sent by paho: after a loss every pending Token fails and the caller
// re-publishes from its own durable store.
type conn struct {
	cli     paho.Client
	slots   chan struct{} // in-flight semaphore
	pending chan *pending // tokens in send order, for collect
	lost    chan struct{} // closed when the connection ends
	err     error         // why; set before lost is closed
	once    sync.Once

	pubMu sync.Mutex
	dead  bool // set by collect once lost; no more pending pushes

	netMu   sync.Mutex
	nc      net.Conn
	aborted bool
	dialErr error
}

func newConn(inFlight int) *conn {
	return &conn{
		slots:   make(chan struct{}, inFlight),
		pending: make(chan *pending, inFlight),
		lost:    make(chan struct{}),
	}
}

func (cn *conn) end(err error) {
	cn.once.Do(func() {
		cn.err = err
		close(cn.lost)
	})
}

// abort closes the socket of a connection attempt so that paho's handshake
// returns now rather than at ConnectTimeout.
func (cn *conn) abort() {
	cn.netMu.Lock()
	defer cn.netMu.Unlock()
	cn.aborted = true
	if cn.nc != nil {
		_ = cn.nc.Close()
	}
}

// dial opens the socket for paho, honouring ctx, and keeps the real error
// (paho flattens it into "network Error").
func (cn *conn) dial(ctx context.Context, ep endpoint, tc *tls.Config, timeout time.Duration) paho.OpenConnectionFunc {
	return func(*url.URL, paho.ClientOptions) (net.Conn, error) {
		nc, err := dialEndpoint(ctx, ep, tc, timeout)
		cn.netMu.Lock()
		defer cn.netMu.Unlock()
		if err == nil && cn.aborted {
			_ = nc.Close()
			err = context.Canceled
		}
		if err != nil {
			cn.dialErr = err
			return nil, err
		}
		cn.nc = nc
		return nc, nil
	}
}

func dialEndpoint(ctx context.Context, ep endpoint, tc *tls.Config, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "tcp", ep.hostport)
	if err != nil {
		return nil, err
	}
	if tc == nil {
		return nc, nil
	}
	tlsConn := tls.Client(nc, tc)
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := tlsConn.HandshakeContext(hctx); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("tls handshake with %s: %w", ep.hostport, err)
	}
	return tlsConn, nil
}

func (c *Client) connect(ctx context.Context) (*conn, bool, error) {
	cn := newConn(c.cfg.InFlight)
	o := paho.NewClientOptions()
	o.AddBroker(c.ep.url)
	o.SetClientID(c.cfg.ClientID)
	o.SetUsername(c.cfg.Username)
	o.SetPassword(c.cfg.Password)
	o.SetProtocolVersion(4)
	o.SetCleanSession(c.cfg.CleanSession) // false for the agent: the broker keeps its command subscriptions and queues commands while it is away
	o.SetResumeSubs(false)
	o.SetAutoReconnect(false) // Run reconnects, with jitter, on a fresh client
	o.SetConnectRetry(false)
	o.SetOrderMatters(true) // onMessage never blocks
	o.SetKeepAlive(c.cfg.KeepAlive)
	o.SetPingTimeout(min(c.cfg.KeepAlive, 10*time.Second))
	o.SetConnectTimeout(c.cfg.ConnectTimeout)
	o.SetWriteTimeout(c.cfg.WriteTimeout)
	if c.cfg.WillTopic != "" {
		o.SetBinaryWill(c.cfg.WillTopic, c.cfg.WillPayload, 1, true)
	}
	o.SetDefaultPublishHandler(c.onMessage)
	o.SetConnectionLostHandler(func(_ paho.Client, err error) {
		c.markDown(cn) // first, so that whoever sees lost also sees us down
		cn.end(fmt.Errorf("%w: %w", ErrConnectionLost, err))
	})
	o.SetCustomOpenConnectionFn(cn.dial(ctx, c.ep, c.tls, c.cfg.ConnectTimeout))
	cn.cli = paho.NewClient(o)

	tok := cn.cli.Connect()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		cn.abort()
		<-tok.Done()
		if tok.Error() == nil {
			cn.cli.Disconnect(0)
		}
		return nil, false, ctx.Err()
	}
	if err := tok.Error(); err != nil {
		cn.netMu.Lock()
		if cn.dialErr != nil {
			err = cn.dialErr
		}
		cn.netMu.Unlock()
		return nil, false, fmt.Errorf("uplink: connect to %s: %w", c.ep.url, err)
	}
	sp := false
	if ct, ok := tok.(*paho.ConnectToken); ok {
		sp = ct.SessionPresent()
	}
	return cn, sp, nil
}

// serve runs one established connection until it is lost (returning why)
// or ctx ends (disconnecting cleanly and returning nil).
func (c *Client) serve(ctx context.Context, cn *conn, sessionPresent, reconnect bool) error {
	var wg sync.WaitGroup
	wg.Go(func() { c.collect(cn) })
	defer wg.Wait()

	refused, err := c.subscribe(ctx, cn)
	if err == nil && c.cfg.OnlineTopic != "" {
		_, err = c.publishOn(ctx, cn, c.cfg.OnlineTopic, 1, true, c.cfg.OnlinePayload())
	}
	if err != nil {
		cn.cli.Disconnect(0)
		cn.end(err)
		if ctx.Err() != nil {
			return nil
		}
		return err
	}

	c.connects.Add(1) // before cur: whoever sees the connection sees its number
	c.mu.Lock()
	c.cur.Store(cn)
	close(c.up)
	c.mu.Unlock()
	if reconnect {
		c.reconnects.Add(1)
	}
	c.emit(ConnEvent{State: StateConnected, Err: refused, SessionPresent: sessionPresent})

	select {
	case <-cn.lost:
	case <-ctx.Done():
	}
	c.markDown(cn)
	if ctx.Err() != nil {
		c.publishOffline(cn)
		cn.cli.Disconnect(250)
		cn.end(ErrClosed)
		return nil
	}
	return cn.err
}

// publishOffline publishes Config.OfflinePayload on the connection that is
// being closed cleanly and waits for its PUBACK, so the broker holds the
// offline status before the DISCONNECT that discards the will.
func (c *Client) publishOffline(cn *conn) {
	if c.cfg.OfflinePayload == nil || c.cfg.OnlineTopic == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.WriteTimeout)
	defer cancel()
	tok, err := c.publishOn(ctx, cn, c.cfg.OnlineTopic, 1, true, c.cfg.OfflinePayload())
	if err == nil {
		err = tok.Wait(ctx)
	}
	if err != nil {
		c.emit(ConnEvent{State: StateOfflineFailed, Err: err})
	}
}

// markDown retracts cn if it is the current connection.
func (c *Client) markDown(cn *conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur.CompareAndSwap(cn, nil) {
		c.up = make(chan struct{})
	}
}

// subscribe makes the subscriptions (Config.Subscribe or the last
// SetSubscriptions) and drops those given up. refused names filters
// the broker declined; err means the connection is unusable.
func (c *Client) subscribe(ctx context.Context, cn *conn) (refused, err error) {
	want, drop := c.subs.current(c.cfg.Subscribe)
	if len(drop) > 0 {
		if err := c.unsubscribe(ctx, cn, drop); err != nil {
			return nil, err
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	filters := make(map[string]byte, len(want))
	for _, f := range want {
		filters[f] = 1
	}
	tok := cn.cli.SubscribeMultiple(filters, nil)
	t := time.NewTimer(c.cfg.ConnectTimeout)
	defer t.Stop()
	select {
	case <-tok.Done():
	case <-cn.lost:
		return nil, cn.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, fmt.Errorf("uplink: subscribe: no SUBACK within %v", c.cfg.ConnectTimeout)
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("uplink: subscribe: %w", err)
	}
	var bad []string
	if st, ok := tok.(*paho.SubscribeToken); ok {
		for f, code := range st.Result() {
			if code >= 0x80 {
				bad = append(bad, f)
			}
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return fmt.Errorf("uplink: broker refused subscription to %q", bad), nil
	}
	return nil, nil
}

// collect completes Tokens in send order and frees their in-flight slots.
// When the connection ends it fails whatever is left.
func (c *Client) collect(cn *conn) {
	for {
		select {
		case p := <-cn.pending:
			select {
			case <-p.pt.Done():
			case <-cn.lost:
			}
			c.complete(cn, p)
		case <-cn.lost:
			cn.pubMu.Lock()
			cn.dead = true
			cn.pubMu.Unlock()
			for {
				select {
				case p := <-cn.pending:
					c.complete(cn, p)
				default:
					return
				}
			}
		}
	}
}

func (c *Client) complete(cn *conn, p *pending) {
	select {
	case <-p.pt.Done():
		if err := p.pt.Error(); err != nil {
			p.err = fmt.Errorf("uplink: publish: %w", err)
		}
	default:
		p.err = cn.err // the connection ended first
	}
	if p.err != nil {
		c.failures.Add(1)
	} else {
		c.acked.Add(1)
	}
	close(p.done)
	<-cn.slots
}

type pending struct {
	pt   paho.Token
	done chan struct{}
	err  error // set before done is closed
}

// Token follows one publish.
type Token struct{ p *pending }

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

var errZeroToken = errors.New("uplink: zero Token (Publish returned an error)")

// Done is closed when the publish completed, successfully or not.
func (t Token) Done() <-chan struct{} {
	if t.p == nil {
		return closedChan
	}
	return t.p.done
}

// Err is the outcome once Done is closed: nil after the PUBACK; wraps
// ErrConnectionLost or ErrClosed when the connection ended first. Before
// Done it returns nil.
func (t Token) Err() error {
	if t.p == nil {
		return errZeroToken
	}
	select {
	case <-t.p.done:
		return t.p.err
	default:
		return nil
	}
}

// Wait waits for the publish to complete and returns its outcome, or the
// context's error.
func (t Token) Wait(ctx context.Context) error {
	select {
	case <-t.Done():
		return t.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// backoff is the wait before attempt n (0-based): min·2ⁿ capped at max,
// jittered to [d/2, d] so that a fleet does not reconnect in lockstep.
func backoff(n int, lo, hi time.Duration) time.Duration {
	d := hi
	if n < 62 && lo<<n > 0 && lo<<n < hi {
		d = lo << n
	}
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}
