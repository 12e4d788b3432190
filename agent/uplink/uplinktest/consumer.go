package uplinktest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Consumer is a plain paho subscriber standing for the fleet backend: QoS1,
// persistent session, resubscribing on every connection, reconnecting fast.
// Handle is called for each message, in arrival order, on paho's goroutine.
type Consumer struct {
	cli  paho.Client
	subs *atomic.Int64
}

// NewConsumer connects to broker (tcp://host:port) as clientID, subscribes
// to filters and waits for the SUBACK. It disconnects at test cleanup.
func NewConsumer(t testing.TB, broker, clientID string, handle func(topic string, payload []byte), filters ...string) *Consumer {
	t.Helper()
	subs := map[string]byte{}
	for _, f := range filters {
		subs[f] = 1
	}
	subscribed := make(chan error, 1)
	o := paho.NewClientOptions().AddBroker(broker).SetClientID(clientID).
		SetCleanSession(false).SetProtocolVersion(4).SetOrderMatters(true).
		SetAutoReconnect(true).SetMaxReconnectInterval(100 * time.Millisecond).
		SetConnectTimeout(5 * time.Second).SetKeepAlive(5 * time.Second)
	o.SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { handle(m.Topic(), m.Payload()) })
	var once sync.Once
	subacks := new(atomic.Int64)
	o.SetOnConnectHandler(func(c paho.Client) {
		// Resubscribe every time: a broker restarted without its state has
		// forgotten us. Not waited for here: this runs on paho's goroutine.
		tok := c.SubscribeMultiple(subs, nil)
		go func() {
			tok.Wait()
			if tok.Error() == nil {
				subacks.Add(1)
			}
			once.Do(func() { subscribed <- tok.Error() })
		}()
	})
	cli := paho.NewClient(o)
	if tok := cli.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("uplinktest: consumer connect to %s: %v", broker, tok.Error())
	}
	select {
	case err := <-subscribed:
		if err != nil {
			t.Fatalf("uplinktest: consumer subscribe: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("uplinktest: consumer: no SUBACK within 10s")
	}
	t.Cleanup(func() { cli.Disconnect(100) })
	return &Consumer{cli: cli, subs: subacks}
}

// Connected reports whether the consumer's connection is up.
func (c *Consumer) Connected() bool { return c.cli.IsConnectionOpen() }

// Subscriptions counts completed (re)subscriptions, one per connection.
func (c *Consumer) Subscriptions() int64 { return c.subs.Load() }

// Publish sends one QoS1 message and waits for its PUBACK.
func (c *Consumer) Publish(t testing.TB, topic string, retained bool, payload []byte) {
	t.Helper()
	tok := c.cli.Publish(topic, 1, retained, payload)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("uplinktest: consumer publish to %s: %v", topic, tok.Error())
	}
}
