package uplink

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode/utf8"
)

// Config describes one broker connection. Zero durations and counts take the
// defaults listed on each field.
type Config struct {
	// Broker is tcp://host:port (or mqtt://) for plain TCP, ssl://, tls:// or
	// mqtts:// for TLS. The port defaults to 1883, or 8883 for TLS.
	Broker   string
	ClientID string
	// Username and Password are sent in CONNECT; a password needs a username
	// (MQTT 3.1.1).
	Username, Password string
	// CAFile verifies the broker (system roots when empty). CertFile and
	// KeyFile, both or neither, are the client certificate. All need a TLS
	// Broker URL.
	CAFile, CertFile, KeyFile string
	// CleanSession connects without broker-side state: nothing is queued
	// for the client while it is away and its subscriptions end with the
	// connection. For short-lived clients (artifact transfers, operator
	// tools), so the broker neither keeps their sessions nor floods a new
	// connection with what was queued for an old one; the agent's own
	// connection keeps its session to receive commands sent while away.
	CleanSession bool

	KeepAlive      time.Duration // default 30s; whole seconds, 1s to 18h
	ConnectTimeout time.Duration // dial + TLS + CONNACK + SUBACK; default 10s
	// WriteTimeout drops the connection when one packet write stalls this
	// long, so a dead link is noticed even while publishing; default 10s.
	WriteTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between connection attempts;
	// defaults 1s and 2m. The wait doubles per failed attempt and is jittered
	// to between half and all of the current step.
	MinBackoff, MaxBackoff time.Duration
	// InFlight bounds QoS1 publishes awaiting PUBACK (and QoS0 awaiting the
	// write); Publish waits for a free slot. Default 100, at most 65535.
	InFlight int

	// WillTopic receives WillPayload, retained at QoS1, when the broker loses
	// the connection uncleanly.
	WillTopic   string
	WillPayload []byte
	// OnlineTopic receives OnlinePayload(), retained at QoS1, as the first
	// publish of every connection.
	OnlineTopic   string
	OnlinePayload func() []byte
	// OfflinePayload, when set, is published retained at QoS1 to
	// OnlineTopic when Run stops (ctx done or Close), and its PUBACK awaited
	// (up to WriteTimeout) before the clean DISCONNECT: a clean DISCONNECT
	// suppresses the will, so without it the retained status would stay
	// online after a clean stop.
	OfflinePayload func() []byte
	// Subscribe lists topic filters (commands) subscribed at QoS1 on every
	// connection, so they survive a broker that lost its sessions.
	Subscribe []string
	// MessageBuffer is the capacity of Messages(); messages arriving while it
	// is full are dropped and counted. Default 64.
	MessageBuffer int

	// OnConnEvent, when set, is called from Run's goroutine on every
	// connection change (so the agent can log it). It must not block.
	OnConnEvent func(ConnEvent)
}

const (
	defaultKeepAlive      = 30 * time.Second
	defaultConnectTimeout = 10 * time.Second
	defaultWriteTimeout   = 10 * time.Second
	defaultMinBackoff     = time.Second
	defaultMaxBackoff     = 2 * time.Minute
	defaultInFlight       = 100
	defaultMessageBuffer  = 64
	maxKeepAlive          = 65535 * time.Second
	maxInFlight           = 65535 // MQTT packet identifiers are 16 bits
)

// withDefaults fills zero fields and validates the rest; every error names
// the offending field.
func (c Config) withDefaults() (Config, error) {
	setDur := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	setDur(&c.KeepAlive, defaultKeepAlive)
	setDur(&c.ConnectTimeout, defaultConnectTimeout)
	setDur(&c.WriteTimeout, defaultWriteTimeout)
	setDur(&c.MinBackoff, defaultMinBackoff)
	setDur(&c.MaxBackoff, defaultMaxBackoff)
	if c.InFlight == 0 {
		c.InFlight = defaultInFlight
	}
	if c.MessageBuffer == 0 {
		c.MessageBuffer = defaultMessageBuffer
	}

	switch {
	case c.ClientID == "":
		return c, errors.New("uplink: config ClientID is empty")
	case len(c.ClientID) > 65535 || !utf8.ValidString(c.ClientID):
		return c, errors.New("uplink: config ClientID must be valid UTF-8 of at most 65535 bytes")
	case c.Password != "" && c.Username == "":
		return c, errors.New("uplink: config Password is set without Username (MQTT 3.1.1 forbids it)")
	case c.KeepAlive < time.Second || c.KeepAlive > maxKeepAlive:
		return c, fmt.Errorf("uplink: config KeepAlive %v must be between 1s and %v", c.KeepAlive, maxKeepAlive)
	case c.ConnectTimeout < 0:
		return c, fmt.Errorf("uplink: config ConnectTimeout %v is negative", c.ConnectTimeout)
	case c.WriteTimeout < 0:
		return c, fmt.Errorf("uplink: config WriteTimeout %v is negative", c.WriteTimeout)
	case c.MinBackoff < 0:
		return c, fmt.Errorf("uplink: config MinBackoff %v is negative", c.MinBackoff)
	case c.MaxBackoff < c.MinBackoff:
		return c, fmt.Errorf("uplink: config MaxBackoff %v is below MinBackoff %v", c.MaxBackoff, c.MinBackoff)
	case c.InFlight < 0 || c.InFlight > maxInFlight:
		return c, fmt.Errorf("uplink: config InFlight %d must be between 1 and %d", c.InFlight, maxInFlight)
	case c.MessageBuffer < 0:
		return c, fmt.Errorf("uplink: config MessageBuffer %d is negative", c.MessageBuffer)
	case len(c.WillPayload) > 0 && c.WillTopic == "":
		return c, errors.New("uplink: config WillPayload is set without WillTopic")
	case c.OnlineTopic != "" && c.OnlinePayload == nil:
		return c, errors.New("uplink: config OnlineTopic is set without OnlinePayload")
	case c.OnlinePayload != nil && c.OnlineTopic == "":
		return c, errors.New("uplink: config OnlinePayload is set without OnlineTopic")
	case c.OfflinePayload != nil && c.OnlineTopic == "":
		return c, errors.New("uplink: config OfflinePayload is set without OnlineTopic")
	}
	if c.WillTopic != "" {
		if err := checkTopic(c.WillTopic); err != nil {
			return c, fmt.Errorf("uplink: config WillTopic: %w", err)
		}
	}
	if c.OnlineTopic != "" {
		if err := checkTopic(c.OnlineTopic); err != nil {
			return c, fmt.Errorf("uplink: config OnlineTopic: %w", err)
		}
	}
	for i, f := range c.Subscribe {
		if err := checkFilter(f); err != nil {
			return c, fmt.Errorf("uplink: config Subscribe[%d]: %w", i, err)
		}
	}
	return c, nil
}

// endpoint is the parsed Broker URL.
type endpoint struct {
	url      string // canonical, for messages
	hostport string
	tls      bool
}

func parseBroker(s string) (endpoint, error) {
	if s == "" {
		return endpoint{}, errors.New("uplink: config Broker is empty; want tcp://host:port or ssl://host:port")
	}
	u, err := url.Parse(s)
	if err != nil {
		return endpoint{}, fmt.Errorf("uplink: config Broker %q: %w", s, err)
	}
	var ep endpoint
	port := "1883"
	switch strings.ToLower(u.Scheme) {
	case "tcp", "mqtt":
	case "ssl", "tls", "mqtts":
		ep.tls = true
		port = "8883"
	default:
		return endpoint{}, fmt.Errorf("uplink: config Broker %q: scheme %q is not one of tcp, mqtt, ssl, tls, mqtts", s, u.Scheme)
	}
	if u.Hostname() == "" {
		return endpoint{}, fmt.Errorf("uplink: config Broker %q has no host", s)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
		return endpoint{}, fmt.Errorf("uplink: config Broker %q: only scheme://host:port is allowed (put credentials in Username/Password)", s)
	}
	if p := u.Port(); p != "" {
		port = p
	}
	ep.hostport = net.JoinHostPort(u.Hostname(), port)
	scheme := "tcp"
	if ep.tls {
		scheme = "ssl"
	}
	ep.url = scheme + "://" + ep.hostport
	return ep, nil
}

// loadTLS builds the client TLS configuration from the PEM files in c.
func loadTLS(c Config, ep endpoint) (*tls.Config, error) {
	if !ep.tls {
		for _, f := range []struct{ name, val string }{{"CAFile", c.CAFile}, {"CertFile", c.CertFile}, {"KeyFile", c.KeyFile}} {
			if f.val != "" {
				return nil, fmt.Errorf("uplink: config %s is set but Broker %q is not a TLS URL (use ssl:// or mqtts://)", f.name, c.Broker)
			}
		}
		return nil, nil
	}
	host, _, _ := net.SplitHostPort(ep.hostport)
	tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("uplink: config CAFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("uplink: config CAFile %q holds no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	switch {
	case c.CertFile != "" && c.KeyFile == "":
		return nil, errors.New("uplink: config CertFile is set without KeyFile")
	case c.KeyFile != "" && c.CertFile == "":
		return nil, errors.New("uplink: config KeyFile is set without CertFile")
	case c.CertFile != "":
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("uplink: config CertFile/KeyFile: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// checkTopic validates a topic name for publishing.
func checkTopic(t string) error {
	switch {
	case t == "":
		return errors.New("topic is empty")
	case len(t) > 65535:
		return fmt.Errorf("topic is %d bytes, limit 65535", len(t))
	case strings.ContainsAny(t, "+#"):
		return fmt.Errorf("topic %q contains a wildcard", t)
	case strings.ContainsRune(t, 0) || !utf8.ValidString(t):
		return fmt.Errorf("topic %q is not valid UTF-8 without NUL", t)
	}
	return nil
}

// checkFilter validates a subscription filter: '+' fills a whole level and
// '#' only the last one.
func checkFilter(f string) error {
	if f == "" {
		return errors.New("filter is empty")
	}
	if len(f) > 65535 || strings.ContainsRune(f, 0) || !utf8.ValidString(f) {
		return fmt.Errorf("filter %q is not valid UTF-8 without NUL of at most 65535 bytes", f)
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		if strings.Contains(l, "#") && (l != "#" || i != len(levels)-1) {
			return fmt.Errorf("filter %q: '#' must be the whole last level", f)
		}
		if strings.Contains(l, "+") && l != "+" {
			return fmt.Errorf("filter %q: '+' must be a whole level", f)
		}
	}
	return nil
}
