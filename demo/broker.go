package demo

import (
	"fmt"
	"log/slog"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// Broker is an embedded MQTT broker (mochi-mqtt) for the demo and for
// gateways without a broker of their own. It accepts any client: bind it to
// loopback.
type Broker struct {
	srv  *mqtt.Server
	addr string
}

// StartBroker listens on addr ("127.0.0.1:0" picks a free port) and serves
// until Close.
func StartBroker(addr string, log *slog.Logger) (*Broker, error) {
	srv := mqtt.New(&mqtt.Options{InlineClient: false, Logger: log})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})
	if err := srv.AddListener(tcp); err != nil {
		return nil, fmt.Errorf("broker: listen on %s: %w", addr, err)
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	return &Broker{srv: srv, addr: tcp.Address()}, nil
}

// Addr is the address the broker listens on, with the real port.
func (b *Broker) Addr() string { return b.addr }

// Close disconnects every client and stops the broker.
func (b *Broker) Close() error { return b.srv.Close() }
